"""The background resend: only rows seen waiting twice, never while the counter redeems."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from budtender_app.services.resend_loop import ResendLoop


@dataclass(frozen=True)
class Row:
    id: int


class Journal:
    def __init__(self) -> None:
        self.queued: list[Row] = []

    def queued_to_send(self) -> list[Row]:
        return list(self.queued)


class Sender:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.sent: list[set[int] | None] = []

    async def send_queued(self, *, only=None, may_send=lambda: True):
        if not may_send():
            return []
        self.sent.append(only)
        self.journal.queued = [r for r in self.journal.queued if only is None or r.id not in only]
        return []


class Ticks:
    """The loop's sleep, woken one tick at a time by the test."""

    def __init__(self) -> None:
        self._asleep: asyncio.Queue[asyncio.Future[None]] = asyncio.Queue()
        self._next: asyncio.Future[None] | None = None

    async def sleep(self, _seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        self._asleep.put_nowait(wake)
        await wake

    async def tick(self) -> None:
        """Wake the loop once, and return when it sleeps again (the tick is handled)."""
        wake = self._next or await asyncio.wait_for(self._asleep.get(), 5)
        wake.set_result(None)
        self._next = await asyncio.wait_for(self._asleep.get(), 5)


@pytest.mark.asyncio
async def test_a_row_is_sent_at_the_second_look_and_the_counter_told():
    journal, ticks, told = Journal(), Ticks(), []
    sender = Sender(journal)
    loop = ResendLoop(sender, journal, may_send=lambda: True, after_send=lambda: told.append(1), sleep=ticks.sleep)
    loop.start()
    journal.queued = [Row(1)]
    await ticks.tick()  # first look: waiting, but it may be a checkout still being worked through
    assert sender.sent == []
    journal.queued.append(Row(2))
    await ticks.tick()  # second look: 1 was waiting last time too; 2 is new
    assert sender.sent == [{1}] and told == [1]
    await ticks.tick()
    assert sender.sent == [{1}, {2}]
    loop.stop()


@pytest.mark.asyncio
async def test_nothing_is_sent_while_the_counter_is_redeeming():
    journal, ticks = Journal(), Ticks()
    sender = Sender(journal)
    redeeming = [True]
    loop = ResendLoop(sender, journal, may_send=lambda: not redeeming[0], after_send=lambda: None, sleep=ticks.sleep)
    loop.start()
    journal.queued = [Row(1)]
    await ticks.tick()
    await ticks.tick()
    assert sender.sent == []
    redeeming[0] = False
    await ticks.tick()
    assert sender.sent == [{1}]
    loop.stop()


@pytest.mark.asyncio
async def test_stop_ends_the_loop_and_start_twice_runs_one():
    journal, ticks = Journal(), Ticks()
    loop = ResendLoop(Sender(journal), journal, may_send=lambda: True, after_send=lambda: None, sleep=ticks.sleep)
    loop.start()
    task = loop._task
    loop.start()
    assert loop._task is task
    loop.stop()
    with pytest.raises(asyncio.CancelledError):
        await task
