"""The PIN popup by keyboard: Tab runs forward, and Ctrl+R (shown on the button) resends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from budtender_app.ui.counter.pin_dialog import RESEND_KEY, PinDialog
from tests.helpers import wait_for_focus


@pytest.mark.asyncio
async def test_tab_runs_forward_through_the_pin_popup(qtbot):
    dialog = PinDialog("***-***-4567")
    qtbot.addWidget(dialog)
    dialog.skip_button.setVisible(True)  # a store with a manager PIN set
    dialog.open()
    dialog.activateWindow()
    dialog.pin_edit.setFocus()
    await wait_for_focus(dialog.pin_edit)
    seen = [dialog.pin_edit.objectName()]
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget().objectName())
    assert seen == ["pin_edit", "open_wallet_button", "resend_pin_button", "manager_skip_button", "pin_back_button"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is dialog.skip_button


@pytest.mark.asyncio
async def test_the_resend_key_is_on_the_button_and_works_only_after_the_countdown(qtbot):
    dialog = PinDialog("***-***-4567")
    qtbot.addWidget(dialog)
    resent = []
    dialog.resend_requested.connect(lambda: resent.append(True))
    dialog.open()
    dialog.activateWindow()
    dialog.pin_edit.setFocus()
    await wait_for_focus(dialog.pin_edit)  # a shortcut works in the active window only
    dialog.set_resend_seconds(12)
    assert dialog.resend_button.text() == "Resend PIN in 12 s (Ctrl+R)"
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert resent == []
    dialog.set_resend_seconds(0)
    assert dialog.resend_button.text() == f"Resend PIN ({RESEND_KEY})" == "Resend PIN (Ctrl+R)"
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert resent == [True]
