"""The counter's open popups while it is locked (issue 13): held out of sight, then given back.

The sign-in screen covers only the window's central widget; a popup (the shopper's PIN, checkout,
loyalty, a question, a manager's prompt) is a window of its own, window-modal over the counter.
Left up, whoever walks up to a locked counter could act in it, and its modality would keep the
keyboard from the sign-in field. So at a lock every open dialog of the window is hidden, not
closed: nothing it says to its view model happens, its typed words stay, the sale goes on. Secret
fields (the shopper's PIN, a manager's passcode: ``secret`` below) are wiped. The next sign-in,
by anyone, shows them again in the same order (a prompt over a popup comes back over it) with the
keyboard where it was.

While locked, a popup the sale opens by itself (an AIQ answer that was in flight: checkout after
the wallet, say) is held as it shows, and no key or click reaches any popup of the window.
A held popup that its owner closes meanwhile (done(), close()) is not brought back, nor is a
prompt whose popup beneath it went.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDialog, QLineEdit, QMainWindow, QWidget

#: A field marked so (``field.setProperty(SECRET, True)``) is wiped at a lock; a password field always is.
SECRET = "secret"  # noqa: S105 - a property name, not a password
_INPUT = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut,
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin,
})


def secret(field: QLineEdit) -> bool:
    """A field whose text must not outlive a lock."""
    return bool(field.property(SECRET)) or field.echoMode() is not QLineEdit.EchoMode.Normal


def _over(child: QWidget, dialog: QWidget) -> bool:
    """``child`` stands on ``dialog`` (its parent, or a parent's parent, across windows)."""
    parent = child.parentWidget()
    while parent is not None and parent is not dialog:
        parent = parent.parentWidget()
    return parent is dialog


class DialogHold(QObject):
    """Hides the window's open dialogs at ``hold()`` and shows them again at ``give_back()``."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._held: list[tuple[QDialog, QWidget | None]] = []
        self.holding = False

    @property
    def held(self) -> list[QDialog]:
        """The popups out of sight now, bottom first."""
        return [dialog for dialog, _focus in self._held]

    def hold(self) -> None:
        """The counter locks: every open popup of the window out of sight, its secrets wiped."""
        self.holding = True
        for dialog in self._window.findChildren(QDialog):  # parents before children: bottom first
            if dialog.isVisible():
                self._hold_one(dialog)
        if self._held:
            self._window.activateWindow()  # the keyboard to the sign-in field, not to a hidden popup

    def give_back(self, closing: QDialog | None = None) -> None:
        """Someone signed in: the held popups come back, bottom first, the keyboard where it was.

        ``closing`` (a manager's window, when a cashier signs in) is closed instead, with what stands on it.
        """
        self.holding = False
        if closing is not None and self._is_held(closing):
            closing.done(0)  # finished: dropped, with any prompt over it; its gate hears it closed
        held, self._held = self._held, []
        top: tuple[QDialog, QWidget | None] | None = None
        for dialog, focus in held:
            if not shiboken6.isValid(dialog):
                continue
            dialog.finished.disconnect(self._on_held_finished)
            dialog.show()  # its modality (set by open()) stays: the window behind is blocked again
            top = (dialog, focus)
        if top is not None:
            dialog, focus = top
            dialog.activateWindow()
            (focus if focus is not None and shiboken6.isValid(focus) and focus.isEnabled() else dialog).setFocus()

    def filter(self, watched: QObject, event: QEvent) -> bool:
        """The counter's event filter asks this while locked: True keeps the event from a popup."""
        if not self.holding or not isinstance(watched, QWidget):
            return False
        dialog = self._dialog_of(watched)
        if dialog is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.Show and watched is dialog:
            # Opened by the sale while locked: hidden once its show is done (hiding inside it is undone).
            QTimer.singleShot(0, dialog, lambda: self._hold_late(dialog))
        elif kind == QEvent.Type.Close and watched is dialog:
            self._drop(dialog)
        return kind in _INPUT

    # -- inside --------------------------------------------------------------------------------

    def _dialog_of(self, widget: QWidget) -> QDialog | None:
        top = widget.window()
        if not isinstance(top, QDialog):
            return None
        parent = top.parentWidget()
        while parent is not None and parent is not self._window:
            parent = parent.parentWidget()
        return top if parent is self._window else None

    def _is_held(self, dialog: QDialog) -> bool:
        return any(held is dialog for held, _focus in self._held)

    def _hold_late(self, dialog: QDialog) -> None:
        if not (self.holding and shiboken6.isValid(dialog) and dialog.isVisible()):
            return
        if self._is_held(dialog):
            dialog.hide()  # opened again by its owner: still out of sight
        else:
            self._hold_one(dialog)
        self._window.activateWindow()

    def _hold_one(self, dialog: QDialog) -> None:
        for field in dialog.findChildren(QLineEdit):
            if secret(field):
                field.clear()
        self._held.append((dialog, dialog.focusWidget()))
        dialog.finished.connect(self._on_held_finished)
        dialog.hide()  # not done(): no answer is given, nothing is cancelled

    def _on_held_finished(self, _result: int = 0) -> None:
        sender = self.sender()
        if isinstance(sender, QDialog):
            self._drop(sender)

    def _drop(self, dialog: QDialog) -> None:
        """A held popup was closed by its owner: it stays closed, and so does any prompt over it."""
        if not self._is_held(dialog):
            return
        self._held = [(d, f) for d, f in self._held if d is not dialog]
        if shiboken6.isValid(dialog):
            dialog.finished.disconnect(self._on_held_finished)
        for child, _focus in list(self._held):
            if shiboken6.isValid(child) and _over(child, dialog):
                child.done(0)  # emits finished: dropped in turn, and its owner (a gate) hears it
