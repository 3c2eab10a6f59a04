"""The background push to the store hub: plain asyncio, no Qt, never in the way of a sale.

Every ``every`` seconds (and at once when ``nudge``d, e.g. after a checkout) the pusher opens
the hub (``connect_timeout`` keeps an unreachable one short), pushes what the hub lacks and
closes it. psycopg's blocking calls run in a worker thread (``asyncio.to_thread``) on the
pusher's own read-only journal connection (SQLite's WAL: it never waits on the counter's
writes), so neither the GUI nor a sale ever waits on the hub. What the counter may show quietly
is ``state``: in sync, N events waiting, or unreachable since when (and why, for IT).

With a ``settler`` (services/hub/carry_out.py) each contact also carries out the managers'
settlements addressed to this terminal (settlements.py), on the event loop with the counter's
own journal, then pushes the result and marks them done, in that order: a crash between acting
and marking leaves the request open, and the settler finds it carried out already.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import psycopg

from budtender_app.services.hub.claims import settle
from budtender_app.services.hub.config import HubUnreachable, connect
from budtender_app.services.hub.orphans import release_stale
from budtender_app.services.hub.push import PushResult, Terminal, push
from budtender_app.services.hub.rounds import Rounds
from budtender_app.services.hub.schema import HubSchemaError
from budtender_app.services.hub.settlements import Settlement, mark_done, requests_for
from budtender_app.services.hub.withdraw import take

log = logging.getLogger(__name__)

#: Seconds between pushes when nothing nudges the pusher.
PUSH_EVERY = 30.0


@dataclass(frozen=True)
class PushState:
    """The hub as the counter may show it: ``waiting`` events not on the hub yet (None before
    the first contact), ``unreachable_since`` and ``problem`` when the last push failed."""

    waiting: int | None = None
    unreachable_since: datetime | None = None
    problem: str = ""
    chain_ok: bool = True

    @property
    def in_sync(self) -> bool:
        return self.waiting == 0 and not self.problem


class Settler(Protocol):
    """HubSettler (carry_out.py), as far as the pusher uses it."""

    async def carry_out(self, s: Settlement, take: Callable[[str], Awaitable[bool | None]]) -> tuple[str, str] | None:
        ...


class HubPusher:
    """Pushes ``terminal``'s journal to the hub reached with ``connect_args``, in the background."""

    def __init__(self, terminal: Terminal, connect_args: dict[str, Any], *, now: Callable[[], datetime],
                 every: float = PUSH_EVERY, on_state: Callable[[PushState], None] = lambda _s: None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, settler: Settler | None = None) -> None:
        self._terminal = terminal
        self._args = connect_args
        self._now = now
        self._on_state = on_state
        self.settler = settler
        self._rounds = Rounds(self.push_once, every, sleep)
        self._work: asyncio.Future[PushResult] | None = None  # the push in its thread, if one runs
        self.state = PushState()

    async def push_once(self) -> PushState:
        """One push in a worker thread; the new ``state`` (never raises for a hub problem)."""
        work = self._work = asyncio.ensure_future(self._contact())
        work.add_done_callback(_retrieve)
        try:
            result = await asyncio.shield(work)  # stopped mid-push: the contact still ends, and ``aclose`` awaits it
        except (HubUnreachable, HubSchemaError, OSError) as exc:
            since = self.state.unreachable_since or self._now()
            self.state = PushState(self.state.waiting, since, str(exc), self.state.chain_ok)
        except psycopg.OperationalError as exc:  # the hub went away mid-push (stopped, restarted): as unreachable
            since = self.state.unreachable_since or self._now()
            self.state = PushState(self.state.waiting, since, "The hub went away during the push (it is retried): "
                                   + " ".join(str(exc).split()), self.state.chain_ok)
        except Exception as exc:  # noqa: BLE001 - a failed query mid-batch: retried next round, never at the counter
            log.warning("push to the store hub failed: %s", type(exc).__name__)
            self.state = PushState(self.state.waiting, self.state.unreachable_since or self._now(),
                                   f"the push failed ({type(exc).__name__}); it is retried", self.state.chain_ok)
        else:
            self.state = PushState(result.local_last - result.hub_last, None, result.problem,
                                   result.chain.ok if result.chain else self.state.chain_ok and not result.problem)
        self._on_state(self.state)
        return self.state

    async def _contact(self) -> PushResult:
        """Push; then carry out the settlements waiting for this terminal and push their results."""
        result, requests = await asyncio.to_thread(self._push_blocking)
        if self.settler is None or not requests:
            return result
        outcomes = []
        for request in requests:
            try:
                outcome = await self.settler.carry_out(request, self._take)
            except Exception as exc:  # noqa: BLE001 - one request that fails is asked again, never at the counter
                log.warning("hub settlement %s failed here (%s): asked again next round", request.ref,
                            type(exc).__name__)
                continue
            if outcome is not None:
                outcomes.append((request.ref, *outcome))
        return await asyncio.to_thread(self._finish_blocking, outcomes) if outcomes else result

    async def _take(self, ref: str) -> bool | None:
        """Take ``ref`` on the hub before acting (withdraw.py); None when the hub did not answer."""
        try:
            return await asyncio.to_thread(self._take_blocking, ref)
        except (HubUnreachable, OSError, psycopg.Error) as exc:
            log.info("hub settlement %s waits: the hub did not answer its take (%s)", ref, type(exc).__name__)
            return None

    def _take_blocking(self, ref: str) -> bool:
        with connect(self._args) as conn:
            return take(conn, ref, self._terminal.id)

    def _finish_blocking(self, outcomes: list[tuple[str, str, str]]) -> PushResult:
        """The results first (pushed), then the requests marked done."""
        with connect(self._args) as conn:
            result = push(self._terminal, conn)
            for ref, outcome, text in outcomes:
                mark_done(conn, ref, self._terminal.id, outcome, text)
            return result

    def _push_blocking(self) -> tuple[PushResult, list[Settlement]]:
        with connect(self._args) as conn:
            result = push(self._terminal, conn)
            if not result.problem:  # then what was redeemed while the hub was away is claimed late
                for gone in release_stale(conn, self._terminal.id, self._terminal.journal):
                    log.info("released this terminal's stale claim of transaction %s discount %s: its journal "
                             "has no redemption for it", gone.transaction_id, gone.discount_id)
                for c in settle(conn, self._terminal.id, self._terminal.name, self._now()):
                    log.warning("claim conflict: transaction %s discount %s was redeemed here while the hub was "
                                "unreachable, and %s holds it: a manager checks it (hub status)",
                                c.held.transaction_id if c.held else "?", c.held.discount_id if c.held else "?",
                                c.holder_name)
            wanted = self.settler is not None and not result.problem
            return result, requests_for(conn, self._terminal.id) if wanted else []

    def nudge(self) -> None:
        """Push soon (after a checkout): the hub hears of it without waiting a whole round."""
        self._rounds.nudge()

    async def run(self) -> None:
        """Forever: push, then wait a round or a nudge."""
        await self._rounds.run()

    def start(self) -> None:
        """Run in the background (kept referenced here: qasync keeps no task alive)."""
        self._rounds.start()

    def stop(self) -> None:
        """At quit: a push under way finishes in its thread; its batch commits or rolls back whole."""
        self._rounds.stop()

    async def aclose(self) -> None:
        """Stop, and wait until a push under way has ended in its thread (its journal may close then)."""
        self.stop()
        if self._work is not None and not self._work.done():
            await asyncio.wait([self._work])


def _retrieve(work: asyncio.Future[PushResult]) -> None:
    # push_once reports the push's failure; a push whose caller was stopped is only wound down.
    if not work.cancelled():
        work.exception()
