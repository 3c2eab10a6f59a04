"""Staff sign-in as the app wires it (issue 13): training's demo staff, a real terminal's first-start
setup, and a staff file that cannot open (the counter runs as "Counter" and says sign-in is off)."""

from __future__ import annotations

import argparse
import asyncio

import keyring
import keyring.core
import pytest
from PySide6.QtWidgets import QLabel

from budtender_app import staff_signin
from budtender_app.app import build_services, build_window
from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.services.logs import RedactingFilter
from budtender_app.services.paths import folders
from budtender_app.services.staff import StaffStoreError
from budtender_app.staff_signin import open_staff
from budtender_app.ui.counter.staff_wiring import StaffWiring
from tests.helpers.memory_keyring import MemoryKeyring


def args(**kw) -> argparse.Namespace:
    base = {"demo": False, "base_url": None, "store": None}
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture
def ring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "get_keyring", lambda: backend)
    return backend


@pytest.fixture
def started(qtbot):
    """build_services + open_staff + build_window, as run_app does them."""
    made = []

    def start(**kw):
        services = build_services(args(**kw), folders(), Clock.system(), RedactingFilter())
        services.staff, services.staff_notice = open_staff(services.mode, folders(), services.clock)
        window, vm, _pending = build_window(services)
        qtbot.addWidget(window)
        made.append(services)
        return services, window, vm

    yield start
    for services in made:
        services.close_journals()
        asyncio.run(services.http.aclose())


@pytest.mark.asyncio
async def test_training_signs_in_with_the_demo_staff_shown_in_the_banner(ring, started):
    _services, window, vm = started(demo=True)
    wiring = window.findChild(StaffWiring)
    assert wiring is not None and wiring.setup_page is None, "training has its demo manager"
    assert "Trainee Cashier (2468)" in window.banner.text()
    assert vm.acting() == Actor.counter
    assert await wiring._session.sign_in("2468")
    assert vm.acting().name == "Trainee Cashier"
    # Signed in, the banner has the demo shoppers' phones instead (the status bar just says Training).
    assert "Shoppers to try: (555) 123-4567" in window.banner.text() and "(2468)" not in window.banner.text()
    assert window.location_label.text() == "Training"
    wiring._session.lock()
    assert "Trainee Cashier (2468)" in window.banner.text()


def test_a_window_built_without_a_staff_store_has_no_sign_in(ring, qtbot):
    services = build_services(args(demo=True), folders(), Clock.system(), RedactingFilter())
    try:
        window, vm, _ = build_window(services)
        qtbot.addWidget(window)
        assert window.findChild(StaffWiring) is None and vm.acting() == Actor.counter
    finally:
        services.close_journals()
        asyncio.run(services.http.aclose())


@pytest.mark.logs_expected(r"staff sign-in is off")
def test_a_staff_file_that_cannot_open_leaves_the_counter_working_and_says_so(ring, monkeypatch, started):
    def no_keyring(*_args, **_kw):
        raise StaffStoreError("The staff sign-in key cannot be read from this computer's keyring, so nobody can "
                              "sign in. Ask IT to check the keyring (locked).")

    monkeypatch.setattr(staff_signin, "open_staff_store", no_keyring)
    services, window, vm = started(demo=True)
    assert services.staff is None
    assert window.findChild(StaffWiring) is None
    label = window.findChild(QLabel, "staff_off_label")
    assert label is not None and "Staff sign-in is off" in label.text() and "keyring" in label.text()
    assert vm.acting() == Actor.counter


@pytest.mark.asyncio
async def test_a_managers_own_passcode_opens_the_redemptions_window_over_a_cashiers_session(ring, started, qtbot):
    """Issue 13: no shared manager PIN. A cashier's passcode is refused with a wrong one's words; a
    manager's opens the window, whose decisions then name that manager; the approval ends when the
    window closes. A signed-in manager is asked nothing, and a lock closes what they opened."""
    from PySide6.QtCore import Qt

    from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
    from budtender_app.ui.manager.pending_dialog import PendingDialog

    _services, window, vm = started(demo=True)
    session = window.findChild(StaffWiring)._session
    window.show()
    assert await session.sign_in("2468")  # Trainee Cashier
    qtbot.keyClick(window, Qt.Key.Key_F11)
    prompt = window.manager_dialog
    assert isinstance(prompt, ManagerPinDialog) and prompt.windowTitle() == "A manager approves"
    assert prompt._pin_caption.text() == "Manager's &passcode:"
    qtbot.keyClicks(prompt.pin_edit, "2468")
    qtbot.keyClick(prompt.pin_edit, Qt.Key.Key_Return)
    assert prompt.message_label.text() == "That is not a manager's passcode."
    assert window.manager_dialog is prompt and vm.approving() is None
    qtbot.keyClicks(prompt.pin_edit, "1357")  # Trainer Manager's own passcode
    qtbot.keyClick(prompt.pin_edit, Qt.Key.Key_Return)
    pending = window.manager_dialog
    assert isinstance(pending, PendingDialog)
    fields = pending.pending_tab.fields
    assert "Decided by Trainer Manager" in fields.approved_label.text()
    assert not fields.manager_edit.isVisibleTo(pending), "no name to type: the passcode said who"
    assert vm.approving().name == "Trainer Manager" and vm.acting().name == "Trainee Cashier"
    pending.reject()
    qtbot.waitUntil(lambda: window.manager_dialog is None)
    assert vm.approving() is None, "the approval ended with the window"

    session.lock()
    assert await session.sign_in("1357")  # the manager signs in: F11 opens at once
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert isinstance(window.manager_dialog, PendingDialog)
    session.lock()  # switch cashier (or the idle lock) over the open window
    qtbot.waitUntil(lambda: window.manager_dialog is None)
    assert vm.approving() is None


