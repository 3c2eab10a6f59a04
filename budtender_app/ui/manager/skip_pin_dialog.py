"""A manager skips the shopper's PIN for one sale: the manager's approval, why, and who, in one dialog.

Opened with open() over the PIN popup. Given the prompt's view model, it asks the manager PIN (or,
with staff sign-in, a manager's own passcode) itself, so the manager types everything in one
place instead of a prompt then a second dialog; without one (a signed-in manager approves, or the
first PIN is still to be chosen) the gate has dealt with approval first.

With staff sign-in (``approved_by`` given) no initials are asked: the passcode says who approved,
and the audit trail names their account.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.widgets import named
from budtender_app.viewmodels.manager_approval import Prompt


class SkipPinDialog(AppDialog):
    """Why the shopper's PIN is skipped and which manager decided: both go on the audit trail."""

    confirmed = Signal(str, str)  # reason, manager initials

    def __init__(self, phone_masked: str, parent: QWidget | None = None,
                 pin_vm: Prompt | None = None, approved_by: str | None = None) -> None:
        super().__init__(parent, "skip_pin_dialog", "skip_message_label")
        self._pin_vm = pin_vm
        self._initials = approved_by is None  # no sign-in: the manager's initials are typed
        self._typed = ("", "")  # reason and initials, kept while the manager PIN is checked
        self.setWindowTitle(self.tr("Skip the shopper's PIN"))
        who = (self.tr("The reason and your initials go into the audit trail.") if approved_by is None
               else self.tr("The reason and your name go into the audit trail.") if not approved_by
               else self.tr("Approved by {name}: the reason and that name go into the audit trail.").format(
                   name=approved_by))
        intro = QLabel(self.tr(
            "Open the wallet of {phone} without the texted PIN, for this sale only. Check the shopper's ID "
            "first. {who}").format(phone=phone_masked, who=who), self)
        intro.setWordWrap(True)
        form = self._build_form()
        self.confirm_button = self.button(self.tr("&Open wallet without PIN"), "skip_confirm_button",
                                          "Open wallet without PIN")
        self.confirm_button.clicked.connect(self._on_confirm)
        back = self.button(self.tr("Back (Esc)"), "skip_cancel_button", "Back to the PIN popup")
        # Neither is auto-default: Enter in a field confirms through returnPressed only (an
        # auto-default Back took the Enter after a wrong PIN and closed the dialog).
        back.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addLayout(button_row(back, self.confirm_button))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        if pin_vm is not None:
            self._connect_pin_vm(pin_vm)

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        self.manager_pin_edit = named(QLineEdit(self), "skip_manager_pin_edit", "Manager PIN")
        self.manager_pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason_edit = named(QLineEdit(self), "skip_reason_edit", "Reason for skipping the PIN")
        self.reason_edit.setPlaceholderText(self.tr("e.g. shopper's phone is dead; ID checked"))
        self.reason_edit.setMaxLength(200)
        self.initials_edit = named(QLineEdit(self), "skip_initials_edit", "Manager initials")
        self.initials_edit.setMaxLength(40)
        pin_caption = self.tr(self._pin_vm.caption) if self._pin_vm is not None else self.tr("Manager &PIN:")
        rows = ((pin_caption, self.manager_pin_edit), (self.tr("&Reason:"), self.reason_edit),
                (self.tr("Manager &initials:"), self.initials_edit))
        for text, edit in rows:
            caption = QLabel(text, self)
            caption.setBuddy(edit)
            form.addRow(caption, edit)
            edit.returnPressed.connect(self._on_confirm)
        form.setRowVisible(self.manager_pin_edit, self._pin_vm is not None)
        form.setRowVisible(self.initials_edit, self._initials)
        return form

    def _connect_pin_vm(self, vm: Prompt) -> None:
        high = vm.digits_range[1]
        self.manager_pin_edit.setValidator(QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{high}}}"), self))
        self.manager_pin_edit.setMaxLength(high)
        self._tick.timeout.connect(vm.refresh)
        vm.message_changed.connect(self.message_label.show_message)
        vm.locked_changed.connect(self._on_vm_locked_changed)
        vm.accepted.connect(self._on_vm_accepted)
        vm.refresh()

    def _on_vm_locked_changed(self, seconds: int) -> None:
        for widget in (self.manager_pin_edit, self.confirm_button):
            widget.setEnabled(seconds <= 0)
        if seconds > 0:
            self._tick.start()
        else:
            self._tick.stop()

    def _on_vm_accepted(self) -> None:
        self._tick.stop()
        self.confirmed.emit(*self._typed)
        self.accept()

    def _on_confirm(self) -> None:
        reason, initials = self.reason_edit.text().strip(), self.initials_edit.text().strip()
        if not reason or (self._initials and not initials):  # asked first: no PIN try spent on a half-filled form
            self.message_label.show_message(Level.ERROR, self.tr(
                "Type a reason and your initials." if self._initials else "Type a reason."))
            return
        if self._pin_vm is None:
            self.confirmed.emit(reason, initials)
            self.accept()
            return
        pin = self.manager_pin_edit.text()
        self.manager_pin_edit.clear()  # wiped after each try, right or wrong
        self._typed = (reason, initials)
        self._pin_vm.submit(pin)
        if self.isVisible() and self.manager_pin_edit.isEnabled():
            self.manager_pin_edit.setFocus()

    def reject(self) -> None:  # Back, Esc or the window's close button
        self._tick.stop()
        self.manager_pin_edit.clear()
        super().reject()
