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