@pytest.mark.asyncio
async def test_the_app_writes_sign_in_switch_and_quit_to_the_journal(ring, started):
    services, window, _vm = started(demo=True)
    wiring = window.findChild(StaffWiring)
    session = wiring._session
    assert await session.sign_in("2468")
    wiring.switch_button.click()  # Switch cashier: clicked(bool) must not become the reason
    assert await session.sign_in("2468")
    window.close()  # nothing in progress: it closes, and the journal is still open (app.py closes it after)
    rows = [(r.event, r.staff.name, r.detail) for r in services.journal.audit.rows()
            if r.event in ("signed_in", "signed_out")]
    assert rows == [("signed_in", "Trainee Cashier", "passcode"), ("signed_out", "Trainee Cashier", "switched"),
                    ("signed_in", "Trainee Cashier", "passcode"), ("signed_out", "Trainee Cashier", "quit")]


@pytest.mark.asyncio
async def test_the_idle_time_saved_in_the_settings_applies_without_a_restart_and_at_the_next_start(ring, started):
    from budtender_app.simulator.core import DEMO_UID
    from budtender_app.viewmodels.settings import SettingsViewModel

    async def no_test(_profile, _credentials):
        raise AssertionError("no connection test here")

    services, window, _vm = started(demo=True)
    session = window.findChild(StaffWiring)._session
    assert session.idle_seconds == 600, "10 minutes before any store says otherwise"
    settings = SettingsViewModel(services.settings, services.profile_keys, no_test,
                                 after_change=services.profile_switch.settings_saved)
    form = {"name": "Practice St", "store_id": "77", "uid": DEMO_UID, "base_url": "https://lab.alpineiq.com",
            "brand": "Leafy", "country": "US", "skip_pin": False, "idle_minutes": "3"}
    assert settings.save(form, "trainee-key-1") is True
    assert session.idle_seconds == 180, "the running counter uses it at once (no sale in progress)"
    services.close_journals()  # quit (one terminal at a time), then start again
    _again, restarted, _ = started(demo=True)
    assert restarted.findChild(StaffWiring)._session.idle_seconds == 180, "and the next start too"


def test_an_unreadable_settings_file_leaves_no_manager_act_open_to_a_signed_in_session(tmp_path):
    """The manager-PIN prompt refuses then, and the view models refuse too (not 'a typed name approves')."""
    from budtender_app.domain.staff import Actor as ChangeActor
    from budtender_app.domain.staff import Role
    from budtender_app.services.manager_pin import ManagerPinGuard
    from budtender_app.services.settings_store import SettingsStore
    from budtender_app.services.staff.store import StaffStore
    from budtender_app.viewmodels.staff_session import StaffSession
    from tests.helpers import MovingTime

    time = MovingTime()
    with StaffStore(tmp_path / "staff.sqlite3", clock=time.clock(), lookup_key=bytes(range(32))) as store:
        store.add("Dana Boss", Role.MANAGER, "2580", by=ChangeActor.command_line("it"))
        session = StaffSession(store, time.clock())
        session.current = store.find("Dana Boss")  # even a signed-in manager
        pin = ManagerPinGuard(SettingsStore(tmp_path / "settings.json"))
        approval, _prompt, approving = staff_signin.manager_approval(session, pin, settings_unreadable=True)
        assert approval is None and approving is not None and approving() is None
        approval, _prompt, approving = staff_signin.manager_approval(session, pin)
        assert approving is not None and approving().name == "Dana Boss"
        assert staff_signin.manager_approval(None, pin)[2] is None
