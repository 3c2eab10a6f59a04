"""The audit trail as the CSV auditors get: a date range, times in the store's zone, every cell
safe to open in a spreadsheet, who did each event and who approved it (``staff``,
``approved_by``: names, kept as text), and no token, phone or PIN (details go through the one redactor).

Every exported row carries its event number and the previous event's hash, so the first row of an
export must follow the last row of the one before. A training export starts with one more line,
``TRAINING_TITLE``, above the header (``training_file``), so nobody files it as the store's.
"""

from __future__ import annotations

import csv
import errno
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import IO

from budtender_app.domain.redact import redact
from budtender_app.services.journal.audit import FIELDS, AuditRow, utc_text

CSV_COLUMNS = (
    "time", "event", "store", "terminal", "transaction_id", "discount",
    "pos_discount_id", "points", "detail", "staff", "approved_by", "hash", "event_number", "prev_hash",
)


def export_rows(conn: sqlite3.Connection, since: date, until: date | None = None, *,
                tz: tzinfo | None = None) -> list[dict[str, str]]:
    """The CSV rows (as dicts keyed by ``CSV_COLUMNS``) of the events from ``since`` through
    ``until`` (whole days, both included; None = up to now), times shown in ``tz`` (None =
    this computer's zone), ISO 8601 with the offset. All in a list: ``export_csv`` streams."""
    return list(iter_rows(conn, since, until, tz=tz))


def iter_rows(conn: sqlite3.Connection, since: date, until: date | None = None, *,
              tz: tzinfo | None = None) -> Iterator[dict[str, str]]:
    """``export_rows`` one row at a time, read from SQLite's cursor as they are used."""
    return (csv_row(row, tz) for row in _audit_rows(conn, since, until, tz))


def _audit_rows(conn: sqlite3.Connection, since: date, until: date | None, tz: tzinfo | None) -> Iterator[AuditRow]:
    """The range's events straight from SQLite's cursor: a year of a busy till is never held in
    memory (it was: 678 MB). A bad range raises at once, before any file is made."""
    start, end = day_bounds(since, until, tz)
    query = "SELECT " + ", ".join(FIELDS) + " FROM audit WHERE at >= ?"
    params = [utc_text(start)]
    if end is not None:
        query += " AND at < ?"
        params.append(utc_text(end))
    cursor = conn.execute(query + " ORDER BY id", params)
    return (AuditRow(*r) for r in cursor)


def raw_cells(row: AuditRow, tz: tzinfo | None) -> list[str]:
    """One event's cells in ``CSV_COLUMNS``' order, before ``spreadsheet_safe``."""
    moment = datetime.fromisoformat(row.at)
    return [
        (moment.astimezone(tz) if tz else moment.astimezone()).isoformat(timespec="seconds"),
        row.event, row.store, row.terminal, row.transaction_id, row.discount_name, row.pos_discount_id,
        str(row.points),
        # Rows written before the one redactor may hold what AIQ echoed: never export that.
        redact(row.detail) if row.detail else "",
        # Names as they were at the time: a removed account still shows; "Not signed in" before schema 4.
        row.staff.name,
        row.approver.name if row.approver else "",
        # An auditor checks that an export's first row follows the last row of the one before.
        row.hash, str(row.id), row.prev_hash,
    ]


def csv_row(row: AuditRow, tz: tzinfo | None) -> dict[str, str]:
    """One event as the export's cells keyed by ``CSV_COLUMNS``, before ``spreadsheet_safe``."""
    return dict(zip(CSV_COLUMNS, raw_cells(row, tz), strict=True))


def csv_cells(row: AuditRow, tz: tzinfo | None) -> list[str]:
    """One event's cells as the file holds them: in ``CSV_COLUMNS``' order, each spreadsheet-safe
    (discount names come from AIQ, transaction IDs from the cashier, details from both)."""
    return [spreadsheet_safe(c) if c[:1] in _LOOK_CLOSER else c for c in raw_cells(row, tz)]


