"""What every dialog of the app shares: its name and modality, the app's look, a message band, a button row.

Opened with open(), never exec(): the event loop, and every task on it, keeps running.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QWidget

from budtender_app.ui.common.style import ensure_style
from budtender_app.ui.common.widgets import MessageLabel, named

#: Wide enough for a two-line message (at counter size) without the dialog growing sideways.
DIALOG_MIN_WIDTH = 520
#: A big dialog (settings, redemptions): it fits a 1024x768 screen with its task bar and title bar.
DIALOG_MIN_SIZE = QSize(900, 620)


class AppDialog(QDialog):
    """A modal dialog named ``object_name`` with its message band (``message_label``) made ready."""

    def __init__(self, parent: QWidget | None, object_name: str, message_name: str) -> None:
        super().__init__(parent)
        ensure_style()  # a dialog built without app.py (tests, screenshots) looks the same
        self.setObjectName(object_name)
        self.setModal(True)
        self.message_label = MessageLabel(message_name, self)

    def button(self, text: str, object_name: str, accessible: str, *, auto_default: bool = False) -> QPushButton:
        """A named button; not auto-default, so Enter in a field does only what the field says."""
        button = named(QPushButton(text, self), object_name, accessible)
        button.setAutoDefault(auto_default)
        return button


def button_row(*right: QWidget, left: Iterable[QWidget] = ()) -> QHBoxLayout:
    """The row at the bottom of a dialog: ``left`` at the start, ``right`` at the end (the main one last)."""
    row = QHBoxLayout()
    left = list(left)
    for widget in left:
        row.addWidget(widget)
    row.addStretch(1)
    for widget in right:
        row.addWidget(widget)
    widgets = [*left, *right]
    for before, after in pairwise(widgets):
        QWidget.setTabOrder(before, after)  # Tab goes left to right, whichever button was made first
    return row
