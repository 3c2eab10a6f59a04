"""Small pieces the screens share: the message line, the busy strip, naming helpers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

COLORS = {"error": "#b00020", "info": "#0b5394", "": "#333333"}
BOXES = {"error": "background: #fdecea; border: 1px solid #f5c2c0;",
         "info": "background: #e8f0fe; border: 1px solid #c6d7f5;", "": ""}


def named(widget, object_name: str, accessible: str):
    """Every interactive widget gets an object name (tests, styles) and an accessible name."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    return widget


class MessageLabel(QLabel):
    """One line of plain words for the cashier: red for errors, blue for information."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, object_name, "Message")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_message("", "")

    def show_message(self, level: str, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
        weight = "600" if level == "error" else "400"
        box = BOXES.get(level, "")
        padding = "padding: 6px 8px; border-radius: 4px;" if box else ""
        self.setStyleSheet(f"color: {COLORS.get(level, COLORS[''])}; font-weight: {weight}; {box} {padding}")


class BusyStrip(QWidget):
    """Shown while a request is in flight: what is happening, a moving bar, and how to stop it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busy_strip")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setObjectName("busy_label")
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(160)
        self.cancel_button = named(QPushButton(self.tr("Cancel (Esc)"), self), "busy_cancel_button", "Cancel the request")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_busy(self, text: str, cancellable: bool) -> None:
        self.label.setText(text)
        self.cancel_button.setVisible(cancellable)
        self.setVisible(bool(text))
