"""WrappedLabel remembers its height for a width (ui/common/widgets.py): whatever changes the
line's shape, its answer is always the one a plain word-wrapped QLabel gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel

from budtender_app.ui.common.widgets import WrappedLabel

WORDS = "Apply these discounts in the POS, then finish the sale there: every line of the order keyed"


def _plain(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _change(label: QLabel, what: str, value: int) -> None:
    if what == "text":
        label.setText(WORDS[: 10 + value % len(WORDS)])
    elif what == "font":
        font = QFont(label.font())
        font.setPointSize(8 + value % 20)
        label.setFont(font)
    elif what == "margins":
        label.setContentsMargins(value % 30, 2, value % 17, 1)
    elif what == "frame":
        label.setFrameStyle(QFrame.Shape.Box | QFrame.Shadow.Plain)
        label.setLineWidth(value % 9)
    elif what == "margin":
        label.setMargin(value % 25)
    elif what == "indent":
        label.setIndent(value % 40)
    elif what == "style":
        label.setStyleSheet(f"QLabel {{ padding: {value % 21}px; font-size: {9 + value % 15}pt; }}")


CHANGES = st.lists(st.tuples(st.sampled_from(["text", "font", "margins", "frame", "margin", "indent", "style"]),
                             st.integers(0, 1000), st.integers(40, 900)), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(changes=CHANGES)
def test_its_height_is_always_qts_own(qapp, changes):
    wrapped, plain = WrappedLabel(WORDS), _plain(WORDS)
    for what, value, width in changes:
        assert wrapped.heightForWidth(width) == plain.heightForWidth(width)  # remembered before the change
        for label in (wrapped, plain):
            _change(label, what, value)
        assert wrapped.heightForWidth(width) == plain.heightForWidth(width), what
        assert wrapped.heightForWidth(width + 1) == plain.heightForWidth(width + 1), what


@pytest.mark.parametrize("width", [120, 480])
def test_asking_again_is_answered_from_memory(qapp, width):
    label = WrappedLabel(WORDS)
    first = label.heightForWidth(width)
    assert label._heights == {(width, WORDS): first}
    assert label.heightForWidth(width) == first
