"""The manager PIN, then what it guards: the one way the counter opens a manager's dialog or action.

Settings (F12), Redemptions (F11) and "skip the shopper's PIN" all go through here. The PIN
prompt is opened with open() and answered through its signals, never exec() or a static
QMessageBox: the event loop, and every request in flight, keeps running while a manager types.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from budtender_app.viewmodels.manager_pin import ASK, ManagerPinViewModel

#: What the gate opens once the PIN is right: a dialog to show, or None (an action was run).
Then = Callable[[], QDialog | None]
#: A dialog that asks the manager PIN itself (with the PIN view model), or None to ask it apart.
Together = Callable[[ManagerPinViewModel], QDialog | None]


class ManagerGate(QObject):
    """One manager prompt at a time: the PIN dialog first, then the dialog it guards."""

    finished = Signal()  # the PIN was refused or cancelled, or the guarded dialog closed

    def __init__(self, make_pin_vm: Callable[[], ManagerPinViewModel] | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_pin_vm = make_pin_vm
        self._dialog: QDialog | None = None
        self._then: Then | None = None

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
        dialog = self._dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.done(0)

    def _show(self, dialog: QDialog) -> None:
        dialog.finished.connect(self._on_dialog_finished)
        self._dialog = dialog
        dialog.open()

    def _on_ask_accepted_pin(self) -> None:
        ask, then = self._dialog, self._then
        self._dialog, self._then = None, None
        if ask is not None:
            ask.finished.disconnect(self._on_dialog_finished)  # the gate goes on: not finished yet
            ask.done(0)
            ask.deleteLater()
        follow = then() if then is not None else None
        if follow is None:
            self.finished.emit()
        else:
            self._show(follow)

    def _on_dialog_finished(self, _result: int = 0) -> None:
        dialog, self._dialog, self._then = self._dialog, None, None
        if dialog is not None:
            dialog.deleteLater()
        self.finished.emit()
