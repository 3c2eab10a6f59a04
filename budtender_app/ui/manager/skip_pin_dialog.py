"""A manager skips the shopper's PIN for one sale: why, and who. Opened with open()."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from budtender_app.ui.common.widgets import MessageLabel, named


class SkipPinDialog(QDialog):
    confirmed = Signal(str, str)  # reason, manager initials

    def __init__(self, phone_masked: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("skip_pin_dialog")
        self.setWindowTitle(self.tr("Skip the shopper's PIN"))
        self.setModal(True)
        intro = QLabel(self.tr(
            "Open the wallet of {phone} without the texted PIN, for this sale only. Check the "
            "shopper's ID first. The reason and your initials go into the audit trail.").format(phone=phone_masked), self)
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
        self.message_label = MessageLabel("skip_message_label", self)
        confirm = named(QPushButton(self.tr("Open wallet without PIN"), self), "skip_confirm_button", "Open wallet without PIN")
        confirm.clicked.connect(self._on_confirm)
        cancel = named(QPushButton(self.tr("Cancel (Esc)"), self), "skip_cancel_button", "Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)

    def _on_confirm(self) -> None:
        reason, initials = self.reason_edit.text().strip(), self.initials_edit.text().strip()
        if not reason or not initials:
            self.message_label.show_message("error", self.tr("Type a reason and your initials."))
            return
        self.confirmed.emit(reason, initials)
        self.accept()
