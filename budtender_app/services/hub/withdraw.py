"""Withdrawing a settlement that waits for its register (settlements.py): a register that never
comes back would leave its request waiting for ever, and the row could not be decided again.

Who wins, withdraw or carry-out, is decided by the hub, atomically, on the request's row: the
owning register **takes** the request (``take``: one ``UPDATE`` that sets ``taken_at`` only while
the request is open) right before its journal acts, and acts only when the take succeeded; a
manager's ``withdraw`` locks the row (``FOR UPDATE``) and closes it only when no register took it.
Whichever commits first wins: an owner that fetched the request, then finds it withdrawn when it
takes it, does nothing; a withdraw that comes after the take is refused ("Register 1 is carrying
it out"), and the manager sees its outcome at the next read, unless the take is ``SILENT_TAKE``
old and its register has not pushed since (it stopped mid-act and never came back). A withdrawn request is closed
(``done_at``, outcome 'withdrawn', who and why), so the row may be decided again.

Schema 6 (``SCHEMA_V6``): ``taken_at``, ``withdrawn_by`` and the 'withdrawn' outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from budtender_app.domain.actor import Actor

SCHEMA_V6 = (
    "ALTER TABLE hub_settlements ADD COLUMN taken_at TIMESTAMPTZ",
    "ALTER TABLE hub_settlements ADD COLUMN withdrawn_by TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE hub_settlements DROP CONSTRAINT hub_settlements_outcome_check",
    ("ALTER TABLE hub_settlements ADD CONSTRAINT hub_settlements_outcome_check "
     "CHECK (outcome IN ('', 'done', 'refused', 'withdrawn'))"),
)


@dataclass(frozen=True)
class Withdrawn:
    """What a manager's withdraw found: ``withdrawn`` True when it closed the request; otherwise
    ``why`` says what happened to it (taken by its register, already carried out, gone)."""

    withdrawn: bool
    why: str = ""
    taken_at: datetime | None = None


def who(actor: Actor) -> str:
    return f"{actor.name} ({actor.staff_id})" if actor.staff_id else actor.name


#: A request its register took this long ago, with no push from it since, may be withdrawn: the
#: register stopped between its take and telling the hub (what it did, if anything, is in its
#: journal and reaches the hub with its next push; a new decision about the row is refused while
#: the row differs there, ``as_of_seq``).
SILENT_TAKE = timedelta(minutes=30)


def _taken_and_silent(conn: psycopg.Connection, ref: str) -> bool:
    row = conn.execute("SELECT now() - s.taken_at > %s AND coalesce(t.last_push < s.taken_at, TRUE) "
                       "FROM hub_settlements s LEFT JOIN hub_terminals t ON t.terminal_id = s.owner_id "
                       "WHERE s.ref = %s", (SILENT_TAKE, ref)).fetchone()
    return bool(row and row[0])


def take(conn: psycopg.Connection, ref: str, owner_id: str) -> bool:
    """The owner takes its request before acting: False when it was withdrawn (or closed)
    meanwhile. Taking again what this owner took (a crash after the take, a journal that could not
    write) is True, and dates the take anew: an owner acting now is never silent."""
    with conn.transaction():
        return conn.execute("UPDATE hub_settlements SET taken_at = now() "
                            "WHERE ref = %s AND owner_id = %s AND done_at IS NULL", (ref, owner_id)).rowcount == 1


def withdraw(conn: psycopg.Connection, ref: str, by: Actor, on_name: str, reason: str) -> Withdrawn:
    """Close the request ``ref`` unless its register took it first (see the module's docstring)."""
    with conn.transaction():
        row = conn.execute("SELECT taken_at, done_at, outcome, outcome_text FROM hub_settlements WHERE ref = %s "
                           "FOR UPDATE", (ref,)).fetchone()
        if row is None:
            return Withdrawn(False, "gone")
        taken_at, done_at, outcome, text = row
        if done_at is not None:
            return Withdrawn(False, f"{outcome}: {text}" if text else str(outcome))
        if taken_at is not None and not _taken_and_silent(conn, ref):
            return Withdrawn(False, "taken", taken_at)
        said = f"withdrawn by {who(by)} at {on_name}: {reason}"
        if taken_at is not None:
            said += " (its register took it, then went silent: what it did is in its journal)"
        conn.execute("UPDATE hub_settlements SET done_at = now(), outcome = 'withdrawn', outcome_text = %s, "
                     "withdrawn_by = %s WHERE ref = %s", (said[:300], who(by), ref))
    return Withdrawn(True)
