"""Claims across registers at the counter (issue 15), with a real hub and the simulator over HTTP.

Two registers (two journals) checking out the same POS transaction's discount: exactly one PUT
reaches AIQ, the other cashier is refused at the checkout step with where and when. A hub that
does not answer never stops a sale: redeemed, claimed late by the push, a conflict shown. A
redemption AIQ refuses gives its claim back.
"""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import pytest
import pytest_asyncio

from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import schema
from budtender_app.services.hub.claimer import HubClaimer
from budtender_app.services.hub.claims import Claim, claim
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.push import Terminal
from budtender_app.services.hub.pusher import HubPusher
from budtender_app.services.hub.status import describe, hub_state
from budtender_app.services.journal import Journal, JournalLock, Seal
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import wait_for_step
from tests.helpers.pg import free_port

pytestmark = pytest.mark.hub
CLOCK = Clock.system()
TXID = "POS-00000042"


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "1234")) as srv:
        yield srv


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


@pytest_asyncio.fixture
async def registers(server, tmp_path):
    """Register n's view model (its own journal), claiming on the hub at ``hub_args``."""
    http = httpx.AsyncClient(timeout=2.0)
    made: list[tuple[RedemptionViewModel, Journal]] = []

    def register(n: int, hub_args) -> RedemptionViewModel:
        folder = tmp_path / f"r{n}"
        folder.mkdir()
        file = folder / "journal.sqlite3"
        journal = Journal(file, store="Main St", terminal=f"till-{n}", lock=JournalLock(file).acquire(),
                          clock=CLOCK, seal=Seal(f"journal-{n}", bytes([n]) * 32))
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), journal, clock=CLOCK)
        vm.till.claimer = HubClaimer(hub_args, store="Main St", terminal_id=journal.seal.journal_id,
                                         terminal_name=f"Register {n}", now=CLOCK.now)
        made.append((vm, journal))
        return vm

    yield register
    for vm, journal in made:
        await vm.wait_idle()
        journal.close()
    await http.aclose()


def puts(server):
    return [r for r in server.simulator.requests if r.method == "PUT"]


async def at_checkout(vm, pick: str = "") -> str:
    vm.set_cart_text("100")
    vm.finish_cart_edit()
    vm.start()
    vm.submit_phone(DEMO_PHONE)
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    discount = next(o.discount for o in vm.offers if o.usable and o.discount.id == (pick or o.discount.id))
    vm.toggle(discount.id)
    vm.apply_selection()
    vm.start_checkout()
    assert vm.step is Step.CHECKOUT
    return discount.id


def claims_on(args) -> list[tuple[str, str, str]]:
    with psycopg.connect(**args) as conn:
        return conn.execute("SELECT transaction_id, discount_id, terminal_name FROM hub_claims ORDER BY 1").fetchall()


@pytest.mark.asyncio
async def test_two_registers_racing_the_same_discount_exactly_one_put_reaches_aiq(registers, args, server):
    one, two = registers(1, args), registers(2, args)
    d1, d2 = await at_checkout(one), await at_checkout(two)
    assert d1 == d2
    settled = asyncio.Event()

    def check(*_args) -> None:  # one register done, the other refused at checkout
        if any(a.step is Step.DONE and b.message[0] == Level.ERROR for a, b in ((one, two), (two, one))):
            settled.set()

    for vm in (one, two):
        vm.step_changed.connect(check)
        vm.message_changed.connect(check)
    one.confirm_checkout(TXID)
    two.confirm_checkout(TXID)  # both Enter at once: the hub decides
    async with asyncio.timeout(10):
        await settled.wait()
        await one.wait_idle()
        await two.wait_idle()
    assert len(puts(server)) == 1
    refused = one if one.step is Step.CHECKOUT else two
    level, text = refused.message
    assert level == Level.ERROR and "already redeemed at Register" in text and "Nothing was sent" in text
    assert refused.till._journal.for_transaction(TXID) == []  # nothing journaled there
    assert refused.sale_applied  # the cashier is still at checkout, the sale still applied


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"claim conflict: transaction POS-00000042")
async def test_an_unreachable_hub_redeems_anyway_and_the_push_claims_it_late(registers, args, server, caplog):
    closed = parse_hub_url(f"postgresql://u@127.0.0.1:{free_port()}/hub").connect_args("pw")
    two = registers(2, closed)
    discount = await at_checkout(two)
    claim(args, "journal-1", "Register 1", [Claim("Main St", TXID, discount)], CLOCK.now())  # register 1 had it
    two.confirm_checkout(TXID)
    await wait_for_step(two, Step.DONE)
    await two.wait_idle()
    assert len(puts(server)) == 1  # the hub away never stops a sale
    journal = Journal.open_read_only(two.till._journal.path, two.till._journal.seal)
    try:
        pusher = HubPusher(Terminal(journal, "Register 2"), args, now=CLOCK.now)
        state = await pusher.push_once()
        assert state.in_sync
    finally:
        journal.close()
    assert "discount" in caplog.text and "Register 1 holds it" in caplog.text
    with psycopg.connect(**args) as conn:
        rows = conn.execute("SELECT terminal_name, holder_id, discount_id FROM hub_claim_conflicts").fetchall()
        assert rows == [("Register 2", "journal-1", discount)]
        lines = describe(hub_state(conn, None), "127.0.0.1")
    assert any("claim conflict" in line and "Register 1 holds it" in line for line in lines)


