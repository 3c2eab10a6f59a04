"""The redemption sender with a real journal on disk: one rule for what a failure means (not
sent / maybe sent / refused), the same for redemptions and for giving points back; AIQ's
Retry-After honoured within a cap; and a trickling answer that ends 'unknown' at the deadline."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain import errors
from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.journal import ReversalPhase, State
from budtender_app.services.redemption_sender import (
    RETRY_AFTER_CAP,
    RETRY_DELAYS,
    RedemptionSender,
    wait_before_retry,
)
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID
from tests.helpers.fake_aiq import ScriptedAiq
from tests.services.raw_http import raw_server, trickler

CASHIER = Actor("7", "Dana Cashier")

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"AIQ PUT took longer than")

URL = "https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d1/tok-abcdef"


class Sleeps:
    """The sender's injected sleep: records each wait, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def queued(journal, txid="T-1", url=URL):
    discount = Discount("d1", "Ten off", url, 250)
    return journal.queue(txid, [discount], staff=CASHIER, shopper_masked="***-***-4567", contact_id="C1001")[0]


def redeemed(journal, txid="T-1"):
    entry = queued(journal, txid)
    journal.mark_sending(entry.id)
    return journal.mark_redeemed(entry.id, "r-1")


# -- one rule, both directions -------------------------------------------------------------------

#: failure -> (redemption ends, reversal ends: (state, phase)), and whether it was sent again
RULES = [
    (errors.Unreachable("no network"), State.QUEUED, (State.REVERSING, ReversalPhase.QUEUED), True),
    (errors.RateLimited("busy"), State.QUEUED, (State.REVERSING, ReversalPhase.QUEUED), True),
    (errors.CertificateProblem("clock"), State.QUEUED, (State.REVERSING, ReversalPhase.QUEUED), True),
    (errors.Rejected("no", detail="Discount expired"), State.REJECTED, (State.REDEEMED, None), False),
    (errors.RefusedToSend("not AIQ"), State.REJECTED, (State.REDEEMED, None), False),
    (errors.AuthRejected("key"), State.REJECTED, (State.REDEEMED, None), False),
    (errors.OutcomeUnknown("303"), State.UNKNOWN, (State.REVERSING, ReversalPhase.UNKNOWN), False),
    # Not expected from a points call, so never read as "nothing happened".
    (errors.BadResponse("odd"), State.UNKNOWN, (State.REVERSING, ReversalPhase.UNKNOWN), False),
    (errors.ServerError("500"), State.UNKNOWN, (State.REVERSING, ReversalPhase.UNKNOWN), False),
    (errors.NotFound("404"), State.UNKNOWN, (State.REVERSING, ReversalPhase.UNKNOWN), False),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("failure", "ends", "_", "again"), RULES)
async def test_what_each_failure_does_to_a_redemption(journal, failure, ends, _, again):
    sleeps = Sleeps()
    api = ScriptedAiq(*[failure] * (len(RETRY_DELAYS) + 1))
    entry = await RedemptionSender(api, journal, sleep=sleeps).redeem(queued(journal))
    assert entry.state is ends and journal.get(entry.id).state is ends
    assert len(api.redeems) == (len(RETRY_DELAYS) + 1 if again else 1)
    assert sleeps.waits == (list(RETRY_DELAYS) if again else [])
    assert str(failure) in entry.message and (failure.detail in entry.message)


@pytest.mark.asyncio
@pytest.mark.parametrize(("failure", "_", "ends", "again"), RULES)
async def test_what_each_failure_does_to_a_reversal(journal, failure, _, ends, again):
    sleeps = Sleeps()
    api = ScriptedAiq(*[failure] * (len(RETRY_DELAYS) + 1))
    entry = await RedemptionSender(api, journal, sleep=sleeps).reverse(redeemed(journal).id, staff=CASHIER)
    assert (entry.state, entry.reversal_phase) == ends
    assert len(api.adjusts) == (len(RETRY_DELAYS) + 1 if again else 1)
    assert api.adjusts[0][:2] == ("C1001", 250)
    assert sleeps.waits == (list(RETRY_DELAYS) if again else [])


