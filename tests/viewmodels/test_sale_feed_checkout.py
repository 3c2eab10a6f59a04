"""Sales at checkout (issue 16) against the simulated AIQ over real HTTP: with the store's setting on,
one checkout sends one sale with the contract's fields; off, nothing; an outage keeps it waiting
and it goes once later; a restart mid-send resends it once (AIQ keys it by pos_id); a refund given
back whole goes under its own ID. And what a hostile AIQ, a huge total or an odd ID get."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.domain.sale_feed import FeedKind, FeedState, sale_body
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.feeds.client import FeedClient
from budtender_app.services.journal import Journal, JournalLock
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.services.sale_feed.feed import SaleFeed
from budtender_app.services.sale_feed.outbox import CLASHES_WITH_REFUND, SaleOutbox
from budtender_app.services.sale_feed.sender import SaleSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.sales_sent import SalesSentViewModel
from tests.helpers import MovingTime, no_sleep, wait_for_step

DENVER = ZoneInfo("America/Denver")
TXID = "POS-00000042"
SALE_PATH = "/api/v1.1/createUpdateSale"
CASHIER = Actor("7", "Dana Cashier")


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "1234")) as srv:
        yield srv


class Till:
    """A counter (its view model, journal and sales feed) on a clock the test moves."""

    def __init__(self, server, http: httpx.AsyncClient, folder, time: MovingTime, *, on: bool = True) -> None:
        self.server, self.http, self.folder, self.time = server, http, folder, time
        self.clock = Clock(wall=lambda: time.moment, ticks=lambda: time.moment.timestamp(), zone=DENVER)
        self.setting = [on]
        self.sent = asyncio.Event()
        self.open()
        self.client = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
        self.vm = RedemptionViewModel(self.client, self.journal, clock=self.clock, acting=lambda: CASHIER,
                                      sleep=no_sleep)
        self.feed = SaleFeed(self.outbox, self.sender, enabled=lambda: self.setting[0], location=lambda: "Main St",
                             phone=lambda: self.vm.phone.digits if self.vm.phone else "")
        self.vm.till.feed = self.feed

    def open(self) -> None:
        file = self.folder / "journal.sqlite3"
        self.journal = Journal(file, store="Main St", terminal="till-1", lock=JournalLock(file).acquire(),
                               clock=self.clock)
        self.outbox = SaleOutbox(self.journal)
        self.outbox.recover_after_restart()
        api = FeedClient(self.http, AiqConfig(self.server.url, DEMO_API_KEY, DEMO_UID), deadline=2.0)
        self.sender = SaleSender(api, self.outbox, clock=self.clock, after_send=self.sent.set)

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not done():
                self.sent.clear()
                await self.sent.wait()

    def rows(self):
        return self.outbox.listed()


@pytest_asyncio.fixture
async def till(server, tmp_path):
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as http:
        made = Till(server, http, tmp_path, MovingTime())
        made.sender.start()
        yield made
        await made.vm.wait_idle()
        await made.sender.stop()
        made.journal.close()


def sale_posts(server) -> list:
    return [r for r in server.simulator.requests if r.path.startswith(SALE_PATH)]


async def check_out(vm: RedemptionViewModel, txid: str = TXID, cart: str = "100") -> None:
    vm.set_cart_text(cart)
    vm.finish_cart_edit()
    vm.start()
    vm.submit_phone(DEMO_PHONE)
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    vm.toggle(next(o.discount.id for o in vm.offers if o.usable))
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout(txid)
    await wait_for_step(vm, Step.DONE)


@pytest.mark.asyncio
async def test_with_the_setting_on_one_checkout_sends_one_sale_with_the_contracts_fields(till, server, tmp_path):
    await check_out(till.vm)
    await till.until(lambda: till.rows()[0].state is FeedState.SENT)
    assert len(sale_posts(server)) == 1
    body = server.simulator.sales[TXID]
    visit = body["visit"]
    assert visit["pos_id"] == TXID and visit["transaction_total"] == 100.0 and visit["location"] == "Main St"
    assert visit["transaction_date"] == till.clock.local(till.time.moment).strftime("%Y-%m-%d %H:%M:%S %z")
    assert visit["transaction_date"].endswith("-0700")  # the store's zone, AIQ's format
    assert visit["budtenderName"] == "Dana Cashier" and visit["budtenderID"] == "7"
    wallet = till.vm.wallet
    assert wallet is not None and body["member"] == {"contactID": wallet.contact_id, "mobilePhone": DEMO_PHONE}
    assert visit["pos_user"] == wallet.contact_id
    till.journal.close()  # flushed: no file it wrote holds the full phone
    for file in (f for f in tmp_path.rglob("*") if f.is_file()):
        assert DEMO_PHONE.encode() not in file.read_bytes(), file.name
    till.open()  # the fixture closes it again


@pytest.mark.asyncio
async def test_with_the_setting_off_nothing_is_queued_nor_sent(till, server):
    till.setting[0] = False
    await check_out(till.vm)
    till.sender.poke()
    await till.vm.wait_idle()
    await till.sender.send_due()
    assert till.rows() == [] and sale_posts(server) == [] and server.simulator.sales == {}
    assert [e.state.value for e in till.journal.for_transaction(TXID)] == ["redeemed"]  # the redemption went


@pytest.mark.parametrize("fault", [503, 429, pytest.param(
    "drop_before", marks=pytest.mark.logs_expected(r"AIQ POST failed after sending"))])
@pytest.mark.asyncio
async def test_an_outage_keeps_the_sale_waiting_and_it_goes_once_later(till, server, fault):
    server.inject(fault, path_prefix=SALE_PATH, headers={"Retry-After": "40"} if fault == 429 else None)
    await check_out(till.vm)
    await till.until(lambda: till.rows()[0].attempts == 1 and till.rows()[0].state is FeedState.WAITING)
    waiting = till.rows()[0]
    assert waiting.next_try_at is not None and server.simulator.sales == {}
    wait = (waiting.next_try_at - till.time.moment).total_seconds()
    assert wait == (40 if fault == 429 else 15)  # backs off; AIQ's longer Retry-After is honoured
    till.sender.poke()
    await till.sender.send_due()  # not due yet: nothing sent
    assert till.rows()[0].state is FeedState.WAITING
    till.time.pass_(wait)
    till.sender.poke()
    await till.until(lambda: till.rows()[0].state is FeedState.SENT)
    assert list(server.simulator.sales) == [TXID] and server.simulator.feed_events == [("sale", TXID)]
    assert server.simulator.sales[TXID]["member"]["mobilePhone"] == DEMO_PHONE  # still held in memory


@pytest.mark.asyncio
async def test_a_restart_mid_send_resends_once_and_aiq_keeps_one_sale(till, server):
    till.setting[0] = True
    await till.sender.stop()  # this run's sender "crashes" right after marking the row sending
    await check_out(till.vm)
    row = till.rows()[0]
    assert till.outbox.start(row.id) is not None  # 'sending' on disk...
    await till.sender._api.post_sale(sale_body(row, zone=DENVER)[0])  # ...and the POST reached AIQ; power cut
    till.journal.close()
    till.open()  # the next start: the row waits again
    assert till.rows()[0].state is FeedState.WAITING
    ended = await till.sender.send_due()
    assert [s.state for s in ended] == [FeedState.SENT]
    assert await till.sender.send_due() == []  # once
    assert server.simulator.feed_events == [("sale", TXID), ("sale", TXID)] and list(server.simulator.sales) == [TXID]
    assert "mobilePhone" not in server.simulator.sales[TXID]["member"]  # not in memory after a restart
    till.sender.start()


@pytest.mark.asyncio
async def test_quitting_mid_send_leaves_it_waiting_for_the_next_start(till, server):
    server.inject("hang", path_prefix=SALE_PATH)
    await check_out(till.vm)
    await asyncio.to_thread(server.wait_hanging)
    assert till.rows()[0].state is FeedState.SENDING
    await till.sender.stop()  # the app quits while AIQ has not answered
    assert till.rows()[0].state is FeedState.WAITING and till.rows()[0].next_try_at == till.time.moment
    server.release()
    till.sender.start()
    till.sender.poke()
    await till.until(lambda: till.rows()[0].state is FeedState.SENT)
    assert list(server.simulator.sales) == [TXID]


@pytest.mark.asyncio
async def test_a_whole_refund_goes_under_its_own_id_with_a_negative_quantity(till, server):
    await check_out(till.vm)
    await till.until(lambda: till.rows()[0].state is FeedState.SENT)
    pending = PendingViewModel(till.journal, till.client, RedemptionSender(till.client, till.journal, sleep=no_sleep),
                               clock=till.clock, acting=lambda: Actor("9", "Mo Manager"))
    pending.sales_sent = SalesSentViewModel(till.feed, till.journal, till.clock, enabled=lambda: True,
                                            acting=pending.acting)
    await pending.reverse_all(TXID, "returned in the POS", "Mo")
    await till.until(lambda: all(r.state is FeedState.SENT for r in till.rows()) and len(till.rows()) == 2)
    refund = server.simulator.sales[f"{TXID}-R1"]["visit"]
    assert refund["transaction_total"] == -100.0 and refund["visit_details_attributes"][0]["quantity"] == -1
    assert refund["budtenderName"] == "Mo Manager"
    await pending.reverse_all(TXID, "again", "Mo")  # nothing left to give back: no second refund
    assert [r.kind for r in till.rows()] == [FeedKind.REFUND, FeedKind.SALE]
    pending.sales_sent.refresh()  # the app's sender does it after each send (sale_feed_wiring.py)
    states = [pending.sales_sent.state_text(r) for r in pending.sales_sent.rows]
    assert states == ["Sent", "Sent"]


@pytest.mark.asyncio
async def test_a_hostile_refusal_is_kept_scrubbed_and_short_and_a_readable_one_ends_it(till, server):
    server.inject(400, path_prefix=SALE_PATH, body={"success": False, "message": (
        f"bad sale for {DEMO_PHONE} key {DEMO_API_KEY} <script>alert(1)</script> " + "x" * 5000)})
    await check_out(till.vm)
    await till.until(lambda: till.rows()[0].state is FeedState.REFUSED)
    message = till.rows()[0].message
    assert message.startswith("AIQ did not accept this sale: bad sale for")
    assert DEMO_PHONE not in message and DEMO_API_KEY not in message and len(message) <= 300
    assert len(sale_posts(server)) == 1  # refused for good: not sent again by itself
    lines = "\n".join(r[0] for r in till.journal.read_all("SELECT detail FROM audit"))
    assert DEMO_PHONE not in lines and DEMO_API_KEY not in lines


@pytest.mark.parametrize("body", [b"<html>ok</html>", {"data": []}, None])
@pytest.mark.asyncio
async def test_an_answer_that_says_nothing_is_tried_again_not_taken_for_a_refusal(till, server, body):
    server.inject(200, path_prefix=SALE_PATH, body=body)
    await check_out(till.vm)
    await till.until(lambda: till.rows()[0].attempts == 1 and till.rows()[0].state is FeedState.WAITING)
    till.time.pass_(15)
    till.sender.poke()
    await till.until(lambda: till.rows()[0].state is FeedState.SENT)


@pytest.mark.asyncio
async def test_an_odd_transaction_id_goes_as_typed_and_the_largest_cart_to_the_cent(till, server):
    odd = 'Ünï "7"/../?#%2E\\ ☃-R1'
    await check_out(till.vm, odd, cart="999,999.99")
    await till.until(lambda: till.rows()[0].state is FeedState.SENT)
    assert server.simulator.sales[odd]["visit"]["transaction_total"] == 999999.99


@pytest.mark.asyncio
async def test_a_total_beyond_the_feeds_rules_never_stops_the_checkout(till, caplog):
    with till.journal.atomic() as conn:
        hold = till.feed.holder("T-HUGE", contact_id="c", shopper_masked="", staff=CASHIER)
        assert hold is not None
        hold(conn, Decimal("1e30"))
    assert till.rows() == [] and "not journaled for AIQ's feed" in caplog.text


@pytest.mark.asyncio
async def test_a_sale_whose_id_is_an_earlier_refunds_is_refused_here_and_a_refund_skips_taken_ids(till, server):
    await till.sender.stop()
    with till.journal.atomic() as conn:
        till.outbox.hold_sale(conn, "A-R1", Decimal(5), location="Main St", contact_id="", shopper_masked="",
                              staff=CASHIER)
        till.outbox.hold_sale(conn, "A", Decimal(9), location="Main St", contact_id="", shopper_masked="",
                              staff=CASHIER)
    assert till.outbox.hold_refund("A", staff=CASHIER).pos_id == "A-R2"  # A-R1 is another sale
    with till.journal.atomic() as conn:
        clash = till.outbox.hold_sale(conn, "A-R2", Decimal(1), location="Main St", contact_id="",
                                      shopper_masked="", staff=CASHIER)
    assert clash.state is FeedState.REFUSED and clash.message == CLASHES_WITH_REFUND
    assert till.outbox.hold_refund("A-R2", staff=CASHIER) is None  # nothing was sent: nothing to refund
    till.sender.start()


@pytest.mark.asyncio
async def test_a_sale_of_another_store_waits_for_that_store_never_goes_with_this_ones_account(till, server):
    await till.sender.stop()
    with till.journal.atomic() as conn:
        row = till.outbox.hold_sale(conn, "S-1", Decimal(5), location="Main St", contact_id="", shopper_masked="",
                                    staff=CASHIER)
    till.journal.store = "Airport"  # a manager switched the counter to another store meanwhile
    assert await till.sender.send_due() == [] and (await till.sender.send(row)).state is FeedState.WAITING
    assert sale_posts(server) == []
    till.journal.store = "Main St"
    assert [s.state for s in await till.sender.send_due()] == [FeedState.SENT]
    till.sender.start()


@pytest.mark.asyncio
async def test_after_an_outage_one_probe_a_round_not_every_waiting_sale_tried_and_failed(till, server):
    await till.sender.stop()
    with till.journal.atomic() as conn:
        for n in range(3):
            till.outbox.hold_sale(conn, f"S-{n}", Decimal(5), location="Main St", contact_id="", shopper_masked="",
                                  staff=CASHIER)
    server.inject(503, path_prefix=SALE_PATH, count=2)
    assert [s.pos_id for s in await till.sender.send_due()] == ["S-0"]  # not through: the round stops
    assert [s.pos_id for s in await till.sender.send_due()] == ["S-1"]  # the next round's one probe
    assert [s.state for s in await till.sender.send_due()] == [FeedState.SENT]  # AIQ is back: S-2 goes
    till.time.pass_(15)
    assert {s.pos_id for s in await till.sender.send_due()} == {"S-0", "S-1"}
    assert sorted(server.simulator.sales) == ["S-0", "S-1", "S-2"] and len(sale_posts(server)) == 5
    till.sender.start()
