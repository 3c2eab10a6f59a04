"""A store profile saved in Manager settings is used by the running terminal, without a restart,
as soon as no sale is in progress; over real HTTP to two simulated AIQs on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio

import keyring.core
import pytest

from budtender_app.domain.flow import Step
from budtender_app.domain.journal_rules import State
from budtender_app.domain.settings import StoreProfile
from budtender_app.services import redemption_sender
from budtender_app.services.credentials import Credentials, CredentialStore
from budtender_app.services.logs import RedactingFilter
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.profile_switch import WHEN_SALE_ENDS
from tests.helpers import wait_for_step
from tests.helpers.memory_keyring import MemoryKeyring

B_KEY, B_UID = "Beta-Key-Second-42", "9876"
REDEEM = "/api/v1.1/discount/redeem/"


@pytest.fixture
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "get_keyring", lambda: backend)
    return backend


@pytest.fixture
def two_servers():
    """Store A's AIQ (the demo account) and another AIQ account B, with its own key and UID."""
    with (SimulatorServer(Simulator(pin_source=lambda: "2468")) as a,
          SimulatorServer(Simulator(api_key=B_KEY, uid=B_UID, pin_source=lambda: "1357")) as b):
        yield a, b


def form(name: str, url: str, uid: str = DEMO_UID, brand: str = "Green Leaf") -> dict[str, str | bool]:
    return {"name": name, "store_id": "77", "uid": uid, "base_url": url, "brand": brand, "country": "US",
            "skip_pin": False}


@pytest.fixture
def counter(memory_keyring, two_servers, qtbot):
    """The real terminal's services and window, as app.py builds them, set up for store A."""
    from budtender_app.app import build_services, build_window
    from budtender_app.domain.clock import Clock
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore

    a, _b = two_servers
    store = SettingsStore(folders().settings)
    store.save(store.load().with_profile(StoreProfile(name="Main St", store_id="77", uid=DEMO_UID, base_url=a.url,
                                                      brand="Green Leaf")))
    CredentialStore(memory_keyring).save("Main St", Credentials(DEMO_UID, DEMO_API_KEY))
    services = build_services(argparse.Namespace(demo=False, store=None, base_url=None, debug=False),
                              folders(), Clock.system(), RedactingFilter())
    window, vm, _pending = build_window(services)
    qtbot.addWidget(window)
    yield services, window, vm
    services.close_journals()
    asyncio.run(services.http.aclose())


def settings_of(services):
    """Manager settings as F12 opens them (the same view model the counter's window uses)."""
    from budtender_app.viewmodels.settings import SettingsViewModel

    async def no_test(profile, credentials):
        raise AssertionError("no connection test here")

    return SettingsViewModel(services.settings, services.profile_keys, no_test,
                             after_change=services.profile_switch.settings_saved)


