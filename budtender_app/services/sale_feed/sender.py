"""Sending the sales feed's outbox to AIQ (F1) in the background, each sale until it got through.

Plain asyncio, no Qt. Each row is marked 'sending' on disk before its POST (``SaleOutbox.start``),
so a row is never sent by two rounds at once. AIQ keys a sale by its pos_id, so anything short of
AIQ's definite refusal (no network, a timeout, a 5xx, a lost answer, a rejected API key that a
manager will fix) puts the row back to 'waiting' with a later time to try (``domain/sale_feed.
next_try``: 15 s, 30 s, 1 min ... then every 30 min): a second send updates the same sale.

The phone in the member block: the journal never holds it. ``remember_phone`` keeps it in this
object's memory, for the sale checked out a moment ago, until that sale is sent or refused; a
sale sent after a restart goes with AIQ's contact ID alone (AIQ's own key for the member).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from budtender_app.domain import errors
from budtender_app.domain.clock import Clock
from budtender_app.domain.sale_feed import FedSale, FeedState, next_try, sale_body
from budtender_app.services.journal import JournalError
from budtender_app.services.sale_feed.outbox import SaleOutbox

log = logging.getLogger(__name__)

#: Seconds between looks at the outbox when nothing is due sooner.
LOOK_EVERY = 15.0


def refused_for_good(exc: errors.Rejected) -> bool:
    """A definite no for this sale, not sent again by itself: AIQ said why (its reason), or the
    terminal itself refused to send it. A refusal with no reason at all (a 2xx we cannot read, a
    bare 404 or redirect) may be AIQ or a proxy having a bad moment: the sale waits and is sent
    again later, which costs nothing, since AIQ keys it by pos_id."""
    return isinstance(exc, errors.RefusedToSend) or bool(exc.detail)


class SaleApi(Protocol):
    """FeedClient (services/feeds/client.py), as far as the sales feed uses it."""

    async def post_sale(self, visit: Mapping[str, Any], *, member: Mapping[str, Any] | None = None) -> object: ...


class SaleSender:
    """Sends the outbox's due rows, one at a time; ``run`` keeps doing it until stopped."""

    def __init__(self, api: SaleApi, outbox: SaleOutbox, *, clock: Clock, every: float = LOOK_EVERY,
                 after_send: Callable[[], None] = lambda: None) -> None:
        self._api = api
        self._outbox = outbox
        self._clock = clock
        self._every = every
        self._after_send = after_send  # the Redemptions window's list redraws
        self._phones: dict[int, str] = {}  # row id -> 10 digits, this run only: never written anywhere
        self._poked = False  # a poke while a round was sending: look again at once
        self._wake: asyncio.Future[None] | None = None  # resolved by a poke while the loop waits
        self._round = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:  # the phones it holds stay out of any log
        return f"SaleSender({len(self._phones)} phones held)"

    def remember_phone(self, row_id: int, digits: str) -> None:
        """The shopper's phone for the member block of row ``row_id``, held in memory until sent."""
        if digits:
            self._phones[row_id] = digits

    def poke(self) -> None:
        """Look now (a checkout just journaled a sale)."""
        self._poked = True
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def send_due(self) -> list[FedSale]:
        """The rows whose time to try has come, oldest first, until one does not get through (AIQ
        or the network is down: after a long outage the rest are not each tried and failed in one
        round, one probe a round is enough); the rows as they ended."""
        ended: list[FedSale] = []
        async with self._round:  # the loop and a poke never send the same row twice
            for sale in self._outbox.due(self._clock.now()):
                ended.append(await self.send(sale))
                if ended[-1].state is FeedState.WAITING and ended[-1].attempts > sale.attempts:
                    break
        if ended:
            self._after_send()
        return ended

    async def send(self, sale: FedSale) -> FedSale:
        """One try of one waiting row: sent, refused, or waiting again for its next try. A row of
        another store (the counter switched store mid-round) waits for the counter to use that
        store again: it goes with its own store's AIQ account, never the one in use now."""
        if sale.store != self._outbox.store:
            return sale
        started = self._outbox.start(sale.id)
        if started is None:
            return self._outbox.get(sale.id)  # sent (or being sent) meanwhile
        try:
            visit, member = sale_body(started, zone=self._clock.zone, phone=self._phones.get(sale.id, ""))
        except ValueError as exc:  # a total changed outside the app: never sent, never in the way of the rest
            log.warning("fed sale #%s is not a sale the counter sends (%s): refused", sale.id, exc)
            return self._outbox.refused(sale.id, f"Not sent: the journal's row is not a sale the counter takes "
                                                 f"({exc}).")
        try:
            await self._api.post_sale(visit, member=member)
        except errors.Rejected as exc:
            if not refused_for_good(exc):  # no reason: an answer we cannot read, a 404 page: try again later
                return self._later(started, str(exc), None)
            log.info("AIQ refused the %s %s: %s", started.kind.value, started.id, exc)
            self._phones.pop(sale.id, None)
            return self._outbox.refused(sale.id, str(exc))
        except errors.AiqError as exc:
            return self._later(started, str(exc), getattr(exc, "retry_after", None))
        except asyncio.CancelledError:  # quitting mid-send: AIQ may have it; a resend only updates it
            self._later(started, "the app stopped while this was being sent", None, at=self._clock.now())
            raise
        log.info("%s %s sent to AIQ's sales feed", started.kind.value.capitalize(), started.id)
        self._phones.pop(sale.id, None)
        return self._outbox.sent(sale.id)

    def _later(self, sale: FedSale, why: str, retry_after: float | None, *, at: datetime | None = None) -> FedSale:
        when = at or next_try(sale.attempts, self._clock.now(), retry_after)
        log.info("%s %s not through (%s): tried again at %s", sale.kind.value.capitalize(), sale.id, why,
                 f"{self._clock.local(when):%H:%M:%S}")
        return self._outbox.again(sale.id, why, when)

    async def run(self) -> None:
        """Forever: send what is due, then wait for the next due row, a poke, or ``every``."""
        while True:
            try:
                await self.send_due()
            except JournalError:  # the journal is closing (quit) or cannot be written: next round
                log.warning("the sales feed could not read or write the journal", exc_info=True)
            if self._poked:
                self._poked = False
                continue
            # A future made here, on the running loop (an asyncio.Event made earlier, outside it,
            # found no loop under qasync).
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait([self._wake], timeout=self._wait())
            finally:
                self._wake = None
            self._poked = False

    def _wait(self) -> float:
        waiting = [s.next_try_at for s in self._outbox.listed() if s.state is FeedState.WAITING and s.next_try_at]
        if not waiting:
            return self._every
        soonest = (min(waiting) - self._clock.now()).total_seconds()
        return max(0.05, min(self._every, soonest))

    def start(self) -> None:
        """Run in the background (kept referenced here: qasync keeps no task alive)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        """At quit: stop; a send under way is put back to 'waiting' (AIQ keys it: a resend updates)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
