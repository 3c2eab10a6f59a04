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


def _skip_dialog(owner, pin_vm):
    from budtender_app.ui.manager.skip_pin_dialog import SkipPinDialog

    return SkipPinDialog("***-***-4567", owner, pin_vm=pin_vm)


def test_with_a_pin_set_the_manager_skip_is_one_dialog_pin_reason_and_initials(qtbot, gate, owner):
    from PySide6.QtWidgets import QLineEdit

    ManagerPinGuard(SettingsStore(), clock=lambda: 1_700_000_000.0).set_pin(PIN)
    skipped = []
    opened = gate.open("Manager PIN to skip", lambda: pytest.fail("a second dialog"), owner,
                       together=lambda vm: _connected(_skip_dialog(owner, vm), skipped))
    one = gate.dialog
    assert opened and one.objectName() == "skip_pin_dialog" and one.isVisible()
    assert not owner.findChildren(ManagerPinDialog), "no PIN prompt stacked under it"
    qtbot.keyClicks(one.findChild(QLineEdit, "skip_reason_edit"), "phone dead, ID checked")
    qtbot.keyClicks(one.findChild(QLineEdit, "skip_initials_edit"), "MK")
    qtbot.keyClicks(one.findChild(QLineEdit, "skip_manager_pin_edit"), "9999")
    qtbot.keyClick(one.findChild(QLineEdit, "skip_manager_pin_edit"), Qt.Key.Key_Return)
    assert skipped == [] and "not the manager PIN" in one.message_label.text()
    assert one.findChild(QLineEdit, "skip_manager_pin_edit").text() == ""  # wiped after the try
    qtbot.keyClicks(one.findChild(QLineEdit, "skip_manager_pin_edit"), PIN)
    qtbot.keyClick(one.findChild(QLineEdit, "skip_manager_pin_edit"), Qt.Key.Key_Return)
    assert skipped == [("phone dead, ID checked", "MK")]
    assert gate.dialog is None and gate.ends == ["finished"]


def test_a_half_filled_skip_spends_no_pin_try(qtbot, gate, owner):
    from PySide6.QtWidgets import QLineEdit

    ManagerPinGuard(SettingsStore(), clock=lambda: 1_700_000_000.0).set_pin(PIN)
    gate.open("Manager PIN to skip", lambda: None, owner, together=lambda vm: _skip_dialog(owner, vm))
    one = gate.dialog
    qtbot.keyClicks(one.findChild(QLineEdit, "skip_manager_pin_edit"), "9999")
    qtbot.keyClick(one.findChild(QLineEdit, "skip_manager_pin_edit"), Qt.Key.Key_Return)
    assert "Type a reason and your initials" in one.message_label.text()
    assert "tries left" not in one.message_label.text()


def test_with_no_pin_yet_the_pin_is_chosen_first_then_the_reason_is_asked(qtbot, gate, owner):
    gate.open("Manager PIN to skip", lambda: _skip_dialog(owner, None), owner,
              together=lambda vm: _skip_dialog(owner, vm))
    choose_pin(qtbot, gate)
    why = gate.dialog
    assert why.objectName() == "skip_pin_dialog" and not why.manager_pin_edit.isVisible()


def _connected(dialog, seen):
    dialog.confirmed.connect(lambda reason, initials: seen.append((reason, initials)))
    return dialog
