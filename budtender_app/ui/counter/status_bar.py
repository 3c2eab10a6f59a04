"""The counter window's status bar: the manager's buttons, the pending warning, the store line.

Flat buttons that never take the keyboard (F11 and F12 are the keys); the store line takes the
rest of the bar and wraps onto a second line rather than being cut off.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton

from budtender_app.ui.common.widgets import named


def create_status_bar(window: QMainWindow, location: str, *, settings: Callable[[], None] | None,
                      redemptions: Callable[[], None] | None) -> tuple[QPushButton, QPushButton, QLabel, QLabel]:
    """(settings button, redemptions button, pending warning, store line), in the window's bar;
    a button whose action is None is hidden (nothing behind it on this terminal)."""
    settings_button = _create_flat_button(window, window.tr("Settings (F12)"), "settings_button",
                                          "Manager settings", settings)
    pending_button = _create_flat_button(window, window.tr("Redemptions (F11)"), "pending_button",
                                         "Pending redemptions, refunds and export", redemptions)
    pending_label = QLabel(window)
    pending_label.setObjectName("pending_label")
    location_label = QLabel(location, window)
    location_label.setObjectName("location_label")
    bar = window.statusBar()
    for widget in (settings_button, pending_button, pending_label):
        bar.addWidget(widget)
    location_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    bar.addPermanentWidget(location_label, 1)
    show_location(location_label, location)
    return settings_button, pending_button, pending_label, location_label


def show_location(label: QLabel, location: str) -> None:
    """The store line: never more than two lines, never cut off (a status bar does not grow for a
    wrapped label, so the label asks for the room of two lines itself)."""
    label.setText(location)
    metrics = label.fontMetrics()
    label.setMinimumWidth(min(metrics.horizontalAdvance(location) // 2 + metrics.averageCharWidth() * 2, 230))
    label.setMinimumHeight(metrics.lineSpacing() * 2 + 4)


def _create_flat_button(window: QMainWindow, text: str, name: str, accessible: str,
                        action: Callable[[], None] | None) -> QPushButton:
    button = named(QPushButton(text, window), name, accessible)
    button.setFlat(True)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if action is not None:
        button.clicked.connect(action)
    button.setVisible(action is not None)
    return button
