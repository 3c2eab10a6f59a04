"""Claims across registers: before a redemption is sent, the terminal claims (store, POS
transaction, discount) on the hub, all of a checkout's discounts in one transaction, so two
registers never redeem the same discount of the same sale.

``claim`` is the checkout's call: CLAIMED (go on), HELD (another register holds one of them:
refuse the checkout, "already redeemed at Register 2 at 14:03"; nothing of this checkout is
claimed) or UNREACHABLE (the hub did not answer in ``connect_timeout``: redeem anyway, the
terminal's own journal guards it, and claim later). ``claim_late`` is that later claim: a
discount already held by another register is a conflict, recorded on the hub for managers
(``hub_claim_conflicts``) and returned, never resolved silently. Claiming again what this
terminal holds is a no-op, so a retried checkout or a repeated late claim is harmless.

The race: both registers ``INSERT ... ON CONFLICT DO NOTHING`` on the claim's primary key; the
second waits for the first's commit, inserts nothing, and reads who holds it (``FOR UPDATE``: the
claim's row stays locked until this transaction ends). Another register's claim that no
redemption backs and is old is an orphan taken over, or a silent one refused (``orphans.py``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import psycopg

from budtender_app.services.hub import orphans
from budtender_app.services.hub.config import HubUnreachable, connect

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """One discount of one POS transaction at one store."""

    store: str
    transaction_id: str
    discount_id: str


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"
    HELD = "held"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class ClaimResult:
    """What a claim found; for HELD, which register holds which discount and since when."""

    outcome: ClaimOutcome
    held: Claim | None = None
    holder_name: str = ""
    held_since: datetime | None = None
    reason: str = ""  # UNREACHABLE: why, for IT
    #: HELD by a claim no redemption backs yet, whose register has not reached the hub since (orphans.py).
    silent: bool = False

    def message(self, zone: tzinfo) -> str:
        """The cashier's sentence for a refused checkout ("" unless HELD)."""
        if self.outcome is not ClaimOutcome.HELD or self.held_since is None:
            return ""
        when = f"{self.held_since.astimezone(zone):%H:%M}"
        if self.silent:
            return (f"claimed at {self.holder_name} at {when}, and {self.holder_name} has not reached the store "
                    "hub since: it may have redeemed it")
        return f"already redeemed at {self.holder_name} at {when}"


_INSERT = ("INSERT INTO hub_claims (store, transaction_id, discount_id, terminal_id, terminal_name, claimed_at) "
           "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (store, transaction_id, discount_id) DO NOTHING")
_HOLDER = ("SELECT terminal_id, terminal_name, claimed_at FROM hub_claims "
           "WHERE store = %s AND transaction_id = %s AND discount_id = %s FOR UPDATE")
_RENEW = ("UPDATE hub_claims SET hub_at = now() WHERE store = %s AND transaction_id = %s AND discount_id = %s "
          "AND terminal_id = %s")


def claim(connect_args: dict[str, Any], terminal_id: str, terminal_name: str, claims: Sequence[Claim],
          at: datetime) -> ClaimResult:
    """The checkout's claim of all its discounts, in one transaction (see the module's docstring)."""
    try:
        with connect(connect_args) as conn:
            return claim_on(conn, terminal_id, terminal_name, claims, at)
    except HubUnreachable as exc:
        return ClaimResult(ClaimOutcome.UNREACHABLE, reason=str(exc))
    except psycopg.OperationalError as exc:  # the hub went away mid-claim: as unreachable
        return ClaimResult(ClaimOutcome.UNREACHABLE, reason=" ".join(str(exc).split()))


class _Held(Exception):
    def __init__(self, result: ClaimResult) -> None:
        self.result = result


def claim_on(conn: psycopg.Connection, terminal_id: str, terminal_name: str, claims: Sequence[Claim],
             at: datetime) -> ClaimResult:
    """``claim`` on an open connection: all or none of ``claims``."""
    try:
        with conn.transaction():
            for c in claims:
                holder = _take(conn, c, terminal_id, terminal_name, at)
                if holder is not None:
                    raise _Held(ClaimResult(ClaimOutcome.HELD, c, holder.name, holder.since, silent=holder.silent))
    except _Held as held:  # the transaction rolled back: nothing of this checkout is claimed
        return held.result
    return ClaimResult(ClaimOutcome.CLAIMED)


def claim_late(conn: psycopg.Connection, terminal_id: str, terminal_name: str, claims: Sequence[Claim],
               at: datetime) -> list[ClaimResult]:
    """Claims of redemptions made while the hub was unreachable; each one held by another
    register is recorded in ``hub_claim_conflicts`` (for managers) and returned."""
    conflicts = []
    with conn.transaction():
        for c in claims:
            holder = _take(conn, c, terminal_id, terminal_name, at)
            if holder is None:
                continue
            conn.execute("INSERT INTO hub_claim_conflicts (store, transaction_id, discount_id, terminal_id, "
                         "terminal_name, redeemed_at, holder_id) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                         "ON CONFLICT DO NOTHING",
                         (c.store, c.transaction_id, c.discount_id, terminal_id, terminal_name, at, holder.id))
            conflicts.append(ClaimResult(ClaimOutcome.HELD, c, holder.name, holder.since, silent=holder.silent))
    return conflicts


