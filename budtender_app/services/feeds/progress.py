"""What each feed import has sent, so a rerun after an interruption sends nothing twice.

One SQLite file (``feed-imports.sqlite3`` in the app's data folder; training keeps its own).
An import is keyed by (store, kind, the file's SHA-256): running the same file again finds it
and goes on. Each batch AIQ answered is a row: ``sent`` (AIQ said success) or ``refused`` (with
AIQ's reason, already scrubbed by the client). A batch whose content (its digest) AIQ took in
an earlier import of this store and kind is not sent again either, while no other import sent
anything after it: a re-export of an unchanged part of the inventory costs no calls, and an item
changed back to an earlier value is sent. A refused batch is sent again at the next run: fix what
AIQ said (the file, or the store's settings) and run the import again.

Only what AIQ answered is written: a batch in flight when the terminal stopped is sent again,
which AIQ's feeds take as an update (a sale is keyed by pos_id, an item by its SKU).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from budtender_app.domain.actor import Actor
from budtender_app.domain.feed_mapping import FeedKind

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY, store TEXT NOT NULL, kind TEXT NOT NULL, file_hash TEXT NOT NULL,
    file_name TEXT NOT NULL, batches INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (store, kind, file_hash));
CREATE TABLE IF NOT EXISTS batches (
    import_id INTEGER NOT NULL REFERENCES imports(id), number INTEGER NOT NULL, first_line INTEGER NOT NULL,
    last_line INTEGER NOT NULL, items INTEGER NOT NULL, digest TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'refused')), reason TEXT NOT NULL DEFAULT '', at TEXT NOT NULL,
    PRIMARY KEY (import_id, number));
CREATE INDEX IF NOT EXISTS batches_by_digest ON batches (digest, state);
"""


class ProgressUnreadable(Exception):
    """The progress file is there but is not one (cut short, overwritten); the message says what to do."""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One batch as AIQ answered it."""

    number: int
    first_line: int
    last_line: int
    items: int
    state: str  # "sent" or "refused"
    reason: str


class ProgressStore:
    """The imports' progress file. Thread-safe (one lock around one connection)."""

    def __init__(self, path: Path, clock: Callable[[], datetime]) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._lock = threading.Lock()
        try:
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                # NORMAL under WAL: a commit survives the app being killed; a power cut may lose the last
                # ones, and those batches are sent again, which AIQ takes as an update (keyed by SKU, pos_id).
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.executescript(_SCHEMA)
                columns = {row[1] for row in self._conn.execute("PRAGMA table_info(imports)")}
                if "who_id" not in columns:  # a file from before imports were listed with who ran them
                    self._conn.execute("ALTER TABLE imports ADD COLUMN who_id TEXT NOT NULL DEFAULT ''")
                    self._conn.execute("ALTER TABLE imports ADD COLUMN who_name TEXT NOT NULL DEFAULT ''")
        except sqlite3.DatabaseError as exc:  # cut short or overwritten: sqlite's words are no help
            self._conn.close()
            raise ProgressUnreadable(
                f"The feed imports' progress file {path.name} cannot be read (damaged?): nothing was sent. "
                f"Move it out of {path.parent} and import again; batches AIQ took before are then sent "
                "again, which AIQ takes as an update.") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def begin(self, store: str, kind: FeedKind, file_hash: str, file_name: str, batches: int,
              who: Actor | None = None) -> int:
        """The import of this file (created the first time), run now by ``who``; returns its id."""
        now = self._clock().isoformat()
        who = who or Actor.unknown
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO imports (store, kind, file_hash, file_name, batches, started_at, updated_at, who_id, "
                "who_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (store, kind, file_hash) DO UPDATE SET "
                "updated_at = excluded.updated_at, file_name = excluded.file_name, who_id = excluded.who_id, "
                "who_name = excluded.who_name",
                (store, kind.value, file_hash, file_name, batches, now, now, who.staff_id, who.name))
            row = self._conn.execute("SELECT id FROM imports WHERE store = ? AND kind = ? AND file_hash = ?",
                                     (store, kind.value, file_hash)).fetchone()
        return int(row[0])

    def acknowledged(self, store: str, kind: FeedKind, digest: str, import_id: int) -> bool:
        """True when AIQ took a batch of exactly this content for this store and kind, and no other
        import (than that batch's and ``import_id``'s, the one running) sent anything after it: a
        later file may have changed those items at AIQ (a price back to Monday's is sent again). A
        file's own batches never share an item (a key twice is refused), so they never count."""
        with self._lock, closing(self._conn.execute(
                "SELECT 1 FROM batches b JOIN imports i ON i.id = b.import_id WHERE b.digest = ? "
                "AND b.state = 'sent' AND i.store = ? AND i.kind = ? AND NOT EXISTS (SELECT 1 FROM batches o "
                "JOIN imports j ON j.id = o.import_id WHERE o.rowid > b.rowid AND o.state = 'sent' AND "
                "j.store = i.store AND j.kind = i.kind AND o.import_id NOT IN (b.import_id, ?)) LIMIT 1",
                (digest, store, kind.value, import_id))) as cur:
            return cur.fetchone() is not None

    def record(self, import_id: int, number: int, lines: tuple[int, int], items: int, digest: str,
               reason: str | None) -> None:
        """AIQ's answer to one batch: accepted (``reason`` None) or refused with its reason."""
        state, why = ("sent", "") if reason is None else ("refused", reason)
        now = self._clock().isoformat()
        with self._lock, self._conn:
            # REPLACE, not an update in place: the row gets the next rowid, the order of AIQ's
            # answers that ``acknowledged`` reads (a refused batch sent later is later).
            self._conn.execute(
                "INSERT OR REPLACE INTO batches (import_id, number, first_line, last_line, items, digest, state, "
                "reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (import_id, number, lines[0], lines[1], items, digest, state, why, now))
            self._conn.execute("UPDATE imports SET updated_at = ? WHERE id = ?", (now, import_id))

    def batches(self, import_id: int) -> list[BatchRecord]:
        """Every batch of one import AIQ answered, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT number, first_line, last_line, items, state, reason FROM batches WHERE import_id = ? "
                "ORDER BY number", (import_id,)).fetchall()
        return [BatchRecord(*row) for row in rows]
