"""The auditors' export for the whole store (or every store of a chain on the hub), from the hub's
copy of each terminal's audit events (``hub_events``), streamed.

The same columns and cells as the local export (``services/journal/export.py``: times in the
store's zone, every detail through the one redactor, every cell spreadsheet-safe) plus
``register``: the name the terminal pushed under. Event numbers and previous hashes are each
terminal's own, so an auditor checks each register's chain on its rows.

Streamed: a server-side cursor (``conn.cursor(name=...)``) hands the rows over ``FETCH`` by
``FETCH`` and each is written to the file as it comes, so memory stays flat however many rows
(a year of a chain). The file is written whole or not at all (a temporary file, then renamed);
``replace=False`` never replaces a file that is there.

Days are the store's local days in the zone given (the injected clock's ``zone``), as in the local
export; None (a clock with no zone of its own) is this computer's zone at each moment, so a range
across a daylight-saving change has each event at its own offset. Nothing here reads the time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import date, tzinfo
from pathlib import Path

import psycopg

from budtender_app.services.hub import chain
from budtender_app.services.hub.config import unhurried
from budtender_app.services.hub.schema import require_current
from budtender_app.services.journal.audit import AuditRow, utc_text
from budtender_app.services.journal.export import (
    CSV_COLUMNS,
    atomic_text,
    csv_cells,
    day_bounds,
    spreadsheet_safe,
    write_cells,
)

#: The local export's columns, then the register's name.
HUB_CSV_COLUMNS = (*CSV_COLUMNS, "register")
#: Rows per FETCH of the server-side cursor: memory holds one batch, never the export.
FETCH = 2000
#: How often (rows) progress is told.
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class HubExportResult:
    """What an export wrote: the rows, and the registers whose chain the hub found broken
    (name, why), which an auditor must be told of."""

    count: int
    flagged: tuple[tuple[str, str], ...] = ()


def hub_query(since: date, until: date | None, tz: tzinfo | None, store: str | None) -> tuple[str, list[object]]:
    """The SELECT of the range's events (and its parameters): the store's local days ``since``
    through ``until`` (None: up to now), one store or all, in time order then register and number."""
    start, end = day_bounds(since, until, tz)
    columns = ", ".join(f"e.{c}" for c in chain.EVENT_COLUMNS)
    where: list[str] = ["e.at >= %s"]
    params: list[object] = [utc_text(start)]
    if end is not None:
        where.append("e.at < %s")
        params.append(utc_text(end))
    if store is not None:
        where.append("e.store = %s")
        params.append(store)
    query = (f"SELECT {columns}, t.name FROM hub_events e JOIN hub_terminals t ON t.terminal_id = e.terminal_id "
             f"WHERE {' AND '.join(where)} ORDER BY e.at, t.name, e.terminal_id, e.seq")
    return query, params


def hub_rows(conn: psycopg.Connection, since: date, until: date | None, tz: tzinfo | None, *,
             store: str | None = None) -> Generator[list[str], None, None]:
    """The export's rows (cells in ``HUB_CSV_COLUMNS``' order, spreadsheet-safe), read from a
    server-side cursor batch by batch. Hold ``conn`` for nothing else until it is exhausted (or closed)."""
    query, params = hub_query(since, until, tz, store)
    with conn.transaction(), conn.cursor(name="hub_export") as cursor:
        unhurried(conn)
        cursor.itersize = FETCH
        cursor.execute(query, params)
        for row in cursor:
            cells = csv_cells(AuditRow(*row[:-1]), tz)
            cells.append(spreadsheet_safe(row[-1]))
            yield cells


def flagged_registers(conn: psycopg.Connection, store: str | None = None) -> tuple[tuple[str, str], ...]:
    """The registers (of ``store``, or all) whose chain the hub found broken: (name, why)."""
    query = "SELECT name, chain_problem FROM hub_terminals WHERE NOT chain_ok"
    params: list[object] = []
    if store is not None:
        query += " AND store = %s"
        params.append(store)
    rows = conn.execute(query + " ORDER BY name", params).fetchall()
    conn.commit()
    return tuple((str(name), str(problem)) for name, problem in rows)


def export_hub_csv(conn: psycopg.Connection, path: str | os.PathLike[str], since: date, until: date | None,
                   tz: tzinfo | None, *, store: str | None = None, replace: bool = False,
                   on_progress: Callable[[int], object] | None = None) -> HubExportResult:
    """Write the store's (or the chain's) audit events of the range as CSV at ``path``, streamed.

    ``on_progress(rows)`` every ``PROGRESS_EVERY`` rows (it may raise to stop: no file is left).
    FileExistsError when ``path`` is there and ``replace`` is False; ValueError for a range that
    ends before it starts; HubSchemaError for a hub without this app's schema; OSError, psycopg.Error."""
    require_current(conn)
    conn.commit()
    flagged = flagged_registers(conn, store)

    def tick(count: int) -> None:
        if on_progress is not None and count % PROGRESS_EVERY == 0:
            on_progress(count)

    hub_query(since, until, tz, store)  # a bad range says so before a file is made
    with contextlib.closing(hub_rows(conn, since, until, tz, store=store)) as rows, \
            atomic_text(Path(path), replace=replace) as handle:
        count = write_cells(handle, HUB_CSV_COLUMNS, rows, tick)
    if on_progress is not None:
        on_progress(count)
    return HubExportResult(count, flagged)