async def to_wallet(vm, sim):
    vm.set_cart_text("50")
    vm.start()
    vm.submit_phone("(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin(sim.last_pin(DEMO_PHONE))
    await wait_for_step(vm, Step.WALLET)


async def checkout(vm, txid):
    vm.toggle(next(o.discount.id for o in vm.offers if o.usable))
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout(txid)
    await wait_for_step(vm, Step.DONE)


async def sell(vm, sim, txid):
    await to_wallet(vm, sim)
    await checkout(vm, txid)


def receipt_names(window, store: str) -> bool:
    """Whether the receipt on the Done page names ``store``."""
    return any(store in line for line in window.done_page.receipt_view.receipt.lines)


def puts(server):
    return [(r.path.rsplit("/", 1)[-1], r.api_key_ok) for r in server.simulator.requests if r.method == "PUT"]


@pytest.mark.asyncio
async def test_a_new_address_and_key_saved_between_sales_take_the_next_sale_to_the_new_aiq(counter, two_servers):
    services, window, vm = counter
    a, b = two_servers
    old_http = services.http
    await sell(vm, a.simulator, "T-A1")
    vm.new_sale()
    settings = settings_of(services)
    assert settings.save(form("Main St", b.url, uid=B_UID), B_KEY) is True
    assert "The counter uses Main St now." in settings.message[1]
    assert window.location_label.text() == "Store Main St · AIQ 127.0.0.1"
    await services.profile_switch.wait_idle()
    assert old_http.is_closed and not services.http.is_closed, "the old connection is closed, the new one open"
    await sell(vm, b.simulator, "T-B1")
    assert puts(a) == [("T-A1", True)] and puts(b) == [("T-B1", True)], "no restart: the next sale went to B"
    assert [r.transaction_id for r in b.simulator.redemptions] == ["T-B1"]


@pytest.mark.asyncio
async def test_a_save_during_a_sale_waits_for_the_sale_to_end_and_the_sale_finishes_with_the_old_one(
        counter, two_servers):
    services, window, vm = counter
    a, b = two_servers
    await to_wallet(vm, a.simulator)
    settings = settings_of(services)
    settings.edit(None)  # "New store"
    assert settings.save(form("Airport", b.url, uid=B_UID, brand="Sky High"), B_KEY) is True
    settings.set_active("Airport")
    assert settings.message[1] == WHEN_SALE_ENDS, "said plainly, in the settings dialog"
    assert services.profile_switch.waiting is not None and "Main St" in window.location_label.text()
    await checkout(vm, "T-A2")
    assert puts(a) == [("T-A2", True)] and puts(b) == [], "the sale in progress finished against store A"
    assert receipt_names(window, "Main St"), "this sale's receipt names the store it was made in"
    vm.new_sale()  # the sale has ended: now the counter switches
    assert "Store Airport" in window.location_label.text() and services.counter.store == "Airport"
    assert services.journal.store == "Airport"
    await sell(vm, b.simulator, "T-B2")
    assert puts(b) == [("T-B2", True)]
    assert receipt_names(window, "Airport") and not receipt_names(window, "Main St")


@pytest.fixture
def a_row_left_queued(counter, two_servers, monkeypatch):
    """A redemption of Main St that never reached A (the line was down): queued in the journal."""
    services, _window, vm = counter
    a, _b = two_servers
    monkeypatch.setattr(redemption_sender, "RETRY_DELAYS", ())  # one try: no waiting in the test

    async def make():
        await to_wallet(vm, a.simulator)
        a.inject(429, path_prefix=REDEEM)  # "busy": never reached AIQ, so it stays queued
        await checkout(vm, "T-Q1")
        vm.new_sale()
        [row] = services.journal.queued_to_send()
        assert row.store == "Main St" and row.redemption_url.startswith(a.url)
        return row

    return make


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"profile switch|Unreachable|not reach|reach AIQ")
async def test_another_account_for_the_same_store_waits_for_a_restart_while_its_rows_are_open(
        counter, two_servers, a_row_left_queued):
    services, _window, vm = counter
    a, b = two_servers
    row = await a_row_left_queued()
    settings = settings_of(services)
    assert settings.save(form("Main St", b.url, uid=B_UID), B_KEY) is True
    said = settings.message[1]
    assert "A restart is needed for the new AIQ address or UID" in said and "1 redemption of Main St" in said
    assert services.client.config.base_url == a.url, "the row's own account is kept"
    await vm.redemption_sender.send_queued()  # what the background resend does
    assert puts(b) == [], "never sent with the other account's key"
    assert services.journal.get(row.id).state is State.REDEEMED and puts(a)[-1] == ("T-Q1", True)


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"Unreachable|not reach|reach AIQ")
async def test_a_row_queued_before_a_switch_to_another_store_stays_with_its_store(
        counter, two_servers, a_row_left_queued):
    services, _window, vm = counter
    a, b = two_servers
    row = await a_row_left_queued()
    settings = settings_of(services)
    settings.edit(None)  # "New store"
    assert settings.save(form("Airport", b.url, uid=B_UID), B_KEY) is True
    settings.set_active("Airport")
    assert "1 redemption still open for Main St stays with Main St" in settings.message[1]
    await services.profile_switch.wait_idle()
    await vm.redemption_sender.send_queued()
    assert puts(b) == [] and services.journal.get(row.id).state is State.QUEUED, "not sent to Airport's AIQ"
    settings.set_active("Main St")  # back to the store it was made for: sent there, with its key
    await vm.redemption_sender.send_queued()
    assert services.journal.get(row.id).state is State.REDEEMED and puts(a)[-1] == ("T-Q1", True)


@pytest.mark.asyncio
async def test_a_store_without_a_key_is_not_switched_to_live_and_the_manager_is_told(counter, two_servers):
    services, window, _vm = counter
    _a, b = two_servers
    settings = settings_of(services)
    settings.edit(None)  # "New store"
    assert settings.save(form("Airport", b.url, uid=B_UID), B_KEY) is True
    keyring.core.get_keyring().entries.clear()  # the key went missing from the keyring meanwhile
    settings.set_active("Airport")
    assert "keeps using Main St until the terminal is started again" in settings.message[1]
    assert "Main St" in window.location_label.text()


