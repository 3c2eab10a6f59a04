"""Each terminal's audit chain, checked on the hub's copy of its events.

With the terminal's key (its own journal's, from its keyring: only the owning terminal has it),
the hub's rows stream through the journal's own walk (``audit.walk_chain``, which
``Audit.verify_chain`` runs), exactly as the terminal walks its journal: an edited, deleted or
reordered event shows. Without the key (another terminal, or a journal whose key is not in this
keyring) only the links are checked: each event's ``prev_hash`` is the hash of the one before
and no number is missing, so rows removed or replaced on the hub still show.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import closing
from itertools import chain

import psycopg

from budtender_app.services.journal.audit import (
    FIELDS,
    GENESIS_HASH,
    UNKEYED,
    AuditRow,
    ChainReport,
    event_hash,
    walk_chain,
)

#: hub_events' columns in AuditRow's order (``seq`` is the event's number, AuditRow.id).
EVENT_COLUMNS = ("seq", *FIELDS[1:])
_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)} FROM hub_events WHERE terminal_id = %s AND seq >= %s ORDER BY seq"


def hub_rows(conn: psycopg.Connection, terminal_id: str, since: int = 1) -> Generator[AuditRow, None, None]:
    """The terminal's events on the hub from number ``since``, streamed (a server-side cursor)."""
    with conn.transaction(), conn.cursor(name="hub_chain") as cursor:
        cursor.execute(_SELECT, (terminal_id, since))
        while batch := cursor.fetchmany(2000):
            for row in batch:
                yield AuditRow(*row)


def verify_keyed(conn: psycopg.Connection, terminal_id: str, key: bytes, legacy_until: int,
                 since: int = 1) -> ChainReport:
    """The journal's own walk (``audit.walk_chain``, as ``Audit.verify_chain``) over the hub's copy
    from event ``since``, trusting the hub's event before it; streamed, nothing copied."""
    prev_id = max(since - 1, 0)
    with closing(hub_rows(conn, terminal_id, max(prev_id, 1))) as streamed:
        rows: Iterator[AuditRow] = streamed
        prev_hash = GENESIS_HASH
        if prev_id:
            before = next(streamed, None)
            prev_hash = before.hash if before is not None and before.id == prev_id else ""
            if before is not None and before.id != prev_id:
                rows = chain([before], streamed)  # the walk reports what is missing
        return walk_chain(rows, lambda row: event_hash(row, key, legacy_until), prev_id, prev_hash,
                          keyed=key != UNKEYED)


def verify_links(conn: psycopg.Connection, terminal_id: str) -> ChainReport:
    """Without the key: every event follows the one before it, none missing."""
    prev_id, prev_hash, count = 0, GENESIS_HASH, 0
    for row in hub_rows(conn, terminal_id):
        count += 1
        if row.id != prev_id + 1:
            return ChainReport(False, count, row.id, "deleted",
                               f"events #{prev_id + 1} to #{row.id - 1} are missing", keyed=False)
        if row.prev_hash != prev_hash:
            return ChainReport(False, count, row.id, "deleted",
                               "the event before it is missing or was replaced", keyed=False)
        prev_id, prev_hash = row.id, row.hash
    return ChainReport(True, count, keyed=False, last_hash=prev_hash)


def record(conn: psycopg.Connection, terminal_id: str, report: ChainReport, *, full: bool = True) -> None:
    """What the check found, on the terminal's row (``hub status`` shows a broken chain). A check
    of the newest events only (``full`` False) never clears a flag: only a walk of it all does."""
    if report.ok and not full:
        return
    with conn.transaction():
        conn.execute("UPDATE hub_terminals SET chain_ok = %s, chain_problem = %s WHERE terminal_id = %s",
                     (report.ok, "" if report.ok else str(report), terminal_id))
