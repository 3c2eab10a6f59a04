"""The store-wide Redemptions window on the hub: what every register has open, the claim
conflicts, and the managers' settlements that the owning terminal carries out.

A manager at Register 2 may decide about a redemption of Register 1 (mark it redeemed per AIQ's
report, give it up, send it again), but only Register 1 holds its redemption URL and its journal
is the source of truth: the decision is written here as a *settlement request*
(``hub_settlements``), addressed to the owning terminal, and that terminal's background pusher
carries it out through its own journal's decision code at its next contact
(services/hub/carry_out.py), then marks it done here. Until then the window says "waiting for
Register 1".

Each request has a ``ref`` the deciding terminal makes (12 lowercase letters: no digit, so the
journal's redactor leaves it readable in the audit trail): the seal of the decision under the
store's key (``sealed_ref``), so a row written or edited on the hub by anyone without the key is
refused by its owner. The owner writes the ref into the audit event of
the decision it carries out, and looks for it before acting: a crash between acting and marking
done is carried out once. ``as_of_seq`` is the row's last event as the manager saw it; the owner
refuses a request about a row that has changed since (decide again).

At most one open request per redemption (a partial unique index): a second manager is told one
is already waiting. Nothing here holds a redemption URL, a token, a phone or an API key.

Schema 3 (``SCHEMA_V3``): ``hub_settlements``, and who settled a claim conflict, when and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import ReversalPhase, State

log = logging.getLogger(__name__)

SCHEMA_V3 = (
    """CREATE TABLE hub_settlements (
        ref TEXT PRIMARY KEY CHECK (ref ~ '^[a-z]{12}$'),
        store TEXT NOT NULL,
        owner_id TEXT NOT NULL REFERENCES hub_terminals (terminal_id),
        entry_id BIGINT NOT NULL,
        transaction_id TEXT NOT NULL,
        discount_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('redeemed', 'abandoned', 'retry', 'reversed')),
        reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
        as_of_seq BIGINT NOT NULL,
        decided_on TEXT NOT NULL,
        decided_on_name TEXT NOT NULL,
        staff_id TEXT NOT NULL,
        staff_name TEXT NOT NULL,
        approver_id TEXT NOT NULL,
        approver_name TEXT NOT NULL CHECK (approver_name <> ''),
        decided_at TIMESTAMPTZ NOT NULL,
        done_at TIMESTAMPTZ,
        outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'done', 'refused')),
        outcome_text TEXT NOT NULL DEFAULT '')""",
    "CREATE UNIQUE INDEX hub_settlements_open ON hub_settlements (owner_id, entry_id) WHERE done_at IS NULL",
    "ALTER TABLE hub_claim_conflicts ADD COLUMN settled_at TIMESTAMPTZ",
    "ALTER TABLE hub_claim_conflicts ADD COLUMN settled_reason TEXT NOT NULL DEFAULT ''",
)

#: What the store-wide window lists: still open (or refused: nothing was taken, a manager may
#: send it again), never what ended.
OPEN_STATES = ("queued", "sending", "unknown", "rejected", "reversing")
ACTIONS = frozenset({"redeemed", "abandoned", "retry", "reversed"})
REF_LETTERS = string.ascii_lowercase


def new_ref() -> str:
    """A settlement's reference: 12 random lowercase letters (see the module's docstring)."""
    return "".join(secrets.choice(REF_LETTERS) for _ in range(12))


def is_ref(text: str) -> bool:
    return len(text) == 12 and all(c in REF_LETTERS for c in text)


def sealed_ref(s: Settlement, key: bytes) -> str:
    """The ref a decision carries: 12 letters of an HMAC, under the store's key (the staff lookup
    key every register of the store holds, services/staff/lookup.py), of everything the owner acts
    on. Only a register with the key can file a request its owner carries out: a row written on the
    hub by anyone else (the hub's password is in every till's keyring), or a decision edited there,
    names a manager who never approved it and is refused (carry_out.py)."""
    fields = ["hub-settlement", s.store, s.owner_id, s.entry_id, s.transaction_id, s.discount_id, s.action,
              s.reason, s.as_of_seq, s.decided_on, s.decided_on_name, s.staff.staff_id, s.staff.name,
              s.approver.staff_id, s.approver.name, s.decided_at.astimezone(UTC).isoformat()]
    digest = hmac.new(key, json.dumps(fields).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:16], "big")
    letters = []
    for _ in range(12):
        number, i = divmod(number, len(REF_LETTERS))
        letters.append(REF_LETTERS[i])
    return "".join(letters)


def seal(s: Settlement, key: bytes) -> Settlement:
    """``s`` with its sealed ref (``sealed_ref``)."""
    return dataclasses.replace(s, ref=sealed_ref(s, key))


def sealed(s: Settlement, key: bytes) -> bool:
    """True when ``s`` was filed, unchanged, by a register holding ``key``."""
    return hmac.compare_digest(s.ref, sealed_ref(s, key))


@dataclass(frozen=True)
class HubRow:
    """One redemption of some register, as the hub has it (never its URL, token or contact)."""

    terminal_id: str
    register: str
    id: int  # the row's id in its own terminal's journal
    transaction_id: str
    discount_id: str
    discount_name: str
    pos_discount_id: str
    points: int
    state: State
    reversal_phase: ReversalPhase | None
    attempts: int
    message: str
    shopper_masked: str
    created_at: str
    as_of_seq: int
    waiting_ref: str = ""  # an open settlement request about it ("" none)
    waiting_action: str = ""
    last_outcome: str = ""  # the last settlement carried out or refused about it, in words

    contact_id = ""  # the hub never has AIQ's contact id: the report check matches without it


@dataclass(frozen=True)
class Settlement:
    """A manager's decision about another register's redemption, for that register to carry out."""

    ref: str
    store: str
    owner_id: str
    entry_id: int
    transaction_id: str
    discount_id: str
    action: str
    reason: str
    as_of_seq: int
    decided_on: str
    decided_on_name: str
    staff: Actor
    approver: Actor
    decided_at: datetime


@dataclass(frozen=True)
class Conflict:
    """A claim conflict not settled yet: ``register`` redeemed it late while ``holder`` held the claim."""

    id: int
    store: str
    transaction_id: str
    discount_id: str
    discount_name: str
    register: str
    holder: str
    redeemed_at: datetime
    found_at: datetime


class SettlementRefused(Exception):
    """The hub would not take the request; the message says why, for the manager."""


_ROWS = ("SELECT r.terminal_id, t.name, r.entry_id, r.transaction_id, r.discount_id, r.discount_name, "
         "r.pos_discount_id, r.points, r.state, r.reversal_phase, r.attempts, r.message, r.shopper_masked, "
         "r.created_at, r.as_of_seq, coalesce(s.ref, ''), coalesce(s.action, ''), coalesce(d.text, '') "
         "FROM hub_redemptions r JOIN hub_terminals t ON t.terminal_id = r.terminal_id "
         "LEFT JOIN hub_settlements s ON s.owner_id = r.terminal_id AND s.entry_id = r.entry_id AND s.done_at IS NULL "
         "LEFT JOIN LATERAL (SELECT x.outcome || ': ' || x.outcome_text AS text FROM hub_settlements x "
         "WHERE x.owner_id = r.terminal_id AND x.entry_id = r.entry_id AND x.done_at IS NOT NULL "
         "ORDER BY x.done_at DESC LIMIT 1) d ON TRUE "
         "WHERE r.store = %s AND (r.state = ANY(%s) AND r.state <> 'reversing' "
         "OR r.state = 'reversing' AND r.reversal_phase IN ('queued', 'sending', 'unknown')) "
         "AND (r.state <> 'rejected' OR r.updated_at >= %s) "
         "ORDER BY r.created_at, t.name, r.entry_id LIMIT %s")


def open_rows(conn: psycopg.Connection, store: str, refused_since: datetime, limit: int = 500) -> list[HubRow]:
    """Every register's open redemptions at ``store`` (and those refused since ``refused_since``),
    oldest first, each with the settlement waiting for it."""
    since = refused_since.astimezone(UTC).isoformat()
    rows = conn.execute(_ROWS, (store, list(OPEN_STATES), since, limit)).fetchall()
    conn.commit()
    listed = []
    for r in rows:
        try:  # no register writes such a row: written on the hub by hand, it is left out, not a crash
            datetime.fromisoformat(r[13])
            listed.append(_hub_row(r))
        except (TypeError, ValueError):
            log.warning("the store hub's copy of %s's redemption %s cannot be read: not listed", r[1], r[2])
    return listed


def _hub_row(r: tuple[Any, ...]) -> HubRow:
    return HubRow(terminal_id=r[0], register=r[1], id=r[2], transaction_id=r[3], discount_id=r[4],
                  discount_name=r[5], pos_discount_id=r[6], points=r[7], state=State(r[8]),
                  reversal_phase=ReversalPhase(r[9]) if r[9] else None, attempts=r[10], message=r[11],
                  shopper_masked=r[12], created_at=r[13], as_of_seq=r[14], waiting_ref=r[15],
                  waiting_action=r[16], last_outcome=r[17])


def open_conflicts(conn: psycopg.Connection, store: str) -> list[Conflict]:
    """The claim conflicts at ``store`` no manager has settled yet, oldest first."""
    rows = conn.execute(
        "SELECT f.id, f.store, f.transaction_id, f.discount_id, coalesce(r.discount_name, f.discount_id), "
        "f.terminal_name, coalesce(c.terminal_name, h.name, f.holder_id), f.redeemed_at, f.found_at "
        "FROM hub_claim_conflicts f LEFT JOIN hub_claims c ON c.store = f.store AND "
        "c.transaction_id = f.transaction_id AND c.discount_id = f.discount_id "
        "LEFT JOIN hub_terminals h ON h.terminal_id = f.holder_id "
        "LEFT JOIN LATERAL (SELECT discount_name FROM hub_redemptions x WHERE x.store = f.store AND "
        "x.transaction_id = f.transaction_id AND x.discount_id = f.discount_id LIMIT 1) r ON TRUE "
        "WHERE f.store = %s AND f.settled_by = '' ORDER BY f.found_at, f.id", (store,)).fetchall()
    conn.commit()
    return [Conflict(*r) for r in rows]


def request(conn: psycopg.Connection, s: Settlement) -> None:
    """File ``s`` for its owner; SettlementRefused when one is already waiting for the row, or
    the row changed on the hub since the manager looked."""
    if s.action not in ACTIONS or not is_ref(s.ref):
        raise SettlementRefused(f"not a settlement: {s.action!r}")
    with conn.transaction():
        row = conn.execute("SELECT as_of_seq FROM hub_redemptions WHERE terminal_id = %s AND entry_id = %s "
                           "FOR UPDATE", (s.owner_id, s.entry_id)).fetchone()
        if row is None:
            raise SettlementRefused("That redemption is not on the store hub any more.")
        if int(row[0]) != s.as_of_seq:
            raise SettlementRefused("That redemption changed since the list was read: look at it again, then decide.")
        inserted = conn.execute(
            "INSERT INTO hub_settlements (ref, store, owner_id, entry_id, transaction_id, discount_id, action, "
            "reason, as_of_seq, decided_on, decided_on_name, staff_id, staff_name, approver_id, approver_name, "
            "decided_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (s.ref, s.store, s.owner_id, s.entry_id, s.transaction_id, s.discount_id, s.action, s.reason,
             s.as_of_seq, s.decided_on, s.decided_on_name, s.staff.staff_id, s.staff.name,
             s.approver.staff_id, s.approver.name, s.decided_at)).rowcount
    if inserted != 1:
        raise SettlementRefused("A decision about that redemption is already waiting for its register.")


_MINE = ("SELECT ref, store, owner_id, entry_id, transaction_id, discount_id, action, reason, as_of_seq, "
         "decided_on, decided_on_name, staff_id, staff_name, approver_id, approver_name, decided_at "
         "FROM hub_settlements WHERE owner_id = %s AND done_at IS NULL ORDER BY decided_at, ref")


def requests_for(conn: psycopg.Connection, owner_id: str) -> list[Settlement]:
    """The requests addressed to ``owner_id`` not carried out yet, oldest first."""
    rows = conn.execute(_MINE, (owner_id,)).fetchall()
    conn.commit()
    return [Settlement(ref=r[0], store=r[1], owner_id=r[2], entry_id=r[3], transaction_id=r[4], discount_id=r[5],
                       action=r[6], reason=r[7], as_of_seq=r[8], decided_on=r[9], decided_on_name=r[10],
                       staff=Actor(r[11], r[12]), approver=Actor(r[13], r[14]), decided_at=r[15]) for r in rows]


def mark_done(conn: psycopg.Connection, ref: str, owner_id: str, outcome: str, text: str) -> bool:
    """The owner carried ``ref`` out (``outcome`` 'done') or refused it ('refused', and why).
    Idempotent: True only the first time."""
    with conn.transaction():
        return conn.execute("UPDATE hub_settlements SET done_at = now(), outcome = %s, outcome_text = %s "
                            "WHERE ref = %s AND owner_id = %s AND done_at IS NULL",
                            (outcome, text[:300], ref, owner_id)).rowcount == 1


def settle_conflict(conn: psycopg.Connection, conflict_id: int, settled_by: Actor, reason: str) -> bool:
    """A manager looked at both registers' records and settled the conflict; False when it was
    already settled (by someone else, meanwhile)."""
    who = f"{settled_by.name} ({settled_by.staff_id})" if settled_by.staff_id else settled_by.name
    with conn.transaction():
        return conn.execute("UPDATE hub_claim_conflicts SET settled_by = %s, settled_at = now(), "
                            "settled_reason = %s WHERE id = %s AND settled_by = ''",
                            (who, reason, conflict_id)).rowcount == 1
