"""Checkout complete: the POS transaction ID, typed only once the sale is finished."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.widgets import named


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
        self.transaction_edit = named(QLineEdit(self), "transaction_edit", "POS transaction ID")
        self.transaction_edit.setPlaceholderText(self.tr("from the POS receipt"))
        self.transaction_edit.returnPressed.connect(self._on_confirm)
        form = QFormLayout()
        form.addRow(self.tr("POS transaction ID:"), self.transaction_edit)
        confirm = self.button(self.tr("Checkout complete (Enter)"), "confirm_checkout_button", "Checkout complete")
        confirm.clicked.connect(self._on_confirm)
        back = self.button(self.tr("Back (Esc)"), "checkout_back_button", "Back")
        back.clicked.connect(self.cancel_requested)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addLayout(button_row(back, confirm))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.reset(summary)

    def reset(self, summary: str) -> None:
        """Ready for a new sale: the window keeps one popup and reopens it at every checkout."""
        self.summary_label.setText(summary)
        self.transaction_edit.clear()
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
