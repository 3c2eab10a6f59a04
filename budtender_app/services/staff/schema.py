"""The staff file's tables, and the one way to change them: a ``BEGIN IMMEDIATE`` transaction.

``BEGIN IMMEDIATE`` takes SQLite's write lock before the first read, so every read-check-write
(a try counted, "is this the last manager?", "is this passcode taken?") sees the file as no other
process can change it until the commit: two windows, or the app and IT's command line, never
lose each other's update. WAL lets readers go on meanwhile.

Tables:
- ``staff``: one row per account, never deleted (a removed one keeps its name for history).
  The passcode and badge are kept only as scrypt hashes (services/slow_hash.py) plus a keyed
  lookup tag each (lookup.py); the unique indexes keep two active accounts from sharing a name
  (case ignored), a passcode or a badge. Each row carries its own lockout (domain/lockout.py).
- ``terminal_lock``: one row, the lockout of sign-in tries that match no account.
- ``staff_events``: append-only (triggers refuse UPDATE and DELETE): who did what, when.
- ``meta``: schema version, the lookup tags' salt and key id, the manager-PIN upgrade mark.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.staff import Actor, ActorKind, Role, StaffEvent, StaffMember

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 10.0  # seconds another process's transaction may hold the write lock

_LOCK_COLUMNS = """
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    level INTEGER NOT NULL DEFAULT 0,
    last_lockout REAL NOT NULL DEFAULT 0"""
_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),
    passcode_hash TEXT NOT NULL,
    passcode_tag TEXT,  -- NULL: not tagged yet (an upgraded manager PIN, or after the lookup key changed)
    badge_hash TEXT,
    badge_tag TEXT,
    created_at TEXT NOT NULL,
    removed_at TEXT,{_LOCK_COLUMNS}
);
CREATE UNIQUE INDEX staff_active_name ON staff(name_key) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX staff_active_passcode ON staff(passcode_tag)
    WHERE removed_at IS NULL AND passcode_tag IS NOT NULL;
CREATE UNIQUE INDEX staff_active_badge ON staff(badge_tag) WHERE removed_at IS NULL AND badge_tag IS NOT NULL;
CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff
    BEGIN SELECT RAISE(ABORT, 'staff accounts are removed by marking them, never deleted'); END;
CREATE TABLE terminal_lock (id INTEGER PRIMARY KEY CHECK (id = 1),{_LOCK_COLUMNS});
INSERT INTO terminal_lock (id) VALUES (1);
CREATE TABLE staff_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_id INTEGER,
    action TEXT NOT NULL,
    member_id INTEGER,
    member_name TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER staff_events_no_update BEFORE UPDATE ON staff_events
    BEGIN SELECT RAISE(ABORT, 'the staff history is append-only'); END;
CREATE TRIGGER staff_events_no_delete BEFORE DELETE ON staff_events
    BEGIN SELECT RAISE(ABORT, 'the staff history is append-only'); END;
"""
MEMBER_COLUMNS = "id, name, role, badge_hash IS NOT NULL AS has_badge, removed_at"
LOCK_COLUMNS = "failures, locked_until, level, last_lockout"


class StaffStoreError(Exception):
    """The staff file cannot be opened, read or written; the message is for IT."""


class Db:
    """One connection to the staff file, shared by the store's threads under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                         check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._create()
        except (OSError, sqlite3.Error) as exc:
            raise StaffStoreError(f"The staff accounts file {path} cannot be opened ({exc}). IT: check the "
                                  "file and its folder.") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction holding SQLite's write lock from its first read to its commit."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StaffStoreError(f"The staff accounts file {self.path} is busy or damaged ({exc}). "
                                      "Try again in a moment.") from None
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent view of the file."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("ROLLBACK")

    def _create(self) -> None:
        with self.write() as conn:
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if has_meta is None:
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                set_meta(conn, "schema", str(SCHEMA_VERSION))
            elif get_meta(conn, "schema") != str(SCHEMA_VERSION):
                raise StaffStoreError(f"The staff accounts file {self.path} was written by another version of "
                                      "the app. IT: update the app on this computer.")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, value))


def lockout_of(row: sqlite3.Row) -> PinLockout:
    # Epoch seconds, not money: the REAL columns hand back floats already (SQLite's REAL affinity).
    return PinLockout(failures=int(row["failures"]), locked_until=row["locked_until"],
                      level=int(row["level"]), last_lockout=row["last_lockout"])


def lockout_values(lock: PinLockout) -> tuple[int, float, int, float]:
    return lock.failures, lock.locked_until, lock.level, lock.last_lockout


def member_of(row: sqlite3.Row) -> StaffMember:
    """The account as the app sees it, from a row selected with MEMBER_COLUMNS (never a hash)."""
    removed = row["removed_at"]
    return StaffMember(id=int(row["id"]), name=str(row["name"]), role=Role(row["role"]),
                       has_badge=bool(row["has_badge"]),
                       removed_at=None if removed is None else datetime.fromisoformat(removed))


def record_event(conn: sqlite3.Connection, at: datetime, actor: Actor, action: str,
                 member: StaffMember | None = None, detail: str = "") -> None:
    """One line of history, in the caller's transaction: it lands with the change or not at all."""
    conn.execute("INSERT INTO staff_events (at, actor_kind, actor_name, actor_id, action, member_id, member_name, "
                 "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (at.isoformat(), actor.kind.value, actor.name, actor.member_id, action,
                  None if member is None else member.id, "" if member is None else member.name, detail))


def events_of(conn: sqlite3.Connection) -> list[StaffEvent]:
    rows = conn.execute("SELECT * FROM staff_events ORDER BY id").fetchall()
    return [StaffEvent(id=int(r["id"]), at=datetime.fromisoformat(r["at"]), actor_kind=ActorKind(r["actor_kind"]),
                       actor_name=r["actor_name"], actor_id=r["actor_id"], action=r["action"],
                       member_id=r["member_id"], member_name=r["member_name"], detail=r["detail"])
            for r in rows]
