"""The counter window's side of a hand-off from the POS (issue 14): the fields show what it filled in.

The view model's intake (viewmodels/handoff.py) decides and says the outcome (in the message
band, where the window shows the view model's words); this fills the cart field with the total
and, when the cashier presses F2, the phone field with a phone the POS sent over the socket.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLineEdit

from budtender_app.domain.flow import Step
from budtender_app.domain.handoff import Handoff
from budtender_app.viewmodels.redemption import RedemptionViewModel


class HandoffView(QObject):
    """Built after the window connected its own redraw (which clears the phone field at F2)."""

    def __init__(self, vm: RedemptionViewModel, cart_edit: QLineEdit, phone_edit: QLineEdit,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self._cart_edit = cart_edit
        self._phone_edit = phone_edit
        vm.handoff.total_filled.connect(self._on_total_filled)
        vm.step_changed.connect(self._on_vm_step_changed)  # after the window's redraw: connected after it

    def take(self, handoff: Handoff) -> tuple[bool, str]:
        """Fill in what the POS handed over (never redeems): (True, what) or (False, why not)."""
        return self._vm.handoff.take(handoff)

    def _on_total_filled(self, text: str) -> None:
        self._cart_edit.setText(text)
        if self._cart_edit.hasFocus():
            self._cart_edit.selectAll()  # F2 goes on with it; typing replaces it

    def _on_vm_step_changed(self, step: Step) -> None:
        if step is Step.PHONE and self._vm.phone is None:
            phone = self._vm.handoff.take_phone()
            if phone:
                self._phone_edit.setText(phone)  # the one place a phone shows in full; Enter texts the PIN
                self._phone_edit.selectAll()
