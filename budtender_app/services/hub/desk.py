"""The store-wide Redemptions window's calls to the hub (settlements.py), as its view model awaits
them: each in a worker thread on a short connection of its own (``connect_timeout``), so the
window never freezes on a hub that went away. Every failure is one ``HubDeskError`` in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import psycopg

from budtender_app.domain.actor import Actor
from budtender_app.services.hub import settlements
from budtender_app.services.hub.config import HubUnreachable, connect
from budtender_app.services.hub.release import Blocked, Released, ReleaseRefused, blocked_claims, release_claim
from budtender_app.services.hub.schema import HubSchemaError, require_current
from budtender_app.services.hub.settlements import Conflict, HubRow, Settlement, SettlementRefused
from budtender_app.services.hub.withdraw import Withdrawn, withdraw

T = TypeVar("T")


class HubDeskError(Exception):
    """The hub could not be read or would not take the decision; the message says why."""


@dataclass(frozen=True)
class StoreView:
    """What the hub has of the store now: every register's open redemptions and the conflicts."""

    rows: list[HubRow]
    conflicts: list[Conflict]
    blocked: list[Blocked] = field(default_factory=list)  # claims held by silent registers (release.py)


class HubDesk:
    """This terminal's window on the hub reached with ``connect_args``."""

    def __init__(self, connect_args: dict[str, Any], *, terminal_id: str, terminal_name: str, key: bytes) -> None:
        self._args = connect_args
        self._key = key  # the store's key: each request filed is sealed with it (settlements.sealed_ref)
        self.terminal_id = terminal_id
        self.terminal_name = terminal_name

    async def read(self, store: str, refused_since: datetime) -> StoreView:
        """The store's open redemptions (refused ones since ``refused_since``) and conflicts."""
        def work(conn: psycopg.Connection) -> StoreView:
            return StoreView(settlements.open_rows(conn, store, refused_since), settlements.open_conflicts(conn, store),
                             blocked_claims(conn, store))
        return await self._run(work)

    async def request(self, s: Settlement) -> None:
        """File a settlement for its register to carry out, sealed with the store's key."""
        filed = settlements.seal(s, self._key)
        await self._run(lambda conn: settlements.request(conn, filed))

    async def withdraw(self, ref: str, by: Actor, reason: str) -> Withdrawn:
        """Withdraw a waiting settlement, unless its register took it first (withdraw.py)."""
        return await self._run(lambda conn: withdraw(conn, ref, by, self.terminal_name, reason))

    async def release_claim(self, store: str, b: Blocked, by: Actor, reason: str) -> Released:
        """Release a claim a silent register holds, recorded on the hub (release.py)."""
        return await self._run(lambda conn: release_claim(conn, store, b.transaction_id, b.discount_id, by,
                                                          self.terminal_name, reason))

    async def settle_conflict(self, conflict_id: int, by: Actor, reason: str) -> bool:
        """Mark a conflict settled; False when someone settled it meanwhile."""
        return await self._run(lambda conn: settlements.settle_conflict(conn, conflict_id, by, reason))

    async def _run(self, work: Callable[[psycopg.Connection], T]) -> T:
        return await asyncio.to_thread(self._blocking, work)

    def _blocking(self, work: Callable[[psycopg.Connection], T]) -> T:
        try:
            with connect(self._args) as conn:
                require_current(conn)
                conn.commit()
                return work(conn)
        except (HubUnreachable, HubSchemaError, SettlementRefused, ReleaseRefused) as exc:
            raise HubDeskError(str(exc)) from exc
        except psycopg.Error as exc:  # the hub went away mid-call, or refused the query
            raise HubDeskError(f"The store hub did not answer ({type(exc).__name__}): it may not have been taken: "
                               "press Refresh to see. IT: hub status.") from exc
