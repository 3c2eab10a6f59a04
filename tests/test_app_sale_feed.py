"""The sales feed as app.py composes it (issue 16): the store profile's setting decides, the sale goes
over the app's own client to the store's AIQ (over real HTTP to a simulated AIQ on 127.0.0.1), a
profile saved with the setting off sends no more, and training sends to its simulator only."""

from __future__ import annotations

import argparse
import asyncio

import keyring.core
import pytest

from budtender_app.domain.sale_feed import FeedState
from budtender_app.domain.settings import StoreProfile
from budtender_app.services.credentials import Credentials, CredentialStore
from budtender_app.services.logs import RedactingFilter
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.helpers import await_signal
from tests.helpers.memory_keyring import MemoryKeyring
from tests.test_app_profile_switch import form, sell, settings_of


@pytest.fixture
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "get_keyring", lambda: backend)
    return backend


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "2468")) as srv:
        yield srv


def started(args: argparse.Namespace, qtbot):
    from budtender_app.app import build_services, build_window
    from budtender_app.domain.clock import Clock
    from budtender_app.sale_feed_wiring import add_sale_feed
    from budtender_app.services.paths import folders

    services = build_services(args, folders(), Clock.system(), RedactingFilter())
    window, vm, pending = build_window(services)
    qtbot.addWidget(window)
    sender = add_sale_feed(services, vm, pending)
    sender.start()
    return services, vm, pending, sender


async def until_sent(pending) -> None:
    """Until every fed sale is sent, by the list's ``changed`` (the sender refreshes it after each send)."""
    async with asyncio.timeout(10):
        while True:
            pending.sales_sent.refresh()
            if pending.sales_sent.rows and all(r.state is FeedState.SENT for r in pending.sales_sent.rows):
                return
            await await_signal(pending.sales_sent.changed)


@pytest.mark.asyncio
async def test_a_store_that_sends_sales_feeds_its_aiq_and_stops_once_saved_off(memory_keyring, server, qtbot):
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore

    store = SettingsStore(folders().settings)
    store.save(store.load().with_profile(StoreProfile(name="Main St", store_id="77", uid=DEMO_UID, base_url=server.url,
                                                      brand="Green Leaf", send_sales=True)))
    CredentialStore(memory_keyring).save("Main St", Credentials(DEMO_UID, DEMO_API_KEY))
    services, vm, pending, sender = started(argparse.Namespace(demo=False, store=None, base_url=None, debug=False),
                                            qtbot)
    try:
        await sell(vm, server.simulator, "T-A1")
        await until_sent(pending)
        visit = server.simulator.sales["T-A1"]["visit"]
        assert visit["location"] == "Main St" and visit["transaction_total"] == 50.0
        vm.new_sale()
        assert settings_of(services).save({**form("Main St", server.url), "send_sales": False}, "") is True
        await services.profile_switch.wait_idle()
        await sell(vm, server.simulator, "T-A2")
        await vm.wait_idle()
        assert list(server.simulator.sales) == ["T-A1"] and len(pending.sales_sent.rows) == 1
    finally:
        await sender.stop()
        services.close_journals()
        await services.http.aclose()


@pytest.mark.asyncio
async def test_training_sends_its_sales_to_its_own_simulator_only(memory_keyring, server, qtbot):
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore

    trainee = SettingsStore(folders().settings_file(training=True))
    trainee.save(trainee.load().with_profile(StoreProfile(name="Class St", store_id="1", uid="1", brand="Practice",
                                                          send_sales=True)))
    services, vm, pending, sender = started(argparse.Namespace(demo=True, store=None, base_url=None, debug=False),
                                            qtbot)
    try:
        assert services.simulator is not None
        await sell(vm, services.simulator, "T-TRAIN")
        await until_sent(pending)
        assert services.simulator.sales["T-TRAIN"]["visit"]["location"] == "Class St"
        assert server.simulator.requests == []  # nothing left the computer
    finally:
        await sender.stop()
        services.close_journals()
        await services.http.aclose()
