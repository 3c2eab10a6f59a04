"""A manager releases a claim by hand: a claim held by a register that is gone for good (stolen,
broken, never reinstalled) blocks its (transaction, discount) at every register, since a silent
claim is never taken over (orphans.py: the holder may have redeemed it and lost the hub).

Only a person can judge that the holder did not redeem it (AIQ's report, the POS): the release
names who and why, on the hub (``hub_claim_releases``: the claim as it was, the manager, the
register it was done at, the reason) and in the releasing terminal's own audit trail. It is
refused while the holder's pushed redemptions show it took the discount (redeemed, or not settled
yet): releasing that claim would only let the discount be redeemed twice.

Schema 6 (``SCHEMA_V6``): ``hub_claim_releases``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from budtender_app.domain.actor import Actor
from budtender_app.services.hub.orphans import FREED
from budtender_app.services.hub.withdraw import who

SCHEMA_V6 = (
    """CREATE TABLE hub_claim_releases (
        id BIGSERIAL PRIMARY KEY,
        store TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        discount_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        holder_name TEXT NOT NULL,
        claimed_at TIMESTAMPTZ NOT NULL,
        released_by TEXT NOT NULL CHECK (released_by <> ''),
        released_on TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
        released_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
)

#: What the manager is told before and after: the holder may have redeemed it.
WARNING = ("The register holding the claim may have redeemed this discount and not told the store hub yet: "
           "release it only when AIQ's report and the POS show it was not redeemed there.")


class ReleaseRefused(Exception):
    """The claim was not released; the message says why."""


@dataclass(frozen=True)
class Released:
    """The claim as it was when released."""

    holder_name: str
    claimed_at: datetime
    state: str  # the holder's pushed redemption of it ("" none)


def release_claim(conn: psycopg.Connection, store: str, transaction_id: str, discount_id: str, by: Actor,
                  on_name: str, reason: str) -> Released:
    """Delete the claim and record who released it and why, in one transaction."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise ReleaseRefused("A release needs a reason of at most 200 characters.")
    if not by.name.strip():
        raise ReleaseRefused("A release needs the approving manager's name.")
    key = (store, transaction_id, discount_id)
    with conn.transaction():
        row = conn.execute("SELECT terminal_id, terminal_name, claimed_at FROM hub_claims WHERE store = %s AND "
                           "transaction_id = %s AND discount_id = %s FOR UPDATE", key).fetchone()
        if row is None:
            where = f" at {store}" if store else ""
            raise ReleaseRefused(f"No register holds a claim on discount {discount_id} of transaction "
                                 f"{transaction_id}{where}: nothing to release.")
        holder_id, holder_name, claimed_at = row
        found = conn.execute("SELECT state FROM hub_redemptions WHERE terminal_id = %s AND store = %s AND "
                             "transaction_id = %s AND discount_id = %s ORDER BY entry_id DESC LIMIT 1",
                             (holder_id, *key)).fetchone()
        state = str(found[0]) if found else ""
        if state and state not in FREED:
            raise ReleaseRefused(f"{holder_name} has this discount in its journal ({state}): the claim stays. "
                                 "Settle that redemption instead (Redemptions, Whole store).")
        conn.execute("DELETE FROM hub_claims WHERE store = %s AND transaction_id = %s AND discount_id = %s", key)
        conn.execute("INSERT INTO hub_claim_releases (store, transaction_id, discount_id, holder_id, holder_name, "
                     "claimed_at, released_by, released_on, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     (*key, holder_id, holder_name, claimed_at, who(by), on_name, reason))
    return Released(str(holder_name), claimed_at, state)


@dataclass(frozen=True)
class Blocked:
    """A claim no other register may take over (orphans.py's silent one): stale, no redemption of
    its holder backs it, and its holder has not pushed its whole journal since."""

    transaction_id: str
    discount_id: str
    holder: str
    claimed_at: datetime


_BLOCKED = (
    "SELECT c.transaction_id, c.discount_id, c.terminal_name, c.claimed_at FROM hub_claims c "
    "LEFT JOIN hub_terminals t ON t.terminal_id = c.terminal_id WHERE c.store = %(store)s "
    "AND now() - c.hub_at > %(after)s AND NOT coalesce(t.synced_at > c.hub_at + %(grace)s, FALSE) "
    "AND NOT EXISTS (SELECT 1 FROM hub_redemptions r WHERE r.terminal_id = c.terminal_id AND r.store = c.store "
    "AND r.transaction_id = c.transaction_id AND r.discount_id = c.discount_id AND r.state <> ALL(%(freed)s)) "
    "ORDER BY c.claimed_at LIMIT 100")


def blocked_claims(conn: psycopg.Connection, store: str) -> list[Blocked]:
    """The silent claims at ``store``, oldest first: each blocks its discount at every register."""
    from budtender_app.services.hub.orphans import JOURNAL_GRACE, ORPHAN_AFTER

    rows = conn.execute(_BLOCKED, {"store": store, "after": ORPHAN_AFTER, "grace": JOURNAL_GRACE,
                                   "freed": list(FREED)}).fetchall()
    conn.commit()
    return [Blocked(str(a), str(b), str(c), d) for a, b, c, d in rows]