def export_csv(conn: sqlite3.Connection, path_or_file: str | os.PathLike[str] | IO[str], since: date,
               until: date | None = None, *, tz: tzinfo | None = None) -> int:
    """Write the events of the range as CSV (header + one line per event); return the count.
    Streamed: each row goes to the file as SQLite's cursor gives it.

    A path is written whole or not at all (temporary file, then renamed), so an auditor never
    gets half a file. A text file object is written as is (open it with ``newline=""``).
    """
    cells = (csv_cells(row, tz) for row in _audit_rows(conn, since, until, tz))
    if isinstance(path_or_file, (str, os.PathLike)):
        with atomic_text(Path(path_or_file)) as handle:
            return _write_csv(handle, cells)
    return _write_csv(path_or_file, cells)


#: The first line of a training export, above the header: it cannot be taken for the store's.
TRAINING_TITLE = "TRAINING: practice redemptions on a simulated AIQ, no real points. Not for the auditors."


@contextmanager
def training_file(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A training export's file, written whole or not at all, its first line ``TRAINING_TITLE``;
    hand it to ``export_csv``, which writes the header and the rows after it."""
    with atomic_text(Path(path)) as handle:
        csv.writer(handle, lineterminator="\r\n").writerow([TRAINING_TITLE])
        yield handle


#: What makes a spreadsheet read a cell as a formula (OWASP's "CSV injection" list, and the
#: full-width forms some spreadsheets fold to them).
_FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
#: Every character ``str.isspace`` (so ``lstrip``) takes as space.
_SPACES = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
#: A cell starting with none of these is safe as it is (the export's fast path: most cells).
_LOOK_CLOSER = _FORMULA_STARTS | _SPACES


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell no spreadsheet runs: one that starts with = + - @, a tab or a carriage return,
    also after leading spaces or line breaks, gets a single quote in front (OWASP's advice; the
    quote shows, the text after it is as it was). Quotes inside are the csv module's business."""
    text = cell if type(cell) is str else str(cell)
    first = text[:1]
    if first in _FORMULA_STARTS or (first.isspace() and text.lstrip()[:1] in _FORMULA_STARTS):
        return "'" + text
    return text


def _write_csv(handle: IO[str], cells: Iterable[list[str]]) -> int:
    return write_cells(handle, CSV_COLUMNS, cells)


def write_cells(handle: IO[str], columns: Sequence[str], rows: Iterable[Sequence[str]],
                on_row: Callable[[int], object] | None = None) -> int:
    """The header, then each row of cells (made safe by the caller: ``csv_cells``) as ``rows``
    gives them, one at a time; the count. ``on_row(n)`` after each (progress; it may raise to stop)."""
    writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for cells in rows:
        writer.writerow(cells)
        count += 1
        if on_row is not None:
            on_row(count)
    return count


def write_rows(handle: IO[str], rows: Iterable[dict[str, str]], columns: Sequence[str] = CSV_COLUMNS) -> int:
    """The header and each row given as a dict, its cells in ``columns``' order, spreadsheet-safe."""
    return write_cells(handle, columns, ([spreadsheet_safe(row[key]) for key in columns] for row in rows))


@contextmanager
def atomic_text(path: Path, *, replace: bool = True) -> Iterator[IO[str]]:
    """A text file written whole or not at all: a temporary file beside ``path``, renamed to it at
    the end. ``replace=False``: FileExistsError when ``path`` is there (also when it appeared
    meanwhile: the temporary file is linked to its name, which never replaces)."""
    if not replace and (path.exists() or path.is_symlink()):
        raise FileExistsError(errno.EEXIST, "the file is already there", str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            Path(tmp).unlink()
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def day_bounds(since: date, until: date | None, tz: tzinfo | None) -> tuple[datetime, datetime | None]:
    """Local midnights: from the start of ``since`` to the start of the day after ``until``."""
    if until is not None and until < since:
        raise ValueError("the end date is before the start date")

    def midnight(day: date) -> datetime:
        if tz is not None:
            return datetime.combine(day, time(), tzinfo=tz)
        return datetime.combine(day, time()).astimezone()  # naive = this computer's local time

    return midnight(since), None if until is None else midnight(until + timedelta(days=1))
