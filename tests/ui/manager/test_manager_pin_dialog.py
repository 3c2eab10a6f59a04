"""The manager PIN prompt: choosing one, typing it, and what a lockout looks like."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
from budtender_app.viewmodels.manager_pin import ManagerPinViewModel

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"Manager action refused: the settings file could not be read",
    r"Manager PIN locked for \d+ s after wrong tries",
)

PIN = "4826"


class Clock:
    now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Emitted:
    def __init__(self, signal) -> None:
        self.count = 0
        signal.connect(self._on_emit)

    def _on_emit(self) -> None:
        self.count += 1


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def guard(clock):
    return ManagerPinGuard(SettingsStore(), clock=clock)


def make_dialog(qtbot, guard, purpose=""):
    dlg = ManagerPinDialog(ManagerPinViewModel(guard), purpose)
    qtbot.addWidget(dlg)
    dlg.open()
    qtbot.waitExposed(dlg)
    return dlg


def submit(qtbot, dlg, pin, confirm=None):
    qtbot.keyClicks(dlg.pin_edit, pin)
    if confirm is not None:
        qtbot.keyClicks(dlg.confirm_edit, confirm)
    qtbot.keyClick(dlg.pin_edit, Qt.Key.Key_Return)


def test_first_setup_asks_for_a_new_pin_twice(qtbot, guard):
    dlg = make_dialog(qtbot, guard)
    accepted = Emitted(dlg.accepted_pin)
    assert dlg.windowTitle() == "Choose a manager PIN" and dlg.confirm_edit.isVisible()
    submit(qtbot, dlg, PIN, "4827")
    assert "not the same" in dlg.message_label.text()
    assert dlg.pin_edit.text() == dlg.confirm_edit.text() == ""  # wiped after each try
    submit(qtbot, dlg, "1234", "1234")
    assert "straight run" in dlg.message_label.text() and not guard.is_set()
    submit(qtbot, dlg, PIN, PIN)
    assert accepted.count == 1 and guard.is_set() and not dlg.isVisible()


def test_asking_for_the_pin(qtbot, guard):
    guard.set_pin(PIN)
    dlg = make_dialog(qtbot, guard, "Type the manager PIN to open the AIQ settings.")
    accepted = Emitted(dlg.accepted_pin)
    assert dlg.windowTitle() == "Manager PIN" and not dlg.confirm_edit.isVisible()
    assert dlg.intro_label.text() == "Type the manager PIN to open the AIQ settings."
    submit(qtbot, dlg, "9999")
    assert dlg.message_label.text() == "That is not the manager PIN. 4 tries left before it locks."
    assert dlg.pin_edit.text() == "" and accepted.count == 0
    submit(qtbot, dlg, PIN)
    assert accepted.count == 1 and not dlg.isVisible()


def test_a_locked_pin_disables_the_field_and_counts_down(qtbot, guard, clock):
    guard.set_pin(PIN)
    dlg = make_dialog(qtbot, guard)
    for _ in range(4):
        submit(qtbot, dlg, "9999")
    assert dlg.message_label.text() == "That is not the manager PIN. 1 try left before it locks."
    submit(qtbot, dlg, "9999")
    assert dlg.message_label.text() == "Too many wrong PINs. Try again in 30 s."
    assert not dlg.pin_edit.isEnabled() and not dlg.ok_button.isEnabled()
    assert dlg._tick.isActive()
    clock.now += 25
    dlg._tick.timeout.emit()
    assert dlg.message_label.text() == "Too many wrong PINs. Try again in 5 s."
    clock.now += 5
    dlg._tick.timeout.emit()
    assert dlg.pin_edit.isEnabled() and not dlg._tick.isActive()
    assert dlg.message_label.text() == "You can try the manager PIN again."


def test_a_lock_from_before_a_restart_shows_when_the_dialog_opens(qtbot, guard, clock):
    guard.set_pin(PIN)
    for _ in range(5):
        guard.check("9999")
    for _ in range(5):  # second lockout in a row
        clock.now += 30
        guard.check("9999")
    dlg = make_dialog(qtbot, ManagerPinGuard(SettingsStore(), clock=clock))
    assert dlg.message_label.text() == "Too many wrong PINs. Try again in 2 min."
    assert not dlg.pin_edit.isEnabled()


def test_escape_cancels_and_wipes(qtbot, guard):
    guard.set_pin(PIN)
    dlg = make_dialog(qtbot, guard)
    cancelled = Emitted(dlg.cancelled)
    qtbot.keyClicks(dlg.pin_edit, "48")
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert cancelled.count == 1 and not dlg.isVisible() and dlg.pin_edit.text() == ""


def test_the_pin_field_is_masked_and_takes_digits_only(qtbot, guard):
    dlg = make_dialog(qtbot, guard)
    assert dlg.pin_edit.echoMode() is QLineEdit.EchoMode.Password
    assert dlg.confirm_edit.echoMode() is QLineEdit.EchoMode.Password
    qtbot.keyClicks(dlg.pin_edit, "12ab34 5678999")
    assert dlg.pin_edit.text() == "12345678"  # letters and spaces refused, 8 digits at most
    for widget in (dlg.pin_edit, dlg.confirm_edit, dlg.ok_button):
        assert widget.objectName() and widget.accessibleName()


def test_an_unreadable_settings_file_offers_no_pin_to_choose(qtbot, clock):
    """No PIN field at all: a "choose a PIN" over a file that holds one would hand it to anyone."""
    store = SettingsStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"\x00garbage")
    vm = ManagerPinViewModel(ManagerPinGuard(store, clock=clock))
    dlg = make_dialog(qtbot, ManagerPinGuard(store, clock=clock))
    accepted = Emitted(dlg.accepted_pin)
    assert dlg.windowTitle() == "Manager actions are off" and not dlg.pin_edit.isVisible()
    assert "budtender-app settings reset" in dlg.message_label.text()
    vm.submit_new("5937", "5937")
    vm.submit("5937")
    dlg._tick.timeout.emit()
    assert accepted.count == 0 and not vm.done and store.path.read_bytes() == b"\x00garbage"