@pytest.mark.asyncio
async def test_not_sent_then_answered_is_redeemed_and_reversed_once(journal):
    sleeps = Sleeps()
    api = ScriptedAiq(errors.Unreachable("x"), "r-77", errors.Unreachable("x"), None)
    sender = RedemptionSender(api, journal, sleep=sleeps)
    entry = await sender.redeem(queued(journal))
    assert (entry.state, entry.aiq_redemption_id, len(api.redeems)) == (State.REDEEMED, "r-77", 2)
    entry = await sender.reverse(entry.id, staff=CASHIER)
    assert (entry.state, len(api.adjusts)) == (State.REVERSED, 2)
    assert await sender.reverse(entry.id, staff=CASHIER) == journal.get(entry.id) and len(api.adjusts) == 2
    assert sleeps.waits == [RETRY_DELAYS[0], RETRY_DELAYS[0]]


@pytest.mark.asyncio
@pytest.mark.parametrize("stop", [asyncio.CancelledError(), KeyboardInterrupt(), RuntimeError("bug")])
async def test_stopping_mid_send_leaves_it_unknown_in_both_directions(journal, stop):
    sender = RedemptionSender(ScriptedAiq(stop, stop), journal, sleep=Sleeps())
    with pytest.raises(type(stop)):
        await sender.redeem(queued(journal, "T-1"))
    assert journal.for_transaction("T-1")[0].state is State.UNKNOWN
    with pytest.raises(type(stop)):
        await sender.reverse(redeemed(journal, "T-2").id, staff=CASHIER)
    assert journal.for_transaction("T-2")[0].reversal_phase is ReversalPhase.UNKNOWN


@pytest.mark.asyncio
async def test_a_row_not_queued_is_never_sent(journal):
    api = ScriptedAiq()
    sender = RedemptionSender(api, journal, sleep=Sleeps())
    entry = queued(journal)
    journal.mark_sending(entry.id)
    unknown = journal.mark_unknown(entry.id, "no answer")
    assert (await sender.redeem(entry)).state is State.UNKNOWN
    assert journal.get(unknown.id) == await sender.redeem(unknown)
    assert api.redeems == []


@pytest.mark.asyncio
async def test_send_queued_sends_only_the_chosen_rows_while_allowed(journal):
    api = ScriptedAiq("r-1", "r-2")
    sender = RedemptionSender(api, journal, sleep=Sleeps())
    first, second, third = (queued(journal, f"T-{n}") for n in (1, 2, 3))
    assert [e.id for e in await sender.send_queued(only={first.id, third.id})] == [first.id, third.id]
    assert await sender.send_queued(may_send=lambda: False) == []
    assert journal.get(second.id).state is State.QUEUED and len(api.redeems) == 2


@pytest.mark.asyncio
async def test_a_store_switched_mid_round_keeps_its_rows_from_the_new_stores_credentials(journal):
    """Manager settings moved the counter to another store while the background resend was
    between two rows: the rest of the first store's rows wait for their store."""
    api = ScriptedAiq("r-1", "r-2")
    sender = RedemptionSender(api, journal, sleep=Sleeps())
    first, second = (queued(journal, f"T-{n}") for n in (1, 2))
    asked = []

    def may_send():
        asked.append(True)
        if len(asked) == 2:
            journal.store = "Airport"  # the switch, as profile_switch.py makes it
        return True

    assert [e.id for e in await sender.send_queued(may_send=may_send)] == [first.id]
    assert journal.get(second.id).state is State.QUEUED and len(api.redeems) == 1


# -- Retry-After ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("asked", "delay", "wait"), [
    (None, 0.5, 0.5), (7.0, 0.5, 7.0), (0.0, 1.0, 1.0), (RETRY_AFTER_CAP, 0.5, RETRY_AFTER_CAP),
    (RETRY_AFTER_CAP + 0.1, 0.5, None), (1e12, 2.0, None),
])
def test_the_wait_before_a_retry(asked, delay, wait):
    assert wait_before_retry(errors.RateLimited("busy", retry_after=asked), delay) == wait
    assert wait_before_retry(errors.Unreachable("x"), delay) == delay
    assert wait_before_retry(errors.Unreachable("x"), delay, left=delay / 2) is None


