"""A manager skips the shopper's PIN for one sale: why, and who. Opened with open()."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.widgets import named


class SkipPinDialog(AppDialog):
    """Why the shopper's PIN is skipped and which manager decided: both go on the audit trail."""

    confirmed = Signal(str, str)  # reason, manager initials

    def __init__(self, phone_masked: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, "skip_pin_dialog", "skip_message_label")
        self.setWindowTitle(self.tr("Skip the shopper's PIN"))
        intro = QLabel(self.tr(
            "Open the wallet of {phone} without the texted PIN, for this sale only. Check the shopper's ID "
            "first. The reason and your initials go into the audit trail.").format(phone=phone_masked), self)
        intro.setWordWrap(True)
        self.reason_edit = named(QLineEdit(self), "skip_reason_edit", "Reason for skipping the PIN")
        self.reason_edit.setPlaceholderText(self.tr("e.g. shopper's phone is dead; ID checked"))
        self.reason_edit.setMaxLength(200)
        self.initials_edit = named(QLineEdit(self), "skip_initials_edit", "Manager initials")
        self.initials_edit.setMaxLength(40)
        form = QFormLayout()
        form.addRow(self.tr("Reason:"), self.reason_edit)
        self.initials_edit.returnPressed.connect(self._on_confirm)
        form.addRow(self.tr("Manager initials:"), self.initials_edit)
        confirm = self.button(self.tr("Open wallet without PIN"), "skip_confirm_button", "Open wallet without PIN",
                              auto_default=True)
        confirm.clicked.connect(self._on_confirm)
        cancel = self.button(self.tr("Cancel (Esc)"), "skip_cancel_button", "Cancel", auto_default=True)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addLayout(button_row(cancel, confirm))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)

    def _on_confirm(self) -> None:
        reason, initials = self.reason_edit.text().strip(), self.initials_edit.text().strip()
        if not reason or not initials:
            self.message_label.show_message(Level.ERROR, self.tr("Type a reason and your initials."))
            return
        self.confirmed.emit(reason, initials)
        self.accept()