@pytest.mark.asyncio
async def test_training_switches_to_the_trainees_profile_and_stays_on_its_simulator(memory_keyring, qtbot):
    from budtender_app.app import build_services, build_window
    from budtender_app.domain.clock import Clock
    from budtender_app.services.paths import folders

    services = build_services(argparse.Namespace(demo=True, store=None, base_url=None, debug=False),
                              folders(), Clock.system(), RedactingFilter())
    window, vm, _pending = build_window(services)
    qtbot.addWidget(window)
    try:
        simulator_url = services.client.config.base_url
        await to_wallet(vm, services.simulator)
        settings = settings_of(services)
        assert settings.save(form("Practice St", "https://lab.alpineiq.com", brand="Leafy"), "trainee-key-1") is True
        assert settings.message[1].endswith(WHEN_SALE_ENDS)
        await checkout(vm, "TR-1")
        assert not receipt_names(window, "Practice St")
        vm.new_sale()
        assert services.counter.store == "Practice St" and services.counter.brand == "Leafy"
        assert services.client.config.base_url == simulator_url, "a trainee's profile never reaches a real AIQ"
        assert services.journal.store == "training", "training's journal stays training's"
        await sell(vm, services.simulator, "TR-2")
        assert receipt_names(window, "Practice St")
    finally:
        services.close_journals()
        await services.http.aclose()


@pytest.mark.asyncio
async def test_the_settings_dialog_says_the_switch_waits_and_the_counter_says_when_it_happened(
        counter, two_servers, qtbot):
    from budtender_app.ui.manager.settings_dialog import SettingsDialog
    from tests.helpers import await_signal

    services, window, vm = counter
    a, b = two_servers
    await to_wallet(vm, a.simulator)
    dialog = SettingsDialog(settings_of(services), window)
    qtbot.addWidget(dialog)
    dialog.open()
    for field, text in {"base_url": b.url, "uid": B_UID}.items():
        dialog.form.edits[field].clear()
        qtbot.keyClicks(dialog.form.edits[field], text)
    qtbot.keyClicks(dialog.form.api_key_edit, B_KEY)
    dialog.save_button.click()
    assert dialog.message_label.text().startswith("Saved Main St.")
    assert dialog.message_label.text().endswith(WHEN_SALE_ENDS)
    assert B_KEY not in dialog.message_label.text()
    dialog.done(0)
    await checkout(vm, "T-A3")
    told = asyncio.ensure_future(await_signal(services.profile_switch.told))
    vm.new_sale()
    await told
    assert "the counter uses the new settings now" in window.message_label.text()
    assert puts(a) == [("T-A3", True)]
    await sell(vm, b.simulator, "T-B3")
    assert puts(b) == [("T-B3", True)]


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"Unreachable|not reach|reach AIQ")
async def test_renaming_the_store_with_a_row_open_says_where_the_row_stays(counter, two_servers, a_row_left_queued):
    services, _window, _vm = counter
    a, _b = two_servers
    await a_row_left_queued()
    settings = settings_of(services)
    assert settings.save(form("Main Street", a.url), "") is True  # the stored key is kept
    said = settings.message[1]
    assert "1 redemption still open stays recorded under Main St, which is no longer set up" in said
    assert services.journal.store == "Main Street"


@pytest.mark.asyncio
async def test_the_store_transaction_id_shape_reaches_the_counter_at_start_and_when_saved(counter, two_servers):
    services, _window, vm = counter
    a, _b = two_servers
    assert vm.transaction_ids.any, "Main St was saved with no shape: any ID"
    settings = settings_of(services)
    assert settings.save({**form("Main St", a.url), "transaction_pattern": "8 digits"}, "") is True
    assert str(vm.transaction_ids) == "8 digits", "used at once: no sale in progress"
    await to_wallet(vm, a.simulator)
    vm.toggle(next(o.discount.id for o in vm.offers if o.usable))
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("T-A9")
    assert vm.step is Step.CHECKOUT and puts(a) == []
    assert vm.message[1] == "This store's transaction IDs are 8 digits; T-A9 is not one."
    vm.confirm_checkout("12345678")
    await wait_for_step(vm, Step.DONE)
    assert puts(a) == [("12345678", True)]