@dataclass(frozen=True)
class _Holder:
    id: str
    name: str
    since: datetime
    silent: bool


def _take(conn: psycopg.Connection, c: Claim, terminal_id: str, terminal_name: str, at: datetime) -> _Holder | None:
    """Insert (or renew, or take over as an orphan) the claim; the other register when it holds it."""
    key, row = (c.store, c.transaction_id, c.discount_id), None
    for _ in range(2):  # a claim released between the insert and the read: inserted on the second round
        if conn.execute(_INSERT, (*key, terminal_id, terminal_name, at)).rowcount:
            return None
        row = conn.execute(_HOLDER, key).fetchone()
        if row is not None:
            break
    if row is None:  # released and taken again at each read: the caller retries the whole claim later
        raise RuntimeError("the claim changed hands while it was read")
    if row[0] == terminal_id:
        conn.execute(_RENEW, (*key, terminal_id))  # claimed again: fresh, never taken as an orphan meanwhile
        return None
    found = orphans.standing(conn, c)
    if found is orphans.Standing.ORPHAN:
        log.info("took over the orphaned claim of transaction %s discount %s from %s", c.transaction_id,
                 c.discount_id, row[1])
        orphans.take_over(conn, c, terminal_id, terminal_name, at)
        return None
    return _Holder(str(row[0]), str(row[1]), row[2], found is orphans.Standing.SILENT)


def release(conn: psycopg.Connection, terminal_id: str, claims: Sequence[Claim]) -> int:
    """Give back ``terminal_id``'s own claims of ``claims`` (AIQ refused them, a manager abandoned
    them, or their points were given back): other registers may then redeem those discounts.
    A claim held by another register is never touched. How many were released."""
    released = 0
    with conn.transaction():
        for c in claims:
            released += conn.execute("DELETE FROM hub_claims WHERE store = %s AND transaction_id = %s AND "
                                     "discount_id = %s AND terminal_id = %s",
                                     (c.store, c.transaction_id, c.discount_id, terminal_id)).rowcount
    return released


FREED = orphans.FREED

_UNCLAIMED = ("SELECT r.store, r.transaction_id, r.discount_id FROM hub_redemptions r WHERE r.terminal_id = %s "
              "AND r.state <> ALL(%s) AND NOT EXISTS (SELECT 1 FROM hub_claims c WHERE c.store = r.store AND "
              "c.transaction_id = r.transaction_id AND c.discount_id = r.discount_id AND c.terminal_id = %s) "
              "AND NOT EXISTS (SELECT 1 FROM hub_claim_conflicts f WHERE f.store = r.store AND "
              "f.transaction_id = r.transaction_id AND f.discount_id = r.discount_id AND f.terminal_id = %s)")
_FREED = ("SELECT r.store, r.transaction_id, r.discount_id FROM hub_redemptions r JOIN hub_claims c ON "
          "c.store = r.store AND c.transaction_id = r.transaction_id AND c.discount_id = r.discount_id "
          "AND c.terminal_id = r.terminal_id WHERE r.terminal_id = %s AND r.state = ANY(%s)")


def settle(conn: psycopg.Connection, terminal_id: str, terminal_name: str, at: datetime) -> list[ClaimResult]:
    """At the pusher's contact, after a push: claim late what this terminal redeemed while the hub
    was unreachable (its pushed redemptions without a claim), and release its claims of
    redemptions refused, abandoned or reversed since. The conflicts found (new ones only)."""
    freed = list(FREED)
    gone = [Claim(*r) for r in conn.execute(_FREED, (terminal_id, freed)).fetchall()]
    if gone:
        release(conn, terminal_id, gone)
    late = [Claim(*r) for r in conn.execute(_UNCLAIMED, (terminal_id, freed, terminal_id, terminal_id)).fetchall()]
    conn.commit()
    return claim_late(conn, terminal_id, terminal_name, late, at) if late else []


def conflicts(conn: psycopg.Connection) -> list[tuple[str, str, str, str, str]]:
    """Unsettled conflicts of late claims, for ``hub status``: (store, transaction, discount,
    the register that redeemed it late, the register that held it)."""
    rows = conn.execute("SELECT f.store, f.transaction_id, f.discount_id, f.terminal_name, "
                        "coalesce(c.terminal_name, f.holder_id) FROM hub_claim_conflicts f LEFT JOIN hub_claims c "
                        "ON c.store = f.store AND c.transaction_id = f.transaction_id AND "
                        "c.discount_id = f.discount_id WHERE f.settled_by = '' ORDER BY f.found_at").fetchall()
    conn.commit()
    return [(str(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in rows]
