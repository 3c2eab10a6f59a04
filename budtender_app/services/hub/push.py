"""A terminal's journal pushed to the hub, idempotently.

The terminal asks the hub for the last event it holds of this terminal and pushes from there, in
batches of ``BATCH`` events, each batch one transaction: its events (``INSERT ... ON CONFLICT DO
NOTHING`` on (terminal, sequence)), the latest state of the redemption rows they are about, and
the terminal's last push. A retry or restart never duplicates; a hub restored from an older
backup is behind, so it is simply refilled. When the hub holds more of this terminal than its
journal, or another hash at the last common event, the journal is not the one that pushed
(restored from a backup, replaced, edited): nothing more is pushed and the hub says so.

What is pushed is the audit trail (which never holds a URL, a token, a phone or a PIN) and the
redemption rows without their redemption URL and AIQ contact id; the journal keeps only masked
phones (``Journal.queue`` refuses any other). After each push the chain of what was pushed is
checked (``chain.py``), keyed when the journal's key is known, and a break recorded on the hub;
only a check of the whole chain (``check``, ``hub status``'s caller) clears it. A push that read
the journal to its end marks the terminal synced as of the hub's time it began (orphans.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from budtender_app.services.hub import chain, orphans
from budtender_app.services.hub.schema import require_current
from budtender_app.services.journal import Journal
from budtender_app.services.journal.audit import AuditRow, ChainReport

BATCH = 500
_EVENTS = (f"INSERT INTO hub_events (terminal_id, {', '.join(chain.EVENT_COLUMNS)}) "
           f"VALUES (%s, {', '.join(['%s'] * len(chain.EVENT_COLUMNS))}) ON CONFLICT (terminal_id, seq) DO NOTHING")
_ROW_COLUMNS = ("entry_id", "store", "transaction_id", "discount_id", "discount_name", "pos_discount_id",
                "points", "value_text", "state", "reversal_phase", "attempts", "aiq_redemption_id", "message",
                "shopper_masked", "staff_name", "approver_name", "created_at", "updated_at", "as_of_seq")
_ROWS = (f"INSERT INTO hub_redemptions (terminal_id, {', '.join(_ROW_COLUMNS)}) "
         f"VALUES (%s, {', '.join(['%s'] * len(_ROW_COLUMNS))}) ON CONFLICT (terminal_id, entry_id) DO UPDATE SET "
         + ", ".join(f"{c} = excluded.{c}" for c in _ROW_COLUMNS[1:])
         + " WHERE hub_redemptions.as_of_seq <= excluded.as_of_seq")


@dataclass(frozen=True)
class PushResult:
    """What one push did: events sent, the hub's last event of this terminal, the journal's, and
    the chain check (``problem``: why nothing was pushed, "" when it was)."""

    pushed: int
    hub_last: int
    local_last: int
    chain: ChainReport | None = None
    problem: str = ""


class Terminal:
    """One terminal as the hub knows it: its journal (read-only), its id (the journal's) and name."""

    def __init__(self, journal: Journal, name: str) -> None:
        self.journal = journal
        self.name = name
        self.id = journal.seal.journal_id

    @property
    def keyed(self) -> bool:
        """True when the journal's own key was given: the hub's copy can be checked in full."""
        return self.journal.key_ok and self.journal.audit.keyed


def push(terminal: Terminal, conn: psycopg.Connection, *, batch: int = BATCH) -> PushResult:
    """Push what the hub lacks of ``terminal``'s journal; see the module's docstring."""
    require_current(conn)
    _register(terminal, conn)
    started = _hub_now(conn)  # before the journal is read: what it held then is on the hub after this push
    hub_last, hub_hash = _hub_last(conn, terminal.id)
    audit = terminal.journal.audit
    local_last = audit.last()[0]
    problem = _diverged(terminal, hub_last, hub_hash, local_last)
    if problem:
        chain.record(conn, terminal.id, ChainReport(False, hub_last, hub_last, "diverged", problem, terminal.keyed))
        return PushResult(0, hub_last, local_last, problem=problem)
    pushed, start = 0, hub_last + 1
    while rows := audit.rows(since=hub_last + 1, limit=batch):
        _push_batch(terminal, conn, rows)
        pushed += len(rows)
        hub_last = rows[-1].id
    report = check(terminal, conn, since=start) if pushed else None
    orphans.mark_synced(conn, terminal.id, started)  # the journal read to its end: its claims are backed or not
    return PushResult(pushed, hub_last, local_last, report)


def check(terminal: Terminal, conn: psycopg.Connection, *, since: int = 1) -> ChainReport:
    """Check (and record on the hub) the chain of the terminal's events there from ``since``
    (1: all of it, which alone may clear an earlier flag)."""
    if terminal.keyed:
        report = chain.verify_keyed(conn, terminal.id, terminal.journal.seal.key,
                                    terminal.journal.audit.legacy_until, since)
    else:
        report, since = chain.verify_links(conn, terminal.id), 1
    chain.record(conn, terminal.id, report, full=since <= 1)
    return report


def _diverged(terminal: Terminal, hub_last: int, hub_hash: str, local_last: int) -> str:
    if hub_last > local_last:
        return (f"The hub holds {hub_last} events of {terminal.name} but its journal has {local_last}: the journal "
                "was restored from an older backup or replaced. Nothing more is pushed; IT decides.")
    if hub_last and terminal.journal.audit.hash_at(hub_last) != hub_hash:
        return (f"Event #{hub_last} of {terminal.name} on the hub differs from its journal's: one of them was "
                "changed or replaced. Nothing more is pushed; IT decides.")
    return ""


def _register(terminal: Terminal, conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO hub_terminals (terminal_id, name, store, keyed, legacy_until) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (terminal_id) DO UPDATE SET name = excluded.name, keyed = excluded.keyed, "
            "legacy_until = excluded.legacy_until",
            (terminal.id, terminal.name, terminal.journal.store, terminal.keyed, terminal.journal.audit.legacy_until))


def _hub_now(conn: psycopg.Connection) -> object:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    conn.commit()
    return row[0] if row else None


def _hub_last(conn: psycopg.Connection, terminal_id: str) -> tuple[int, str]:
    """The hub's own last event of this terminal (never a number the terminal remembers)."""
    row = conn.execute("SELECT seq, hash FROM hub_events WHERE terminal_id = %s ORDER BY seq DESC LIMIT 1",
                       (terminal_id,)).fetchone()
    conn.commit()
    return (0, "") if row is None else (int(row[0]), str(row[1]))


def _push_batch(terminal: Terminal, conn: psycopg.Connection, rows: list[AuditRow]) -> None:
    """One transaction: the events, the rows they touch, the terminal's last push."""
    entry_ids = sorted({r.entry_id for r in rows if r.entry_id > 0})
    latest = terminal.journal.audit.latest_ids(entry_ids)  # one query, not one a row
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany(_EVENTS, [(terminal.id, *r.values()) for r in rows])
        cursor.executemany(_ROWS, [_row_values(terminal, i, latest.get(i, 0)) for i in entry_ids])
        cursor.execute("UPDATE hub_terminals SET last_push = now(), last_sequence = greatest(last_sequence, %s) "
                       "WHERE terminal_id = %s", (rows[-1].id, terminal.id))


def _row_values(terminal: Terminal, entry_id: int, as_of: int) -> tuple[object, ...]:
    """The row's current state, as of its last event (``as_of``); never its URL nor AIQ's contact id."""
    e = terminal.journal.get(entry_id)
    return (terminal.id, e.id, e.store, e.transaction_id, e.discount_id, e.discount_name, e.pos_discount_id,
            e.points, e.value_text, e.state.value, e.reversal_phase.value if e.reversal_phase else "", e.attempts,
            e.aiq_redemption_id, e.message, e.shopper_masked, e.staff_name, e.approver_name,
            e.created_at.isoformat(), e.updated_at.isoformat(), as_of)
