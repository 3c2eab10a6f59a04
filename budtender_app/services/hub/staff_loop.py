"""The staff accounts' sync with the store hub (staff_sync.py), in the background: its own small
loop beside the pusher's, every ``SYNC_EVERY`` seconds or sooner when nudged, psycopg's blocking
calls in a worker thread, so neither a sign-in nor a sale ever waits on the hub.

With the hub away nothing changes at the counter: sign-in works from the staff file, wrong tries
lock the terminal's copy, and what changed here is pushed at the next contact. After a sync that
changed accounts here, ``on_changed`` is called on the loop's thread (the GUI's): the counter then
ends the session of an account removed elsewhere (viewmodels/staff_session.py ``recheck``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import psycopg

from budtender_app.services.hub.config import HubUnreachable, connect
from budtender_app.services.hub.rounds import Rounds
from budtender_app.services.hub.schema import HubSchemaError
from budtender_app.services.hub.staff_sync import StaffSyncError, StaffSyncResult, sync
from budtender_app.services.staff import StaffStore, StaffStoreError
from budtender_app.services.staff.hub_link import Applied

log = logging.getLogger(__name__)

#: Seconds between syncs: an account removed at one register is gone at the others within this.
SYNC_EVERY = 15.0


class HubStaffSync:
    """Keeps ``staff`` (this register's staff file) in step with ``store``'s accounts on the hub."""

    def __init__(self, staff: StaffStore, connect_args: dict[str, Any], *, store: str, terminal_id: str,
                 now: Callable[[], datetime], every: float = SYNC_EVERY,
                 on_changed: Callable[[Applied], None] = lambda _a: None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._staff = staff
        self._args = connect_args
        self._store = store
        self._terminal_id = terminal_id
        self._now = now
        self._on_changed = on_changed
        self._rounds = Rounds(self.sync_once, every, sleep)
        #: Why the last sync did not happen ("" when it did): for IT, never a passcode.
        self.problem = ""
        self._said: set[str] = set()

    async def sync_once(self) -> StaffSyncResult | None:
        """One sync in a worker thread; None when it could not be made (``problem`` says why)."""
        try:
            result = await asyncio.to_thread(self._sync_blocking)
        except (HubUnreachable, OSError, psycopg.OperationalError) as exc:  # away, or gone mid-sync
            self._failed(" ".join(str(exc).split()) or type(exc).__name__, logging.INFO)
            return None
        except (HubSchemaError, StaffSyncError, StaffStoreError, sqlite3.Error) as exc:
            self._failed(str(exc), logging.WARNING)
            return None
        except psycopg.Error as exc:  # a query refused mid-sync (no rights): retried next round
            self._failed(f"the staff sync failed ({type(exc).__name__}); it is retried", logging.WARNING)
            return None
        self.problem = ""
        for why in sorted(set(result.skipped) - self._said):  # each once: they stay until IT acts
            log.warning("a staff account is not shared through the store hub: %s", why)
        self._said = set(result.skipped)
        if result.applied.any:
            self._on_changed(result.applied)
        return result

    def _sync_blocking(self) -> StaffSyncResult:
        with connect(self._args) as conn:
            return sync(conn, self._store, self._terminal_id, self._staff, self._now())

    def _failed(self, problem: str, level: int) -> None:
        if problem != self.problem:  # once per new problem, not every round
            log.log(level, "staff accounts not synced with the store hub: %s", problem)
        self.problem = problem

    def nudge(self) -> None:
        """Sync soon (an account changed here, or a lockout began)."""
        self._rounds.nudge()

    async def run(self) -> None:
        """Forever: sync, then wait a round or a nudge."""
        await self._rounds.run()

    def start(self) -> None:
        """Run in the background (kept referenced here: qasync keeps no task alive)."""
        self._rounds.start()

    def stop(self) -> None:
        """At quit: a sync under way finishes in its thread; each of its writes is whole or not at all."""
        self._rounds.stop()
