"""Sending journaled redemptions and reversals to AIQ: the one place points move.

Rules (../shared/AIQ-API.md, "Defaults where AIQ is silent"): only a 'queued' row is sent; each
send is marked on disk first; only a failure that never reached AIQ is retried by itself; an
unanswered send is 'unknown' and waits for a manager.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from budtender_app.domain import errors
from budtender_app.services.journal import (
    Journal, JournalEntry, JournalStateError, ReversalPhase, reversal_note,
)

log = logging.getLogger(__name__)

#: Waits before re-trying a send that never reached AIQ (nothing was sent, so it is safe).
RETRY_DELAYS = (0.5, 1.0, 2.0)


class PointsApi(Protocol):
    async def redeem(self, redemption_url: str, transaction_id: str) -> str: ...
    async def adjust_points(self, contact_id: str, value: int, note: str) -> None: ...


class RedemptionSender:
    def __init__(self, api: PointsApi, journal: Journal, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._api = api
        self._journal = journal
        self._sleep = sleep

    async def redeem(self, entry: JournalEntry) -> JournalEntry:
        """Send one journaled redemption; returns the row as it ended."""
        journal = self._journal
        for delay in (*RETRY_DELAYS, None):
            try:
                journal.mark_sending(entry.id)
            except JournalStateError:  # sent meanwhile (or not queued): never twice
                return journal.get(entry.id)
            try:
                redemption_id = await self._api.redeem(entry.redemption_url, entry.transaction_id)
            except (errors.Unreachable, errors.RateLimited) as exc:
                entry = journal.mark_not_sent(entry.id, str(exc))
                if delay is None:
                    return entry
                await self._sleep(delay)
                continue
            except errors.OutcomeUnknown as exc:
                return journal.mark_unknown(entry.id, str(exc))
            except errors.AiqError as exc:
                return journal.mark_rejected(entry.id, _with_detail(exc))
            except BaseException:  # quitting mid-PUT, or a bug: it may have reached AIQ
                journal.mark_unknown(entry.id, "the app stopped while this was being sent")
                raise
            return journal.mark_redeemed(entry.id, redemption_id)
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


def _with_detail(exc: errors.AiqError) -> str:
    return str(exc) + (f" AIQ said: {exc.detail}" if exc.detail else "")
