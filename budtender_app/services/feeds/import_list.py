"""The progress file (progress.py) read for people: the Redemptions window's list of imports and
the shift report's count of them. Read-only, and nothing when no import was ever run (no file):
opening the list never creates the progress file. sqlite3.Error when it cannot be read.

A listing is bounded (the newest ``limit`` imports, at most REASONS_LISTED reasons each, all
counted), so a store with years of imports, or one import of a file AIQ refused on every
batch, lists in one quick read.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

from budtender_app.domain.feed_imports import REASONS_LISTED, ImportCount, ImportSummary, shown_file_name
from budtender_app.domain.feed_mapping import FeedKind

#: The imports the window lists (newest first).
LIST_LIMIT = 200

_LIST = """
SELECT i.id, i.kind, i.file_name, {who}, i.started_at, i.updated_at, i.batches,
       (SELECT COUNT(*) FROM batches b WHERE b.import_id = i.id AND b.state = 'sent'),
       (SELECT COUNT(*) FROM batches b WHERE b.import_id = i.id AND b.state = 'refused')
FROM imports i WHERE i.store = ? ORDER BY i.updated_at DESC, i.id DESC LIMIT ?"""
_REASONS = """
SELECT number, first_line, last_line, reason FROM batches WHERE import_id = ? AND state = 'refused'
ORDER BY number LIMIT ?"""
_COUNT = """
SELECT COUNT(DISTINCT b.import_id), COALESCE(SUM(b.state = 'sent'), 0), COALESCE(SUM(b.state = 'refused'), 0)
FROM batches b JOIN imports i ON i.id = b.import_id
WHERE i.store = ? AND b.at >= ? AND b.at < ? {mine}"""


def _open(path: Path) -> sqlite3.Connection | None:
    if not path.exists():
        return None
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def _has_who(conn: sqlite3.Connection) -> bool:
    return "who_name" in {row[1] for row in conn.execute("PRAGMA table_info(imports)")}


def list_imports(path: Path, store: str, limit: int = LIST_LIMIT) -> list[ImportSummary]:
    """This store's imports, newest first (see the module's docstring)."""
    conn = _open(path)
    if conn is None:
        return []
    with closing(conn):
        who = "i.who_name" if _has_who(conn) else "''"
        rows = conn.execute(_LIST.format(who=who), (store, limit)).fetchall()
        found = []
        for row in rows:
            reasons = tuple(_reason(*r) for r in conn.execute(_REASONS, (row[0], REASONS_LISTED)))
            try:
                kind = FeedKind(row[1])
            except ValueError:  # a kind a later version wrote: not this one's to show
                continue
            found.append(ImportSummary(row[0], kind, shown_file_name(row[2]), row[3] or "",
                                       datetime.fromisoformat(row[4]), datetime.fromisoformat(row[5]),
                                       row[6], row[7], row[8], reasons))
    return found


def _reason(number: int, first: int, last: int, reason: str) -> str:
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    return f"batch {number} ({lines}): {reason or 'AIQ gave no reason'}"


def count_imports(path: Path, store: str, start: datetime, end: datetime, *, who_id: str | None = None) -> ImportCount:
    """The batches of this store's imports AIQ answered in [start, end) (UTC-aware), and how many
    imports they belong to; with ``who_id``, only the imports that person ran last."""
    conn = _open(path)
    if conn is None:
        return ImportCount()
    with closing(conn):
        mine = ""
        args: tuple[str, ...] = (store, start.isoformat(), end.isoformat())
        if who_id is not None:
            if not _has_who(conn):
                return ImportCount()
            mine, args = "AND i.who_id = ?", (*args, who_id)
        imports, sent, refused = conn.execute(_COUNT.format(mine=mine), args).fetchone()
    return ImportCount(int(imports), int(sent), int(refused))
