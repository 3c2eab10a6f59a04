"""Small pieces the screens share: the message line, the busy strip, naming helpers."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

# A request answered sooner never shows the busy strip (people read a bar that flashes for a
# moment as something going wrong); a slower one shows it before anyone wonders.
BUSY_SHOWS_AFTER_MS = 200

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
        self._level: str | None = None
        self.show_message("", "")

    def show_message(self, level: str, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
        if level == self._level:
            return  # a new style sheet restyles the label and relayouts the window: only on change
        self._level = level
        weight = "600" if level == "error" else "400"
        box = BOXES.get(level, "")
        padding = "padding: 6px 8px; border-radius: 4px;" if box else ""
        self.setStyleSheet(f"color: {COLORS.get(level, COLORS[''])}; font-weight: {weight}; {box} {padding}")


class BusyStrip(QWidget):
    """Shown while a request is in flight: what is happening, a moving bar, and how to stop it.

    ``show_after_ms``: appear only once the request has taken that long. An answer that comes
    sooner never flashes a bar on screen (nor costs the counter a relayout and a repaint);
    Esc cancels all the same, and what must not be typed into is locked at once by its owner.
    """

    def __init__(self, parent: QWidget | None = None, *, show_after_ms: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("busy_strip")
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(show_after_ms)
        self._show_timer.timeout.connect(self.show)
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
        if not text:
            self._show_timer.stop()
            self.hide()
        elif self._show_timer.interval() <= 0:
            self.show()
        elif not self.isVisible() and not self._show_timer.isActive():
            self._show_timer.start()

    @property
    def busy(self) -> bool:
        """Busy, whether or not the strip has appeared yet."""
        return bool(self.label.text())
