"""The journal's one connection: its lock, its write transactions, and reading rows back."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from budtender_app.services.journal.entry import JournalEntry, entry_from_row
from budtender_app.services.journal.errors import JournalError, JournalWriteError
from budtender_app.services.journal.schema import SELECT

log = logging.getLogger("budtender_app.services.journal")


class Rows:
    """One connection opened with ``check_same_thread=False`` and the lock every use of it holds
    (re-entrant: a public journal method may call another). ``on_commit`` runs after each commit."""

    def __init__(self, conn: sqlite3.Connection, on_commit: Callable[[], None]) -> None:
        self.conn = conn
        self.mutex = threading.RLock()
        self._on_commit = on_commit

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one). A write SQLite cannot make
        (disk full, I/O error, read-only) raises JournalWriteError: nothing of it was kept."""
        with self.mutex:
            if self.conn.in_transaction:
                yield self.conn
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                # A constraint failing is a bug, not the disk: let it show as what it is.
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                    raise JournalWriteError(
                        f"The redemption journal could not be written ({exc}); nothing was changed. "
                        "Is the disk full? IT: free some space on it (or replace a failing disk).") from exc
                raise
            self._on_commit()

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # SQLite may have rolled back by itself (disk full): nothing kept
                log.warning("rollback failed after a failed journal write", exc_info=True)

    def get(self, entry_id: int) -> JournalEntry:
        """Row ``entry_id`` (the caller holds the lock); JournalError when there is none."""
        row = self.conn.execute(SELECT + " WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise JournalError(f"There is no redemption #{entry_id} in the journal.")
        return entry_from_row(row)

    def query(self, query: str, params: Sequence[Any]) -> list[JournalEntry]:
        """The rows of a SELECT of the redemptions' columns, under the lock."""
        with self.mutex:
            return [entry_from_row(r) for r in self.conn.execute(query, params).fetchall()]

    def ids(self, query: str) -> list[int]:
        """The first column of every row of ``query`` (row ids), under the lock."""
        with self.mutex:
            return [int(r[0]) for r in self.conn.execute(query).fetchall()]
