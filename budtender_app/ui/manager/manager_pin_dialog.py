"""The manager PIN prompt: choose one at first setup ("set"), or type it ("ask").

Opened with open(), never exec(). Says what happened through accepted_pin() / cancelled();
the PIN fields are wiped after every try so no PIN lingers in a widget.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QTimer, Signal
from PySide6.QtGui import QFont, QRegularExpressionValidator
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.widgets import named
from budtender_app.viewmodels.manager_approval import Prompt
from budtender_app.viewmodels.manager_pin import REFUSED, SET, ManagerPinViewModel


class ManagerPinDialog(AppDialog):
    """Asks for the manager PIN (or a new one); the view model decides if it is right."""

    accepted_pin = Signal()
    cancelled = Signal()

    def __init__(self, vm: Prompt, purpose: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent, "manager_pin_dialog", "manager_pin_message_label")
        self._vm = vm
        self._purpose = purpose
        self.intro_label = QLabel(self)
        self.intro_label.setObjectName("manager_pin_intro_label")
        self.intro_label.setWordWrap(True)
        self._build_form(vm.digits_range[1])
        self.ok_button = self.button("", "manager_pin_ok_button", "Submit the manager PIN")
        # Not auto-default: Enter in a PIN field submits once, through returnPressed.
        self.ok_button.clicked.connect(self._on_ok_button_clicked)
        cancel = self.button(self.tr("Cancel"), "manager_pin_cancel_button", "Cancel")
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.intro_label)
        layout.addLayout(self._form)
        layout.addWidget(self.message_label)
        layout.addStretch(1)
        layout.addLayout(button_row(cancel, self.ok_button))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(vm.refresh)
        vm.message_changed.connect(self._on_vm_message_changed)
        vm.locked_changed.connect(self._on_vm_locked_changed)
        vm.accepted.connect(self._on_vm_accepted)
        self._show_mode()
        vm.refresh()

    def _build_form(self, max_digits: int) -> None:
        self.pin_edit = self._pin_edit("manager_pin_edit", self.tr("Manager PIN"), max_digits)
        self.confirm_edit = self._pin_edit("manager_pin_confirm_edit", self.tr("Manager PIN again"), max_digits)
        self._form = QFormLayout()
        self._pin_caption = QLabel(self)
        self._pin_caption.setBuddy(self.pin_edit)
        self._confirm_caption = QLabel(self.tr("The same &again:"), self)
        self._confirm_caption.setBuddy(self.confirm_edit)
        self._form.addRow(self._pin_caption, self.pin_edit)
        self._form.addRow(self._confirm_caption, self.confirm_edit)

    def _pin_edit(self, object_name: str, accessible: str, max_digits: int) -> QLineEdit:
        edit = named(QLineEdit(self), object_name, accessible)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setValidator(QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{max_digits}}}"), self))
        edit.setMaxLength(max_digits)
        font = QFont(edit.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        edit.setFont(font)
        edit.setFixedWidth(180)
        edit.returnPressed.connect(self._on_ok_button_clicked)
        return edit

    def _show_mode(self) -> None:
        low, high = self._vm.digits_range
        choosing, refused = self._vm.mode == SET, self._vm.mode == REFUSED
        if refused:
            self.setWindowTitle(self.tr("Manager actions are off"))
        else:
            self.setWindowTitle(self.tr("Choose a manager PIN") if choosing else self.tr(self._vm.title))
        if choosing:
            self.intro_label.setText(self.tr(
                "Choose a manager PIN for this terminal: {low} to {high} digits, not a run like 1234 "
                "or one digit repeated. Managers type it before changing the AIQ settings.").format(low=low, high=high))
        else:
            self.intro_label.setText(self._purpose or self.tr("A manager PIN is needed for this."))
        self._pin_caption.setText(self.tr("New &PIN:") if choosing else self.tr(self._vm.caption))
        self.ok_button.setText(self.tr("Set PIN") if choosing else self.tr("OK"))
        # Refused: no field to type a PIN into; the message says why and what IT does.
        self._form.setRowVisible(self.pin_edit, not refused)
        self._form.setRowVisible(self.confirm_edit, choosing)
        self.ok_button.setVisible(not refused)

    # -- from the view model -------------------------------------------------------------------

    def _on_vm_message_changed(self, level: Level | str, text: str) -> None:
        self.message_label.show_message(level, text)
        self._show_mode()  # "no PIN set yet" turns an ask into a set
        self.adjustSize()  # taller for a message, so nothing is squeezed

    def _on_vm_locked_changed(self, seconds: int) -> None:
        locked = seconds > 0
        for widget in (self.pin_edit, self.confirm_edit, self.ok_button):
            widget.setEnabled(not locked)
        if locked:
            self._tick.start()
        else:
            self._tick.stop()
            self.pin_edit.setFocus()

    def _on_vm_accepted(self) -> None:
        self._tick.stop()
        self.accepted_pin.emit()
        self.accept()

    # -- from the manager ----------------------------------------------------------------------

    def _on_ok_button_clicked(self) -> None:
        pin, confirm = self.pin_edit.text(), self.confirm_edit.text()
        self.pin_edit.clear()  # wiped after each try, right or wrong
        self.confirm_edit.clear()
        if self._vm.mode == SET and isinstance(self._vm, ManagerPinViewModel):
            self._vm.submit_new(pin, confirm)
        else:
            self._vm.submit(pin)
        if self.isVisible() and self.pin_edit.isEnabled():
            self.pin_edit.setFocus()

    def reject(self) -> None:  # Cancel, Esc or the window's close button
        self._tick.stop()
        self.pin_edit.clear()
        self.confirm_edit.clear()
        super().reject()
        self.cancelled.emit()
