"""A manager's approval, then what it guards: the one way the counter opens a manager's dialog or action.

Settings (F12), Redemptions (F11) and "skip the shopper's PIN" all go through here. With staff
sign-in (``approval`` given) a signed-in manager goes straight on, and over a cashier's session a
manager types their own passcode (viewmodels/manager_approval.py); the approval lasts until what
it opened closes, or the counter locks (then what it opened closes too). Without sign-in (the
staff file could not open) the terminal's shared manager PIN is asked, as before staff accounts.

The prompt is opened with open() and answered through its signals, never exec() or a static
QMessageBox: the event loop, and every request in flight, keeps running while a manager types.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from budtender_app.viewmodels.manager_approval import ManagerApproval, Prompt
from budtender_app.viewmodels.manager_pin import ASK

#: What the gate opens once the PIN is right: a dialog to show, or None (an action was run).
Then = Callable[[], QDialog | None]
#: A dialog that asks the manager PIN itself (with the PIN view model), or None to ask it apart.
Together = Callable[[Prompt], QDialog | None]


class ManagerGate(QObject):
    """One manager prompt at a time: the PIN dialog first, then the dialog it guards."""

    finished = Signal()  # the PIN was refused or cancelled, or the guarded dialog closed

    def __init__(self, make_pin_vm: Callable[[], Prompt] | None, parent: QObject | None = None, *,
                 approval: ManagerApproval | None = None) -> None:
        super().__init__(parent)
        self._make_pin_vm = make_pin_vm
        self._approval = approval
        self._dialog: QDialog | None = None
        self._then: Then | None = None
        if approval is not None:
            approval.revoked.connect(self.close)  # a lock: what a manager approved closes with it

    @property
    def available(self) -> bool:
        """A manager PIN can be asked (the app was given a way to check one)."""
        return self._make_pin_vm is not None

    @property
    def dialog(self) -> QDialog | None:
        """The PIN prompt, or the dialog behind it, while one is open."""
        return self._dialog

    def open(self, purpose: str, then: Then, parent: QWidget, together: Together | None = None) -> bool:
        """Ask the manager PIN (saying ``purpose``), then call ``then``; False when one is already open.

        With ``together``, a PIN already set is asked in the dialog it makes: one dialog, not two.
        """
        if self._make_pin_vm is None or self._dialog is not None:
            return False
        manager = self._approval.signed_in_manager() if self._approval is not None else None
        if manager is not None and self._approval is not None:  # a signed-in manager approves their own act
            self._approval.grant(manager)
            self._then = then
            self._go_on()
            return True
        pin_vm = self._make_pin_vm()
        one = together(pin_vm) if together is not None and pin_vm.mode is ASK else None
        if one is not None:
            self._show(one)
            return True
        # Imported here: the manager's screens cost start-up time and most sales never open them.
        from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog

        ask = ManagerPinDialog(pin_vm, purpose, parent)
        ask.accepted_pin.connect(self._on_ask_accepted_pin)
        self._then = then
        self._show(ask)
        return True

    def close(self) -> None:
        """Close what is open (the screen it belongs to went away): nothing is left asking."""
        dialog = self._dialog  # open, if perhaps held out of sight by a lock (lock_hold.py): closed all the same
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.done(0)

    def _show(self, dialog: QDialog) -> None:
        dialog.finished.connect(self._on_dialog_finished)
        self._dialog = dialog
        dialog.open()

    def _on_ask_accepted_pin(self) -> None:
        ask = self._dialog
        self._dialog = None
        if ask is not None:
            ask.finished.disconnect(self._on_dialog_finished)  # the gate goes on: not finished yet
            ask.done(0)
            ask.deleteLater()
        self._go_on()

    def _go_on(self) -> None:
        """Approved: open what is guarded (or run it), and end the approval when that is over."""
        then, self._then = self._then, None
        try:
            follow = then() if then is not None else None
        except BaseException:
            self._end()  # what was approved failed to open: the approval must not outlive it
            raise
        if follow is None:
            self._end()
        else:
            self._show(follow)

    def _on_dialog_finished(self, _result: int = 0) -> None:
        dialog, self._dialog, self._then = self._dialog, None, None
        if dialog is not None:
            dialog.deleteLater()
        self._end()

    def _end(self) -> None:
        if self._approval is not None:
            self._approval.end()
        self.finished.emit()