@pytest.mark.asyncio
async def test_a_late_claim_without_a_rival_is_simply_taken(registers, args, server):
    closed = parse_hub_url(f"postgresql://u@127.0.0.1:{free_port()}/hub").connect_args("pw")
    two = registers(2, closed)
    discount = await at_checkout(two)
    two.confirm_checkout(TXID)
    await wait_for_step(two, Step.DONE)
    await two.wait_idle()
    journal = Journal.open_read_only(two.till._journal.path, two.till._journal.seal)
    try:
        await HubPusher(Terminal(journal, "Register 2"), args, now=CLOCK.now).push_once()
    finally:
        journal.close()
    assert claims_on(args) == [(TXID, discount, "Register 2")]


@pytest.mark.asyncio
async def test_a_redemption_aiq_refuses_gives_its_claim_back(registers, args, server):
    one, two = registers(1, args), registers(2, args)
    d1, d2 = await at_checkout(one), await at_checkout(two)
    server.inject(400, path_prefix="/api/v1.1/discount/redeem/")  # AIQ refuses it: nothing is taken
    one.confirm_checkout(TXID)
    await wait_for_step(one, Step.DONE)
    await one.wait_idle()
    assert [o.status.value for o in one.outcomes] == ["rejected"]
    assert claims_on(args) == []  # register 1's claim given back at once
    two.confirm_checkout(TXID)  # so register 2 may redeem that discount of that sale
    await wait_for_step(two, Step.DONE)
    assert [o.status.value for o in two.outcomes] == ["redeemed"] and d1 == d2
    assert claims_on(args) == [(TXID, d2, "Register 2")]


@pytest.mark.asyncio
async def test_a_checkout_nudges_the_push_so_the_hub_learns_of_it_without_waiting_a_round(registers, args, server):
    """The pusher's round is an hour here: only the checkout's nudge can bring the sale to the hub."""
    one = registers(1, args)
    journal = Journal.open_read_only(one.till._journal.path, one.till._journal.seal)
    states: asyncio.Queue = asyncio.Queue()
    pusher = HubPusher(Terminal(journal, "Register 1"), args, now=CLOCK.now, every=3600, on_state=states.put_nowait)
    one.till.nudge = pusher.nudge
    pusher.start()
    try:
        async with asyncio.timeout(10):
            while not (await states.get()).in_sync:  # the first round, before the sale
                pass
        discount = await at_checkout(one)
        one.confirm_checkout(TXID)
        await wait_for_step(one, Step.DONE)
        async with asyncio.timeout(10):  # well before the next round: the nudges pushed it
            while True:
                await states.get()
                with psycopg.connect(**args) as conn:
                    rows = conn.execute("SELECT discount_id, state FROM hub_redemptions").fetchall()
                if rows == [(discount, "redeemed")]:
                    break
    finally:
        await pusher.aclose()
        journal.close()
    assert claims_on(args) == [(TXID, discount, "Register 1")]
