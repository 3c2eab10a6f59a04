"""Sending journaled redemptions and reversals to AIQ: the one place points move.

Rules (../shared/AIQ-API.md, "Defaults where AIQ is silent"): only a 'queued' row is sent; each
send is marked on disk first; only a failure that never reached AIQ is retried by itself (after
AIQ's Retry-After, when it gives one); an unanswered or unclear send is 'unknown' and waits for
a manager. Which failure is which, and the row's move after it, is one rule for both directions:
``domain/journal_rules.failure_action``.
An answer the journal cannot write down (disk full) is "unknown: ask a manager" for the cashier
and is written in the background once it can be; a send the journal cannot mark is not sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from budtender_app.domain import errors
from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import (
    AFTER_FAILURE,
    Direction,
    ReversalPhase,
    SendFailure,
    State,
    failure_action,
    send_failure,
)
from budtender_app.services.journal import (
    Journal,
    JournalEntry,
    JournalError,
    JournalStateError,
    JournalWriteError,
    reversal_note,
)

log = logging.getLogger(__name__)

#: Waits before re-trying a send that never reached AIQ (nothing was sent, so it is safe).
RETRY_DELAYS = (0.5, 1.0, 2.0)
#: Seconds one send may spend waiting between tries, AIQ's Retry-After included: the counter
#: shows "Redeeming…" meanwhile. Asked to wait longer, the row stays queued (nothing was sent)
#: and the terminal's background retry (every minute or so) sends it later.
RETRY_AFTER_CAP = 30.0
_STOPPED = "the app stopped while this was being sent"
#: Waits between tries to write down an answer the journal could not take (disk full): ~1 hour.
ANSWER_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0) + (60.0,) * 60
NOT_RECORDED = ("The terminal could not write this redemption down (is the disk full?), so it was "
                "not sent. Ask a manager.")
ANSWER_NOT_RECORDED = ("AIQ answered, but the terminal could not write the answer down (is the disk "
                       "full?). Unknown: ask a manager. The terminal keeps trying to write it.")


class PointsApi(Protocol):
    async def redeem(self, redemption_url: str, transaction_id: str) -> str: ...
    async def adjust_points(self, contact_id: str, value: int, note: str) -> None: ...


@dataclass(frozen=True, slots=True)
class _Marks:
    """The journal's moves for one direction (redeem, or give the points back); after a failure
    the move is ``journal_rules.failure_action`` for ``direction``."""

    direction: Direction
    start: Callable[[JournalEntry], JournalEntry | None]  # None: do not send (not queued)
    done: Callable[[JournalEntry, object], JournalEntry]
    lost: Callable[[JournalEntry], JournalEntry]  # the row as told when its answer is not on disk


def wait_before_retry(exc: BaseException, delay: float, left: float = RETRY_AFTER_CAP) -> float | None:
    """Seconds to wait before sending a not-sent row again: our own ``delay``, or AIQ's
    Retry-After when longer; None (stop for now) when that is more than the ``left`` of
    RETRY_AFTER_CAP this send may still wait."""
    asked = exc.retry_after if isinstance(exc, errors.RateLimited) else None
    wait = delay if asked is None else max(delay, asked)
    return None if wait > left else wait


class RedemptionSender:
    def __init__(self, api: PointsApi, journal: Journal, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._api = api
        self._journal = journal
        self._sleep = sleep
        self._redeem_marks = _Marks(
            Direction.REDEEM, start=self._start_redeem,
            done=lambda entry, aiq_id: journal.mark_redeemed(entry.id, str(aiq_id or "")),
            lost=lambda entry: dataclasses.replace(entry, state=State.UNKNOWN, message=ANSWER_NOT_RECORDED),
        )
        self._reverse_marks = _Marks(
            Direction.REVERSE, start=self._start_reversal,
            done=lambda entry, _: journal.mark_reversed(entry.id),
            lost=lambda entry: dataclasses.replace(entry, reversal_phase=ReversalPhase.UNKNOWN,
                                                   message=ANSWER_NOT_RECORDED),
        )
        self._writing: set[asyncio.Task[None]] = set()  # answers still to be written (strong references)

    async def redeem(self, entry: JournalEntry) -> JournalEntry:
        """Send one journaled redemption; returns the row as it ended."""
        return await self._send(entry, self._redeem_marks,
                                lambda e: self._api.redeem(e.redemption_url, e.transaction_id))

    async def send_queued(self, *, only: set[int] | None = None,
                          may_send: Callable[[], bool] = lambda: True) -> list[JournalEntry]:
        """Everything this store journaled that never reached AIQ (after a restart, say).

        ``only`` limits it to those row ids, and ``may_send`` is asked before each row (the
        counter is mid-checkout: wait).
        """
        sent = []
        for entry in self._journal.queued_to_send():
            if only is not None and entry.id not in only:
                continue
            if not may_send():
                break
            if entry.store != self._journal.store:
                continue  # the counter moved to another store mid-round (Manager settings): this row waits for its own
            log.info("sending journaled redemption %s of transaction %s", entry.id, entry.transaction_id)
            sent.append(await self.redeem(entry))
        return sent

    async def reverse(self, entry_id: int, *, staff: Actor, approver: Actor | None = None) -> JournalEntry:
        """Give a redeemed discount's points back (E10, +pointsDeduction), at most once, as ``staff``
        asked (approved by ``approver``). Its send and AIQ's answer are attributed to them too."""
        entry = self._journal.queue_reversal(entry_id, staff=staff, approver=approver)
        return await self._send(entry, self._reverse_marks,
                                lambda e: self._api.adjust_points(e.contact_id, e.points, reversal_note(e)))

    def _start_redeem(self, entry: JournalEntry) -> JournalEntry | None:
        try:
            return self._journal.mark_sending(entry.id)
        except JournalStateError:  # sent meanwhile (or not queued): never twice
            return None

    def _start_reversal(self, entry: JournalEntry) -> JournalEntry | None:
        if entry.reversal_phase is not ReversalPhase.QUEUED:
            return None  # already reversed, being reversed, or unknown: not again by itself
        return self._journal.mark_reversal_sending(entry.id)

    async def _send(self, entry: JournalEntry, marks: _Marks,
                    call: Callable[[JournalEntry], Awaitable[object]]) -> JournalEntry:
        """Mark on disk, call AIQ, record what the answer means; resend only what was not sent."""
        left = RETRY_AFTER_CAP
        for delay in (*RETRY_DELAYS, None):
            try:
                started = marks.start(entry)
            except JournalWriteError:  # not marked, so not sent: the row stays as it was
                return dataclasses.replace(entry, message=NOT_RECORDED)
            if started is None:
                return self._journal.get(entry.id)
            entry = started
            try:
                result = await call(entry)
            except errors.AiqError as exc:
                failure = exc
            except BaseException:  # quitting mid-request, or a bug: it may have reached AIQ
                maybe_sent = AFTER_FAILURE[marks.direction][SendFailure.MAYBE_SENT]
                self._record(entry, marks, partial(self._journal.mark_failed, entry.id, maybe_sent, _STOPPED))
                raise
            else:
                return self._record(entry, marks, partial(marks.done, entry, result))
            safe_to_resend = send_failure(failure) is SendFailure.NOT_SENT
            message = str(failure) if safe_to_resend else _with_detail(failure)
            move = failure_action(marks.direction, failure)
            entry = self._record(entry, marks, partial(self._journal.mark_failed, entry.id, move, message))
            # Maybe sent or refused: that is the row's end. Not sent, but that not on disk (still
            # 'sending'): never again by itself.
            if not safe_to_resend or entry.message == ANSWER_NOT_RECORDED:
                return entry
            wait = None if delay is None else wait_before_retry(failure, delay, left)
            if wait is None:
                return entry
            left -= wait
            await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, entry: JournalEntry, marks: _Marks, write: Callable[[], JournalEntry]) -> JournalEntry:
        """Write AIQ's answer down. When the journal cannot (disk full), the row is unknown for
        the cashier (ask a manager) and the answer is written in the background once it can be."""
        try:
            return write()
        except JournalWriteError:
            log.error(  # noqa: TRY400 - the cause (disk full) is known and said; a traceback repeats it
                "could not journal AIQ's answer for redemption %s: trying again in the background", entry.id)
            task = asyncio.ensure_future(self._write_later(entry.id, write))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
            return marks.lost(entry)

    async def _write_later(self, entry_id: int, write: Callable[[], JournalEntry]) -> None:
        for delay in ANSWER_RETRY_DELAYS:
            await self._sleep(delay)
            try:
                write()
            except JournalWriteError:
                continue
            except (JournalError, sqlite3.Error) as exc:  # dealt with meanwhile, or the journal closed at quit
                log.warning("the late answer for redemption %s was not written: %s", entry_id, exc)
                return
            log.info("AIQ's answer for redemption %s is in the journal now", entry_id)
            return
        log.error("gave up writing AIQ's answer for redemption %s: it is unknown at the next start", entry_id)

    async def wait_writes(self) -> None:
        """Until every answer waiting to be written is written or given up (tests, quitting)."""
        while self._writing:
            await asyncio.gather(*list(self._writing), return_exceptions=True)


def _with_detail(exc: errors.AiqError) -> str:
    return str(exc) + (f" AIQ said: {exc.detail}" if exc.detail else "")