@pytest.mark.asyncio
async def test_one_send_waits_at_most_the_cap_in_all_however_often_aiq_asks(journal):
    sleeps = Sleeps()
    busy = errors.RateLimited("busy", retry_after=RETRY_AFTER_CAP * 0.6)
    api = ScriptedAiq(busy, busy, "r-1")
    entry = await RedemptionSender(api, journal, sleep=sleeps).redeem(queued(journal))
    # The second wait would pass the cap: the row stays queued for the background retry.
    assert entry.state is State.QUEUED and sleeps.waits == [RETRY_AFTER_CAP * 0.6] and len(api.redeems) == 2


@pytest.mark.asyncio
async def test_a_retry_after_is_waited_in_both_directions(journal):
    sleeps = Sleeps()
    busy = errors.RateLimited("busy", retry_after=9.0)
    sender = RedemptionSender(ScriptedAiq(busy, "r-1", busy, None), journal, sleep=sleeps)
    assert (await sender.redeem(queued(journal))).state is State.REDEEMED
    assert (await sender.reverse(journal.for_transaction("T-1")[0].id, staff=CASHIER)).state is State.REVERSED
    assert sleeps.waits == [9.0, 9.0]


@pytest.mark.asyncio
async def test_a_retry_after_beyond_the_cap_leaves_the_row_queued_without_waiting(journal):
    sleeps = Sleeps()
    api = ScriptedAiq(errors.RateLimited("busy", retry_after=3600.0))
    entry = await RedemptionSender(api, journal, sleep=sleeps).redeem(queued(journal))
    assert entry.state is State.QUEUED and sleeps.waits == [] and len(api.redeems) == 1


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client:
        yield client


@pytest.mark.asyncio
@pytest.mark.parametrize(("header", "waits", "ends"), [
    ("4", [4.0], State.REDEEMED),
    # A date is measured from the answer's own Date header (the server's real now).
    ("Fri, 09 Mar 2001 12:00:20 GMT", [RETRY_DELAYS[0]], State.REDEEMED),  # long past: our own delay
    ("Wed, 09 Mar 2999 12:00:20 GMT", [], State.QUEUED),  # far beyond the cap: later, in the background
])
async def test_aiqs_retry_after_over_http_is_honoured(server, http, journal, header, waits, ends):
    client = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
    entry = queued(journal, url=server.simulator.redemption_url(DEMO_PHONE, "102"))
    server.inject(429, path_prefix="/api/v1.1/discount/redeem", headers={"Retry-After": header})
    sleeps = Sleeps()
    entry = await RedemptionSender(client, journal, sleep=sleeps).redeem(entry)
    assert entry.state is ends and sleeps.waits == waits
    assert len(server.simulator.redemptions) == (1 if ends is State.REDEEMED else 0)


# -- the deadline ---------------------------------------------------------------------------------

@pytest.mark.asyncio
@pytest.mark.timeout(20)
async def test_a_trickling_answer_ends_unknown_at_the_deadline_and_is_not_sent_again(journal):
    seen: list[bytes] = []
    async with raw_server(trickler(0.05, seen)) as base, httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        client = AiqClient(http, AiqConfig(base, DEMO_API_KEY, DEMO_UID), deadline=0.5)
        entry = queued(journal, url=base + "/api/v1.1/discount/redeem/1234/d1/tok-abcdef")
        entry = await RedemptionSender(client, journal, sleep=Sleeps()).redeem(entry)
        assert entry.state is State.UNKNOWN and "do not redeem again" in entry.message
        redeemed_row = redeemed(journal, "T-2")
        back = await RedemptionSender(client, journal, sleep=Sleeps()).reverse(redeemed_row.id, staff=CASHIER)
        assert back.reversal_phase is ReversalPhase.UNKNOWN
    assert len(seen) == 2
