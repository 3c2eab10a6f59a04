"""A journal that cannot write (disk full, I/O error) between the PUT and its answer: the cashier
is told "unknown: ask a manager" at once, and the answer is written as soon as there is room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from budtender_app.domain import errors
from budtender_app.domain.actor import Actor
from budtender_app.domain.redemption import Status
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import Journal, JournalLock, State
from budtender_app.services.redemption_sender import (
    ANSWER_NOT_RECORDED,
    ANSWER_RETRY_DELAYS,
    NOT_RECORDED,
    RedemptionSender,
)
from tests.helpers.faults import FullDisk

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"could not journal AIQ's answer for redemption",
    r"gave up writing AIQ's answer for redemption",
    r"the late answer for redemption \d+ was not written",
)

CASHIER = Actor("7", "Dana Cashier")

START = datetime(2024, 5, 31, 18, 0, tzinfo=UTC)


@pytest.fixture
def disk():
    class Disk(FullDisk):
        pass

    return Disk


@pytest.fixture
def journal(tmp_path, disk):
    moments = (START + timedelta(seconds=n) for n in range(10_000))
    path = tmp_path / "journal.sqlite3"
    j = Journal(path, store="s", terminal="t", clock=lambda: next(moments), lock=JournalLock(path).acquire(),
                connection_class=disk)
    yield j
    j.close()


class Api:
    """AIQ takes the points; ``then`` runs as it answers (the disk fills up then)."""

    def __init__(self, then=lambda: None, answer=None) -> None:
        self.calls = 0
        self.then = then
        self.answer = answer

    async def redeem(self, url: str, transaction_id: str) -> str:
        self.calls += 1
        self.then()
        if isinstance(self.answer, Exception):
            raise self.answer
        return "R-9"


class Sleeps:
    """The injected sleep: counts, and frees the disk after ``free_after`` waits (never: None)."""

    def __init__(self, disk, free_after: int | None) -> None:
        self.disk, self.free_after, self.waits = disk, free_after, []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.free_after is not None and len(self.waits) >= self.free_after:
            self.disk.full = False


def queued(journal):
    (entry,) = journal.queue("T-1", [Discount(id="d1", name="$5 off", points=100,
                                              redemption_url="https://lab.alpineiq.com/r/1234/d1/tok3nSECRET")],
                             staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-1")
    return entry


def fill(disk):
    def now_full() -> None:
        disk.full = True
    return now_full


@pytest.mark.asyncio
async def test_aiq_took_the_points_and_the_disk_is_full_says_unknown_then_writes_it(journal, disk):
    entry = queued(journal)
    api, sleeps = Api(then=fill(disk)), Sleeps(disk, free_after=3)
    sender = RedemptionSender(api, journal, sleep=sleeps)
    told = await sender.redeem(entry)
    assert told.state is State.UNKNOWN and told.outcome().status is Status.UNKNOWN
    assert told.message == ANSWER_NOT_RECORDED and "ask a manager" in told.message
    assert journal.get(entry.id).state is State.SENDING  # on disk: in flight, never sent again
    await sender.wait_writes()
    row = journal.get(entry.id)
    assert (row.state, row.aiq_redemption_id) == (State.REDEEMED, "R-9")
    assert api.calls == 1 and len(sleeps.waits) == 3
    assert journal.verify_chain().ok


@pytest.mark.asyncio
async def test_the_background_writes_are_bounded(journal, disk):
    entry = queued(journal)
    sleeps = Sleeps(disk, free_after=None)
    sender = RedemptionSender(Api(then=fill(disk)), journal, sleep=sleeps)
    await sender.redeem(entry)
    await sender.wait_writes()
    assert len(sleeps.waits) == len(ANSWER_RETRY_DELAYS)
    disk.full = False
    assert journal.get(entry.id).state is State.SENDING  # unknown at the next start, for a manager


@pytest.mark.asyncio
async def test_a_late_answer_for_a_row_a_restart_dealt_with_is_dropped(journal, disk):
    entry = queued(journal)
    sleeps = Sleeps(disk, free_after=1)
    sender = RedemptionSender(Api(then=fill(disk), answer=errors.OutcomeUnknown("timeout")), journal, sleep=sleeps)
    told = await sender.redeem(entry)
    assert told.message == ANSWER_NOT_RECORDED
    disk.full = False
    journal.mark_unknown(entry.id, "the app stopped while this was being sent")  # as a restart would
    await sender.wait_writes()
    assert journal.get(entry.id).state is State.UNKNOWN


@pytest.mark.asyncio
async def test_a_full_disk_before_the_put_sends_nothing(journal, disk):
    entry = queued(journal)
    api = Api()
    disk.full = True
    told = await RedemptionSender(api, journal, sleep=Sleeps(disk, None)).redeem(entry)
    disk.full = False
    assert api.calls == 0
    assert told.outcome().status is Status.NOT_SENT and told.message == NOT_RECORDED
    assert journal.get(entry.id).state is State.QUEUED


@pytest.mark.asyncio
async def test_a_never_sent_answer_that_cannot_be_written_is_not_retried_blind(journal, disk):
    entry = queued(journal)
    api = Api(then=fill(disk), answer=errors.Unreachable("down"))
    sender = RedemptionSender(api, journal, sleep=Sleeps(disk, free_after=1))
    told = await sender.redeem(entry)
    assert api.calls == 1 and told.state is State.UNKNOWN
    await sender.wait_writes()
    assert journal.get(entry.id).state is State.QUEUED  # written later: safe to send again


@pytest.mark.asyncio
async def test_a_late_answer_after_the_journal_closed_at_quit_is_dropped_quietly(journal, disk):
    entry = queued(journal)
    sleeps = Sleeps(disk, free_after=1)
    sender = RedemptionSender(Api(then=fill(disk)), journal, sleep=sleeps)
    await sender.redeem(entry)
    journal.close()  # the app quits before there is room again
    await sender.wait_writes()  # no exception escapes into the loop
