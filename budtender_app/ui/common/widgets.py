"""Small pieces the screens share: the message line, the busy strip, naming helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.style import set_level, styled

# A request answered sooner never shows the busy strip (people read a bar that flashes for a
# moment as something going wrong); a slower one shows it before anyone wonders.
BUSY_SHOWS_AFTER_MS = 200

W = TypeVar("W", bound=QWidget)


def named(widget: W, object_name: str, accessible: str) -> W:
    """Every interactive widget gets an object name (tests, styles) and an accessible name."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    return widget


def centred(widget: QWidget, max_width: int) -> QHBoxLayout:
    """A row holding ``widget`` as wide as the room allows up to ``max_width``, centred in the rest."""
    widget.setMaximumWidth(max_width)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget, 1000)  # the widget takes the room up to its maximum, the margins the rest
    row.addStretch(1)
    return row


@contextmanager
def one_layout_pass(widget: QWidget) -> Iterator[None]:
    """Lay out what changes in ``widget`` once, on the loop's next turn (before it paints).

    Qt lays a shown widget's parent out at once, each time a child appears: the outcome page
    showing its banner as AIQ's first answer came relayouted the page there and then (about
    2 ms), and again with the table and the slip a moment later.
    """
    layout = widget.layout()
    if layout is None or not layout.isEnabled():
        yield
        return
    layout.setEnabled(False)
    try:
        yield
    finally:
        layout.setEnabled(True)
        layout.update()  # one posted layout request: Qt lays it out before the next paint


def plural(count: int, one: str, many: str) -> str:
    """ "1 redemption", "2 redemptions": a count with its noun spelled out for one or for many."""
    return f"{count:,} {one if count == 1 else many}"


class WrappedLabel(QLabel):
    """A word-wrapped line that remembers its height for a width until its words or look change.

    Qt asks every page of the counter's stack for its height at a width, the hidden pages too,
    at each layout pass of the window (every step), and at two widths in turn, so a page's
    cache never held: each wrapped line was laid out again, glyph by glyph, several times a
    step. With issue 12's larger type that was most of what a step cost the GUI thread. The
    answer is Qt's own (QLabel.heightForWidth); only asking again for the same one is spared.

    The remembered heights are keyed by width and words only, and forgotten when anything else
    that shapes the line changes: its font or style (a style sheet also sets its frame), its
    contents rect (margins, frame) or its margin and indent. Reading all of those at every ask
    (``font().key()`` is QFont.toString) cost more than a million instructions a redeem.
    """

    _FORGET = (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.ContentsRectChange,
               QEvent.Type.LayoutDirectionChange)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._heights: dict[tuple[int, str], int] = {}

    def heightForWidth(self, width: int) -> int:
        key = (width, self.text())
        height = self._heights.get(key)
        if height is None:
            if len(self._heights) > 16:  # a few widths per text: the window's, a size hint's
                self._heights.clear()
            height = self._heights[key] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in self._FORGET:
            self._heights.clear()
        super().changeEvent(event)

    def setMargin(self, margin: int) -> None:
        self._heights.clear()
        super().setMargin(margin)

    def setIndent(self, indent: int) -> None:
        self._heights.clear()
        super().setIndent(indent)


class MessageLabel(QLabel):
    """One line of plain words for the cashier: red for errors, blue for information (style.py)."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        styled(named(self, object_name, "Message"), kind="message")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_message(Level.CLEAR, "")

    def show_message(self, level: Level | str, text: str) -> None:
        """Show ``text`` at ``level`` ("" hides the line); the colours come from the style sheet."""
        self.setText(text)
        set_level(self, level)  # restyles (and relayouts) only when the level changed; before it shows
        self.setVisible(bool(text))


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
        self.cancel_button = named(QPushButton(self.tr("Cancel (Esc)"), self), "busy_cancel_button",
                                   "Cancel the request")
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
