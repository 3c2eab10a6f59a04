"""Where the journal file lives and how it is opened: owner-only, WAL, every commit on disk."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from budtender_app.services.journal.errors import JournalDamaged, JournalError, JournalUnwritable
from budtender_app.services.paths import folders


def default_journal_path() -> Path:
    """Where the journal lives: the user's data folder for this app."""
    return folders().journal()


def connect(path: Path, *, read_only: bool, factory: type[sqlite3.Connection]) -> sqlite3.Connection:
    """A connection to the journal at ``path`` (``read_only``: the file must exist); sqlite3
    errors come through as they are (see ``open_error``)."""
    if read_only:
        if not path.exists():
            raise JournalError(f"There is no redemption journal at {path}.")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, factory=factory,
                               isolation_level=None, check_same_thread=False, timeout=10)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only: the rows hold redemption tokens until final. SQLite gives its -wal and
            # -shm files the database file's permissions, so creating it 0600 covers all three.
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        except OSError as exc:
            raise JournalUnwritable(path, exc.strerror or str(exc)) from exc
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10, factory=factory)
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a till losing power must not lose a commit
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def open_error(path: Path, exc: sqlite3.Error) -> JournalError:
    """What a sqlite3 error while opening means for a person: cannot write, or damaged."""
    if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
        return JournalUnwritable(path, str(exc))
    return JournalDamaged(path, str(exc))
