"""Orphaned claims: a claim whose register never redeemed it (it crashed after claiming, before
its journal had the row) must not hold that (transaction, discount) forever, and a claim whose
register did redeem it must never be taken by another register. The hub cannot see a journal, so
it goes by what the holder told it, on the hub's own clock (no terminal's clock is trusted):

- A claim is **stale** ``ORPHAN_AFTER`` (30 min) after it was made or last renewed (``hub_at``;
  a register claiming again what it holds renews it, so a sale resumed after a crash is fresh).
- A stale claim is **backed** when its holder pushed a redemption row for it that still takes
  the discount (not refused, abandoned or reversed): it is held, as any claim.
- A stale claim not backed is an **orphan** only when its holder has since pushed *all* of its
  journal (``hub_terminals.synced_at``, the hub's time at the start of a push that caught up)
  at least ``JOURNAL_GRACE`` after the claim. A checkout writes its journal row a moment after
  its claim answers, so such a push would have carried the row: the holder never redeemed it.
  Another register then takes it over (in the claim's own transaction, the claim's row locked).
- A stale claim not backed whose holder has not pushed since is **silent**: the holder may have
  redeemed and lost the hub (a late push is coming). It is refused, with words saying so, and
  never taken over: refusing a sale a manager can check beats redeeming one discount twice.

The holder releases its own stale claims that its journal has no row for at its next contact
(``release_stale``, the pusher's settle), so a register that restarts frees what it never
redeemed at once. A claim renewed meanwhile (a resumed sale claiming again) is not released: the
delete asks the hub's clock again, in the same statement.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from budtender_app.services.hub.claims import Claim
    from budtender_app.services.journal import Journal

#: How long a claim no redemption row backs holds its discount before it may be an orphan.
ORPHAN_AFTER = timedelta(minutes=30)
#: Longer than any checkout takes from its claim's answer to its journal row (one local write).
JOURNAL_GRACE = timedelta(minutes=5)
#: Journal states whose redemption no longer takes the discount (domain/journal_rules.State).
FREED = ("rejected", "abandoned", "reversed")


class Standing(enum.Enum):
    """What another register's claim is to a register that wants the same discount."""

    HELD = "held"  # fresh, or backed by a redemption: refused
    SILENT = "silent"  # stale, unbacked, its holder not heard from since: refused, with the reason
    ORPHAN = "orphan"  # stale, unbacked, its holder pushed all since: taken over


_STANDING = (
    "SELECT now() - c.hub_at > %(after)s, "
    "EXISTS (SELECT 1 FROM hub_redemptions r WHERE r.terminal_id = c.terminal_id AND r.store = c.store "
    "AND r.transaction_id = c.transaction_id AND r.discount_id = c.discount_id AND r.state <> ALL(%(freed)s)), "
    "coalesce((SELECT t.synced_at > c.hub_at + %(grace)s FROM hub_terminals t WHERE t.terminal_id = c.terminal_id), "
    "FALSE) FROM hub_claims c WHERE c.store = %(store)s AND c.transaction_id = %(txid)s AND c.discount_id = %(disc)s")
_TAKE_OVER = ("UPDATE hub_claims SET terminal_id = %s, terminal_name = %s, claimed_at = %s, hub_at = now() "
              "WHERE store = %s AND transaction_id = %s AND discount_id = %s")


def standing(conn: psycopg.Connection, c: Claim) -> Standing:
    """The standing of the claim on ``c`` (its row locked by the caller's ``FOR UPDATE``)."""
    row = conn.execute(_STANDING, {"after": ORPHAN_AFTER, "grace": JOURNAL_GRACE, "freed": list(FREED),
                                   "store": c.store, "txid": c.transaction_id, "disc": c.discount_id}).fetchone()
    if row is None:
        return Standing.HELD
    stale, backed, synced = row
    if not stale or backed:
        return Standing.HELD
    return Standing.ORPHAN if synced else Standing.SILENT


def take_over(conn: psycopg.Connection, c: Claim, terminal_id: str, terminal_name: str, at: object) -> None:
    """The orphan is this register's now, from the hub's now."""
    conn.execute(_TAKE_OVER, (terminal_id, terminal_name, at, c.store, c.transaction_id, c.discount_id))


def mark_synced(conn: psycopg.Connection, terminal_id: str, started: object) -> None:
    """A push that began at the hub's ``started`` caught up with the whole journal."""
    with conn.transaction():
        conn.execute("UPDATE hub_terminals SET synced_at = greatest(coalesce(synced_at, %s), %s) "
                     "WHERE terminal_id = %s", (started, started, terminal_id))


def release_stale(conn: psycopg.Connection, terminal_id: str, journal: Journal) -> list[Claim]:
    """This terminal's stale claims its own journal has no row for, released (see the module's
    docstring); the ones released."""
    from budtender_app.services.hub.claims import Claim

    rows = conn.execute("SELECT store, transaction_id, discount_id FROM hub_claims WHERE terminal_id = %s "
                        "AND now() - hub_at > %s", (terminal_id, ORPHAN_AFTER)).fetchall()
    conn.commit()
    never = [Claim(*r) for r in rows if not _journaled(journal, Claim(*r))]
    with conn.transaction():
        return [c for c in never if conn.execute(
            "DELETE FROM hub_claims WHERE store = %s AND transaction_id = %s AND discount_id = %s "
            "AND terminal_id = %s AND now() - hub_at > %s",
            (c.store, c.transaction_id, c.discount_id, terminal_id, ORPHAN_AFTER)).rowcount]


def _journaled(journal: Journal, c: Claim) -> bool:
    return any(e.discount_id == c.discount_id for e in journal.for_transaction(c.transaction_id, c.store))
