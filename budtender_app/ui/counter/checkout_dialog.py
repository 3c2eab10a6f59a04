"""Checkout complete: the POS transaction ID, typed only once the sale is finished."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.widgets import named
from budtender_app.ui.counter.field_errors import field_grid


class CheckoutDialog(AppDialog):
    """The last question before AIQ takes the points: the POS transaction ID of the finished sale."""

    confirmed = Signal(str)
    cancel_requested = Signal()

    def __init__(self, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, "checkout_dialog", "checkout_message_label")
        self.setWindowTitle(self.tr("Checkout complete"))
        warning = QLabel(self.tr(
            "<b>Confirm only after the sale is paid and closed in the POS.</b><br>"
            "AIQ takes the points as soon as you confirm."), self)
        warning.setWordWrap(True)
        self.summary_label = what = QLabel(self)
        what.setObjectName("checkout_summary_label")
        what.setWordWrap(True)
        # The popup covers the apply table: the IDs being confirmed are said here too, so the
        # cashier checks them against the POS receipt without closing it (issue 12).
        self.pos_ids_label = ids = QLabel(self)
        ids.setObjectName("checkout_pos_ids_label")
        ids.setWordWrap(True)
        ids.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.transaction_edit = named(QLineEdit(self), "transaction_edit", "POS transaction ID")
        self.transaction_edit.setPlaceholderText(self.tr("from the POS receipt"))
        self.transaction_edit.returnPressed.connect(self._on_confirm)
        form = field_grid(QLabel(self.tr("POS transaction ID:"), self), self.transaction_edit, self.message_label)
        self.prefill_label = QLabel(self.tr("Filled in by the POS: check it against the receipt, then press Enter."),
                                    self)
        self.prefill_label.setObjectName("checkout_prefill_label")
        self.prefill_label.setWordWrap(True)
        confirm = self.button(self.tr("Checkout complete (Enter)"), "confirm_checkout_button", "Checkout complete")
        confirm.clicked.connect(self._on_confirm)
        back = self.button(self.tr("Back (Esc)"), "checkout_back_button", "Back")
        back.clicked.connect(self.cancel_requested)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)  # room between what to check and where to type, at arm's length
        layout.addWidget(warning)
        layout.addWidget(what)
        layout.addWidget(ids)
        layout.addLayout(form)
        layout.addWidget(self.prefill_label)
        layout.addSpacing(6)
        layout.addLayout(button_row(back, confirm))
        # Wide enough that the bold first line reads on one line (it wrapped at 520 px).
        self.setMinimumWidth(DIALOG_MIN_WIDTH + 100)
        self.reset(summary)

    def reset(self, summary: str, pos_ids: Sequence[str] = (), transaction: str = "") -> None:
        """Ready for a new sale: the window keeps one popup and reopens it at every checkout.

        ``pos_ids``: the POS discount ID of each discount being confirmed, as keyed into the POS.
        ``transaction``: the ID the POS handed over (issue 14), filled in and selected: Enter
        confirms it, typing or a scan replaces it; nothing is redeemed before Enter.
        """
        self.summary_label.setText(summary)
        self.pos_ids_label.setText(self.tr("POS discount IDs: {ids}").format(ids=", ".join(pos_ids)) if pos_ids else "")
        self.pos_ids_label.setVisible(bool(pos_ids))
        self.transaction_edit.setText(transaction)
        self.transaction_edit.selectAll()
        self.prefill_label.setVisible(bool(transaction))
        if self.message_label.text():
            self.show_error("")

    def show_error(self, text: str) -> None:
        self.message_label.show_message(Level.ERROR if text else Level.CLEAR, text)
        self.adjustSize()  # a wrapped message needs the room: grow to fit it

    def reject(self) -> None:
        self.cancel_requested.emit()

    def _on_confirm(self) -> None:
        self.confirmed.emit(self.transaction_edit.text())
        if self.isVisible():  # refused (the popup closes on a confirmed ID): ready to be typed over
            self.transaction_edit.setFocus()
            self.transaction_edit.selectAll()
