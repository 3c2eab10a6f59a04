"""The counter's keys: F2 redeem, F3 loyalty, F9 checkout, F11 redemptions, F12 settings, Esc (back one
step), Shift+Esc (cancel the redemption: asked first), Quit.

QShortcuts on the window, so they work wherever the keyboard is in it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

# The window's log, as before this moved here: the end-to-end tests read its "focus …" lines.
log = logging.getLogger("budtender_app.ui.main_window")

Action = Callable[[], object]
#: Cancel the whole redemption (asked first): a deliberate key, never the Esc that steps back.
CANCEL_REDEMPTION_KEY = "Shift+Esc"


def create_counter_shortcuts(window: QWidget, keys: dict[Qt.Key | str, Action], quit_window: Action) -> None:
    """One shortcut per key (a Qt.Key, or a combination such as "Shift+Esc") in ``keys``, and the
    platform's Quit keys for ``quit_window``."""
    for key, action in keys.items():
        QShortcut(QKeySequence(key), window, action)
    # The platform's Quit keys, and Ctrl+Q where the platform names none (Windows, offscreen).
    quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
    for sequence in quit_keys:
        QShortcut(sequence, window, quit_window)


def create_done_keys(window: QWidget, new_sale: Action) -> tuple[QShortcut, QShortcut]:
    """Enter (both keys) starts a new sale; the window enables them on the outcome screen only."""
    return (QShortcut(QKeySequence(Qt.Key.Key_Return), window, new_sale),
            QShortcut(QKeySequence(Qt.Key.Key_Enter), window, new_sale))


class FocusLog(QObject):
    """At DEBUG, where the keyboard is ("focus cart_edit"): the end-to-end test types only where it should.
    A child of the window, so the application's signal lets go of it with the window."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)

    def _on_app_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and new.objectName():
            log.debug("focus %s", new.objectName())
