"""The one manager gate: the PIN first, then the window (or action) it guards, one at a time."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.gate import ManagerGate
from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
from budtender_app.viewmodels.manager_pin import ManagerPinViewModel

PIN = "4826"


@pytest.fixture
def owner(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def gate(owner):
    guard = ManagerPinGuard(SettingsStore(), clock=lambda: 1_700_000_000.0)
    gate = ManagerGate(lambda: ManagerPinViewModel(guard), owner)
    gate.ends = []
    gate.finished.connect(lambda: gate.ends.append("finished"))
    return gate


def choose_pin(qtbot, gate) -> None:
    ask = gate.dialog
    assert isinstance(ask, ManagerPinDialog) and ask.isVisible()
    qtbot.keyClicks(ask.pin_edit, PIN)
    qtbot.keyClicks(ask.confirm_edit, PIN)
    qtbot.keyClick(ask.pin_edit, Qt.Key.Key_Return)


def test_nothing_opens_without_a_way_to_check_the_pin(owner):
    gate = ManagerGate(None, owner)
    assert not gate.available
    assert not gate.open("why", lambda: pytest.fail("opened without the PIN"), owner)
    assert gate.dialog is None


def test_a_cancelled_pin_opens_nothing_and_finishes(qtbot, gate, owner):
    assert gate.open("Type the manager PIN.", lambda: pytest.fail("opened without the PIN"), owner)
    qtbot.keyClick(gate.dialog, Qt.Key.Key_Escape)
    assert gate.dialog is None and gate.ends == ["finished"]


def test_the_right_pin_opens_the_guarded_window_and_its_close_finishes(qtbot, gate, owner):
    guarded = QDialog(owner)
    assert gate.open("Type the manager PIN.", lambda: guarded, owner)
    assert not gate.open("again", lambda: pytest.fail("a second prompt"), owner), "one at a time"
    choose_pin(qtbot, gate)
    assert gate.dialog is guarded and guarded.isVisible() and gate.ends == []
    guarded.done(0)
    assert gate.dialog is None and gate.ends == ["finished"]


def test_an_action_behind_the_pin_runs_once_and_finishes(qtbot, gate, owner):
    ran = []
    gate.open("Type the manager PIN.", lambda: ran.append("action"), owner)
    choose_pin(qtbot, gate)
    assert ran == ["action"] and gate.dialog is None and gate.ends == ["finished"]


def test_close_takes_the_prompt_away(qtbot, gate, owner):
    gate.open("Type the manager PIN.", lambda: pytest.fail("opened without the PIN"), owner)
    ask = gate.dialog
    gate.close()
    assert not ask.isVisible() and gate.dialog is None and gate.ends == ["finished"]
