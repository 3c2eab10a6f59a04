"""The phone field's hint: a demo shopper to try in training, only the format at a real counter."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from PySide6.QtWidgets import QLineEdit

from budtender_app.ui.counter.pages import PhonePage


@pytest.mark.parametrize(("training", "hint"), [
    (True, "(555) 123-4567"),
    (False, "10-digit phone, e.g. (xxx) xxx-xxxx"),
])
def test_the_phone_hint_is_the_demo_number_only_in_training(qtbot, training, hint):
    page = PhonePage(MagicMock(), training=training)
    qtbot.addWidget(page)
    assert page.findChild(QLineEdit, "phone_edit").placeholderText() == hint
