"""Sending journaled redemptions and reversals to AIQ: the one place points move.

Rules (../shared/AIQ-API.md, "Defaults where AIQ is silent"): only a 'queued' row is sent; each
send is marked on disk first; only a failure that never reached AIQ is retried by itself; an
unanswered send is 'unknown' and waits for a manager.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

from budtender_app.domain import errors
from budtender_app.services.journal import (
    Journal, JournalEntry, JournalError, JournalStateError, JournalWriteError, ReversalPhase, State, reversal_note,
)

log = logging.getLogger(__name__)

#: Waits before re-trying a send that never reached AIQ (nothing was sent, so it is safe).
RETRY_DELAYS = (0.5, 1.0, 2.0)
#: Waits between tries to write down an answer the journal could not take (disk full): ~1 hour.
ANSWER_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0) + (60.0,) * 60
NOT_RECORDED = ("The terminal could not write this redemption down (is the disk full?), so it was "
                "not sent. Ask a manager.")
ANSWER_NOT_RECORDED = ("AIQ answered, but the terminal could not write the answer down (is the disk "
                       "full?). Unknown: ask a manager. The terminal keeps trying to write it.")


class PointsApi(Protocol):
    async def redeem(self, redemption_url: str, transaction_id: str) -> str: ...
    async def adjust_points(self, contact_id: str, value: int, note: str) -> None: ...


class RedemptionSender:
    def __init__(self, api: PointsApi, journal: Journal, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._api = api
        self._journal = journal
        self._sleep = sleep
        self._writing: set[asyncio.Task] = set()  # answers still to be written (strong references)

    async def redeem(self, entry: JournalEntry) -> JournalEntry:
        """Send one journaled redemption; returns the row as it ended."""
        journal = self._journal
        for delay in (*RETRY_DELAYS, None):
            try:
                journal.mark_sending(entry.id)
            except JournalStateError:  # sent meanwhile (or not queued): never twice
                return journal.get(entry.id)
            except JournalWriteError:  # not marked, so not sent: the row stays 'queued'
                return dataclasses.replace(entry, message=NOT_RECORDED)
            try:
                redemption_id = await self._api.redeem(entry.redemption_url, entry.transaction_id)
            except (errors.Unreachable, errors.RateLimited) as exc:
                entry = self._record(entry, partial(journal.mark_not_sent, entry.id, str(exc)))
                if delay is None or entry.state is not State.QUEUED:
                    return entry
                await self._sleep(delay)
                continue
            except errors.OutcomeUnknown as exc:
                return self._record(entry, partial(journal.mark_unknown, entry.id, str(exc)))
            except errors.AiqError as exc:
                return self._record(entry, partial(journal.mark_rejected, entry.id, _with_detail(exc)))
            except BaseException:  # quitting mid-PUT, or a bug: it may have reached AIQ
                self._record(entry, partial(journal.mark_unknown, entry.id, "the app stopped while this was being sent"))
                raise
            return self._record(entry, partial(journal.mark_redeemed, entry.id, redemption_id))
        raise AssertionError("unreachable")  # pragma: no cover

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
            log.info("sending journaled redemption %s of transaction %s", entry.id, entry.transaction_id)
            sent.append(await self.redeem(entry))
        return sent

    async def reverse(self, entry_id: int) -> JournalEntry:
        """Give a redeemed discount's points back (E10, +pointsDeduction), at most once."""
        journal = self._journal
        entry = journal.queue_reversal(entry_id)
        for delay in (*RETRY_DELAYS, None):
            if entry.reversal_phase is not ReversalPhase.QUEUED:
                return entry  # already reversed, being reversed, or unknown: not again by itself
            entry = journal.mark_reversal_sending(entry.id)
            try:
                await self._api.adjust_points(entry.contact_id, entry.points, reversal_note(entry))
            except (errors.Unreachable, errors.RateLimited) as exc:
                entry = journal.mark_reversal_not_sent(entry.id, str(exc))
                if delay is None:
                    return entry
                await self._sleep(delay)
                continue
            except errors.OutcomeUnknown as exc:
                return journal.mark_reversal_unknown(entry.id, str(exc))
            except errors.AiqError as exc:
                return journal.mark_reversal_rejected(entry.id, _with_detail(exc))
            except BaseException:
                journal.mark_reversal_unknown(entry.id, "the app stopped while this was being sent")
                raise
            return journal.mark_reversed(entry.id)
        raise AssertionError("unreachable")  # pragma: no cover


    def _record(self, entry: JournalEntry, write: Callable[[], JournalEntry]) -> JournalEntry:
        """Write AIQ's answer down. When the journal cannot (disk full), the row is unknown for
        the cashier (ask a manager) and the answer is written in the background once it can be."""
        try:
            return write()
        except JournalWriteError:
            log.error("could not journal AIQ's answer for redemption %s: trying again in the background", entry.id)
            task = asyncio.ensure_future(self._write_later(entry.id, write))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
            return dataclasses.replace(entry, state=State.UNKNOWN, message=ANSWER_NOT_RECORDED)

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
