"""The redemption journal: every redemption is written down before it is sent, so none is lost
and none is sent twice, even when the till loses power mid-request.

One SQLite file per computer (``default_journal_path()``), WAL with ``synchronous=FULL``. One row
per (store, POS transaction, discount); its ``state`` moves only along ``TRANSITIONS``::

    queued --mark_sending--> sending --mark_redeemed--> redeemed --queue_reversal--> reversing
      ^                        |  \\--mark_rejected--> rejected                         |
      |                        |   \\-mark_unknown---> unknown --resolve--> redeemed     v
      +----mark_not_sent-------+                        |     \\-------> abandoned    reversed
      +---------------resolve(retry)--------------------+

``mark_sending`` is committed before it returns: send the PUT only after it returned. A row
found in 'sending' after a restart may or may not have reached AIQ and becomes 'unknown'
(``recover_after_restart``); only 'queued' rows may be sent without a manager.

A reversal (E10, points given back) is journaled on the same row: 'reversing' with its own
phase ('queued', 'sending', 'unknown'), ending 'reversed', or back to 'redeemed' when AIQ refused
it or a manager abandoned it.

Every change writes its audit event (``audit.py``) in the same transaction, keyed with the
journal's ``Seal`` (its id and HMAC key, kept in the OS keyring by ``journal_guard``). The event
carries the row's new state and reversal phase, and every move first checks that the row's state
is the one its last event says: a state edited by hand (``UPDATE redemptions SET
state='queued'``) is refused with ``JournalTampered`` and never sent. The redemption URL
carries a token: it is kept only until the row is final and never goes into the audit trail, an
export, a log or a ``repr``. No phone number or PIN is stored: only the masked phone and AIQ's
contactID (needed for a reversal).

Threads: one connection opened with ``check_same_thread=False``; every public method holds the
journal's lock, so the view model may call it directly on the GUI thread or through
``asyncio.to_thread``. Writes are small (a few rows and one fsync).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import platformdirs

from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.redact import redact
from budtender_app.domain.redemption import Outcome, Status
from budtender_app.domain.wallet import Discount
from budtender_app.services import audit as audit_schema
from budtender_app.services.audit import (
    NO_UPDATE_TRIGGER,
    UNKEYED,
    Audit,
    ChainReport,
    rekey,
    utc_text,
)
from budtender_app.services.os_lock import lock_fd, unlock_fd

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
SCHEMA_VERSION = 3
STOPPED_WHILE_SENDING = "the app stopped while this was being sent"
_MASKED_PHONE = re.compile(r"\*\*\*-\*\*\*-\d{4}")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def default_journal_path() -> Path:
    """Where the journal lives: the user's data folder for this app."""
    return Path(platformdirs.user_data_dir("budtender-app", appauthor=False)) / JOURNAL_FILE


class State(StrEnum):
    QUEUED = "queued"  # written, not sent (or sent and certainly not received): may be sent
    SENDING = "sending"  # the PUT may be on its way: never send again by itself
    REDEEMED = "redeemed"
    REJECTED = "rejected"  # AIQ said no: no points taken
    UNKNOWN = "unknown"  # sent, no answer: a manager decides (check E11)
    ABANDONED = "abandoned"  # a manager decided it is not redeemed and will not be sent
    REVERSING = "reversing"  # points being given back (see reversal_phase)
    REVERSED = "reversed"


class ReversalPhase(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"


#: (from state, reversal phase or None, action) -> (to state, to phase, audit event)
TRANSITIONS: dict[tuple[State, ReversalPhase | None, str], tuple[State, ReversalPhase | None, str]] = {
    (State.QUEUED, None, "sending"): (State.SENDING, None, "sent"),
    (State.SENDING, None, "redeemed"): (State.REDEEMED, None, "redeemed"),
    (State.SENDING, None, "rejected"): (State.REJECTED, None, "rejected"),
    (State.SENDING, None, "not_sent"): (State.QUEUED, None, "not_sent"),
    (State.SENDING, None, "unknown"): (State.UNKNOWN, None, "unknown"),
    (State.UNKNOWN, None, "resolve:redeemed"): (State.REDEEMED, None, "resolved"),
    (State.UNKNOWN, None, "resolve:abandoned"): (State.ABANDONED, None, "resolved"),
    (State.UNKNOWN, None, "resolve:retry"): (State.QUEUED, None, "resolved"),
    (State.QUEUED, None, "resolve:abandoned"): (State.ABANDONED, None, "resolved"),
    # AIQ refused (e.g. a bad API key since fixed): nothing was taken, so a manager may resend.
    (State.REJECTED, None, "resolve:retry"): (State.QUEUED, None, "resolved"),
    (State.REDEEMED, None, "reversal"): (State.REVERSING, ReversalPhase.QUEUED, "reversal_queued"),
    (State.REVERSING, ReversalPhase.QUEUED, "reversal_sending"): (State.REVERSING, ReversalPhase.SENDING, "reversal_sent"),
    (State.REVERSING, ReversalPhase.SENDING, "reversed"): (State.REVERSED, None, "reversed"),
    (State.REVERSING, ReversalPhase.SENDING, "reversal_rejected"): (State.REDEEMED, None, "reversal_rejected"),
    (State.REVERSING, ReversalPhase.SENDING, "reversal_not_sent"): (State.REVERSING, ReversalPhase.QUEUED, "reversal_not_sent"),
    (State.REVERSING, ReversalPhase.SENDING, "reversal_unknown"): (State.REVERSING, ReversalPhase.UNKNOWN, "reversal_unknown"),
    (State.REVERSING, ReversalPhase.UNKNOWN, "resolve_reversal:reversed"): (State.REVERSED, None, "reversal_resolved"),
    (State.REVERSING, ReversalPhase.UNKNOWN, "resolve_reversal:abandoned"): (State.REDEEMED, None, "reversal_resolved"),
    (State.REVERSING, ReversalPhase.UNKNOWN, "resolve_reversal:retry"): (State.REVERSING, ReversalPhase.QUEUED, "reversal_resolved"),
    (State.REVERSING, ReversalPhase.QUEUED, "resolve_reversal:abandoned"): (State.REDEEMED, None, "reversal_resolved"),
}
#: States whose row may be sent (or turned 'unknown' at a restart): proven to the chain's end.
_SENDABLE = frozenset({State.QUEUED, State.SENDING, State.REVERSING})
#: Once here the token is never needed again: it is wiped from the row.
_FINAL = frozenset({State.REDEEMED, State.REJECTED, State.ABANDONED, State.REVERSING, State.REVERSED})


class JournalError(Exception):
    """The journal cannot do that; the message is for IT or a manager."""


class JournalStateError(JournalError):
    """A change the row's state does not allow (e.g. sending a row that is not 'queued')."""


class JournalTampered(JournalStateError):
    """A row's state is not the one its (keyed) audit trail says: changed outside the app."""


class JournalLocked(JournalError):
    """Another running copy of the app holds this journal."""


class JournalWriteError(JournalError):
    """The journal could not write (disk full, I/O error, read-only file): nothing was changed."""


class JournalDamaged(JournalError):
    """The file is not a readable journal (not a database, or a damaged one)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"The redemption journal {path} is damaged ({detail}). "
                         "IT: see `budtender-app journal check`.")
        self.detail = f"{path}: {detail}"


class JournalUnwritable(JournalError):
    """The journal's file or folder cannot be opened for writing."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"The redemption journal {path} cannot be written ({detail}).")
        self.detail = f"{path}: {detail}"


class JournalKeyError(JournalError):
    """The journal's chain is sealed with another key than the one given (or none was given)."""


@dataclass(frozen=True, slots=True)
class Seal:
    """A journal's identity and the HMAC key of its audit chain (kept in the OS keyring)."""

    journal_id: str
    key: bytes = field(repr=False)

    @property
    def keyed(self) -> bool:
        return self.key != UNKEYED

    @classmethod
    def new(cls, key: bytes | None = None) -> Seal:
        """A fresh id; ``key`` None gives the public UNKEYED key (training without a keyring, tests)."""
        return cls(uuid.uuid4().hex, UNKEYED if key is None else key)

    def check_value(self) -> str:
        """Stored in the journal: tells a wrong key at once, without giving the key away."""
        return hmac.new(self.key, b"budtender-journal-key-check:" + self.journal_id.encode(), hashlib.sha256).hexdigest()


class JournalLock:
    """One app instance per journal: an exclusive OS lock on ``<journal>.lock``.

    ``flock`` on POSIX, ``msvcrt.locking`` on Windows. The OS drops the lock when the process
    dies, however it dies, so a crash never leaves a stale lock behind. The file holds the pid
    of the holder, for IT only; the lock, not the file's content, is what counts.
    """

    MESSAGE = "Another copy of the terminal is already running on this computer."

    def __init__(self, journal_path: str | os.PathLike) -> None:
        self.path = Path(str(journal_path) + ".lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> JournalLock:
        """Take the lock now or raise JournalLocked; never waits."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            lock_fd(fd)
        except OSError:
            os.close(fd)
            raise JournalLocked(self.MESSAGE) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            unlock_fd(fd)
            os.close(fd)

    def __enter__(self) -> JournalLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One redemption as journaled. ``redemption_url`` is "" once the row is final."""

    id: int
    store: str
    terminal: str
    transaction_id: str
    discount_id: str
    discount_name: str
    pos_discount_id: str
    points: int
    value_text: str
    dollar_value: Decimal | None
    percentage_value: Decimal | None
    state: State
    attempts: int
    aiq_redemption_id: str
    message: str
    shopper_masked: str
    contact_id: str
    created_at: datetime
    updated_at: datetime
    resolved_by: str
    resolution_reason: str
    reversal_phase: ReversalPhase | None
    reversal_attempts: int
    redemption_url: str = field(repr=False)  # carries a token

    @property
    def needs_manager(self) -> bool:
        """Unknown (sent, no answer): only a manager may resend, mark redeemed or abandon it."""
        return self.state is State.UNKNOWN or self.reversal_phase is ReversalPhase.UNKNOWN

    def as_discount(self) -> Discount:
        """The wallet discount this row redeems (URL empty once final)."""
        return Discount(
            id=self.discount_id, name=self.discount_name, redemption_url=self.redemption_url,
            points=self.points, pos_discount_id=self.pos_discount_id,
            dollar_value=self.dollar_value, percentage_value=self.percentage_value,
        )

    def outcome(self) -> Outcome:
        """The row as the flow's Outcome, for the screen and the POS record.

        queued/abandoned -> NOT_SENT; sending/unknown -> UNKNOWN; rejected -> REJECTED; redeemed,
        reversing and reversed -> REDEEMED (the points were taken at checkout).
        """
        status = {
            State.QUEUED: Status.NOT_SENT, State.ABANDONED: Status.NOT_SENT,
            State.SENDING: Status.UNKNOWN, State.UNKNOWN: Status.UNKNOWN,
            State.REJECTED: Status.REJECTED,
        }.get(self.state, Status.REDEEMED)
        return Outcome(self.as_discount(), status, self.message, self.aiq_redemption_id)


def reversal_note(entry: JournalEntry) -> str:
    """The note for E10 (adjust points) naming the transaction and the discount."""
    pos = f", POS discount {entry.pos_discount_id}" if entry.pos_discount_id else ""
    return (f"Refund/void of POS transaction {entry.transaction_id}: points back for "
            f"'{entry.discount_name}'{pos} ({entry.points:,} points)")[:250]


def safe_text(text: str, *secrets: str) -> str:
    """A message fit for the journal and the audit trail (the app's one redactor, domain/redact.py)."""
    return redact(text, *secrets, limit=500)


_SCHEMA_V1 = """
CREATE TABLE redemptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store TEXT NOT NULL,
    terminal TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    discount_id TEXT NOT NULL,
    discount_name TEXT NOT NULL,
    pos_discount_id TEXT NOT NULL DEFAULT '',
    points INTEGER NOT NULL CHECK (points >= 0),
    value_text TEXT NOT NULL DEFAULT '',
    dollar_value TEXT,
    percentage_value TEXT,
    redemption_url TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'redeemed', 'rejected', 'unknown',
                                         'abandoned', 'reversing', 'reversed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    aiq_redemption_id TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    shopper_masked TEXT NOT NULL DEFAULT '',
    contact_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    resolved_by TEXT NOT NULL DEFAULT '',
    resolution_reason TEXT NOT NULL DEFAULT '',
    reversal_phase TEXT CHECK (reversal_phase IN ('queued', 'sending', 'unknown')),
    reversal_attempts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (store, transaction_id, discount_id)
);
CREATE INDEX redemptions_state ON redemptions(state);
CREATE INDEX redemptions_created ON redemptions(created_at);
"""

#: The sale in progress (services/applied_sale.py): one row per store, gone at checkout or cancel.
_APPLIED_SALE_V3 = """
CREATE TABLE applied_sale (
    store TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL,
    cart_total TEXT NOT NULL,
    shopper_masked TEXT NOT NULL DEFAULT '',
    contact_id TEXT NOT NULL DEFAULT '',
    balance INTEGER,
    pin_skipped TEXT NOT NULL DEFAULT '',
    discounts TEXT NOT NULL
);
"""

_META_SCHEMA = """
CREATE TABLE journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _migrate_v2(conn: sqlite3.Connection, seal: Seal) -> None:
    """Schema 2: each audit event names its row and the state it left it in; the chain is keyed.

    Old events get their row and state by replaying them through TRANSITIONS (so a state edited
    by hand before the upgrade shows as a mismatch), then the chain is re-keyed when its old
    sha256 chain verifies (``audit.rekey``). One transaction, like every migration."""
    for statement in _statements(audit_schema.SCHEMA_V2 + _META_SCHEMA):
        conn.execute(statement)
    conn.execute("DROP TRIGGER IF EXISTS audit_no_update")  # someone may have dropped it already
    _replay_states(conn)
    legacy_until = rekey(conn, seal.key)
    conn.execute(NO_UPDATE_TRIGGER)
    conn.executemany("INSERT INTO journal_meta (name, value) VALUES (?, ?)", [
        ("journal_id", seal.journal_id), ("key_check", seal.check_value()), ("legacy_until", str(legacy_until))])


def _replay_states(conn: sqlite3.Connection) -> None:
    ids = {tuple(r[1:]): r[0] for r in conn.execute("SELECT id, store, transaction_id, discount_id FROM redemptions")}
    states: dict[int, tuple[str, str]] = {}
    for audit_id, event, store, txid, discount_id, detail in conn.execute(
            "SELECT id, event, store, transaction_id, discount_id, detail FROM audit ORDER BY id").fetchall():
        entry_id = ids.get((store, txid, discount_id))
        if entry_id is None:
            continue
        states[entry_id] = _replay(states.get(entry_id), event, detail)
        conn.execute("UPDATE audit SET entry_id = ?, state = ?, phase = ? WHERE id = ?",
                     (entry_id, *states[entry_id], audit_id))


def _replay(current: tuple[str, str] | None, event: str, detail: str) -> tuple[str, str]:
    """The (state, phase) an old event left its row in; ("?", "") when the history does not fit."""
    if event == "queued":
        return (State.QUEUED.value, "")
    verdict = detail.split(" ", 1)[0]
    found = [(to_state.value, to_phase.value if to_phase else "")
             for (state, phase, action), (to_state, to_phase, to_event) in TRANSITIONS.items()
             if current == (state.value, phase.value if phase else "") and to_event == event
             and (":" not in action or action.split(":", 1)[1] == verdict)]
    return found[0] if len(found) == 1 else ("?", "")


#: user_version N -> the script (or function of the connection and the seal) that brings a
#: version N-1 database to N.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection, Seal], None]] = {
    1: _SCHEMA_V1 + audit_schema.SCHEMA,
    2: _migrate_v2,
    3: _APPLIED_SALE_V3,
}

_COLUMNS = (
    "id", "store", "terminal", "transaction_id", "discount_id", "discount_name", "pos_discount_id",
    "points", "value_text", "dollar_value", "percentage_value", "state", "attempts",
    "aiq_redemption_id", "message", "shopper_masked", "contact_id", "created_at", "updated_at",
    "resolved_by", "resolution_reason", "reversal_phase", "reversal_attempts", "redemption_url",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM redemptions"
_LATEST = ("SELECT a.entry_id, a.state, a.phase FROM audit a JOIN (SELECT entry_id, max(id) AS id FROM audit "
           "WHERE entry_id > 0 GROUP BY entry_id) m ON a.id = m.id")
#: Rows still open, and rows whose state differs from their last event's (``tampered``).
_SUSPECTS = (f"WITH latest AS ({_LATEST}) SELECT r.id FROM redemptions r LEFT JOIN latest l ON l.entry_id = r.id "
             "WHERE l.entry_id IS NULL OR l.state != r.state OR l.phase != coalesce(r.reversal_phase, '') "
             "OR r.state IN ('queued', 'sending', 'unknown', 'reversing') ORDER BY r.id")
_ORPHANS = f"WITH latest AS ({_LATEST}) SELECT entry_id FROM latest WHERE entry_id NOT IN (SELECT id FROM redemptions)"


def migrate(conn: sqlite3.Connection, seal: Seal | None = None) -> int:
    """Bring the database to SCHEMA_VERSION, one version per transaction; return the version.
    ``seal`` names and keys a journal reaching schema 2 (None: a new unkeyed one)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"The redemption journal was written by a newer version of the app (schema {version}); "
            "update this app before using it here."
        )
    while version < SCHEMA_VERSION:
        version += 1
        conn.execute("BEGIN IMMEDIATE")
        try:
            step = MIGRATIONS[version]
            if callable(step):
                step(conn, seal or Seal.new())
            else:
                for statement in _statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return version


def _statements(script: str) -> Iterator[str]:
    """Split a schema script into statements, keeping trigger bodies whole."""
    buffer = ""
    for line in script.strip().splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""


def _connect(path: Path, *, read_only: bool, factory: type[sqlite3.Connection]) -> sqlite3.Connection:
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


class Journal:
    """The durable redemption journal of one computer, writing as one store and terminal.

    ``clock`` returns timezone-aware datetimes. ``lock``: the JournalLock this app instance holds;
    the journal releases it on ``close``. ``recover_after_restart`` refuses to run without it,
    because flipping another running instance's in-flight rows to 'unknown' would lose answers.

    ``seal``: the journal's id and chain key (from the keyring, see ``journal_guard``); None is the
    public key of training and tests. A journal sealed with another key is refused
    (JournalKeyError); read-only, it opens but ``verify_chain`` says it cannot check.
    ``on_commit(events, last_hash)`` runs after each commit (the start-up marker).
    ``connection_class``: a ``sqlite3.Connection`` subclass (tests inject write failures).
    Opening raises JournalDamaged, JournalUnwritable or JournalKeyError, never a sqlite3 error.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        store: str,
        terminal: str,
        clock: Callable[[], datetime] = SYSTEM_CLOCK,
        lock: JournalLock | None = None,
        read_only: bool = False,
        seal: Seal | None = None,
        on_commit: Callable[[int, str], None] | None = None,
        connection_class: type[sqlite3.Connection] = sqlite3.Connection,
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.terminal = terminal
        self._clock = clock
        self._lock = lock
        self._on_commit = on_commit
        self._mutex = threading.RLock()
        try:
            self._conn = _connect(self.path, read_only=read_only, factory=connection_class)
        except sqlite3.Error as exc:
            raise _open_error(self.path, exc) from exc
        try:
            self.seal, self.key_ok = self._open(seal, read_only)
        except sqlite3.Error as exc:
            self._conn.close()
            raise _open_error(self.path, exc) from exc
        except BaseException:
            self._conn.close()
            raise
        legacy = self._conn.execute("SELECT value FROM journal_meta WHERE name = 'legacy_until'").fetchone()
        self.audit = Audit(self._conn, self.seal.key if self.key_ok else UNKEYED,
                           legacy_until=int(legacy[0]) if legacy else 0)

    def _open(self, seal: Seal | None, read_only: bool) -> tuple[Seal, bool]:
        if read_only:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise JournalError(
                    f"The redemption journal at {self.path} has schema {version}, this app reads "
                    f"{SCHEMA_VERSION}: start the app once to upgrade it, or update the app."
                )
        else:
            migrate(self._conn, seal)
        meta = dict(self._conn.execute("SELECT name, value FROM journal_meta").fetchall())
        stored = Seal(meta["journal_id"], seal.key if seal else UNKEYED)
        if seal is not None and seal.journal_id != stored.journal_id:
            if not read_only:
                raise JournalKeyError(
                    f"The redemption journal at {self.path} is journal {stored.journal_id}, not {seal.journal_id}.")
            return stored, False
        if stored.check_value() != meta["key_check"]:
            if not read_only:
                raise JournalKeyError(
                    f"The redemption journal at {self.path} is sealed with a key that was not given "
                    "(the key is in the OS keyring of the computer that wrote it).")
            return stored, False
        return stored, True

    @classmethod
    def open_read_only(cls, path: str | os.PathLike, seal: Seal | None = None) -> Journal:
        """For reports while the app may be running: no lock, no migration, no writes. Without
        its ``seal`` the rows read fine but ``verify_chain`` cannot check the chain."""
        return cls(path, store="", terminal="", read_only=True, seal=seal)

    def integrity_problems(self) -> list[str]:
        """SQLite's ``quick_check``: [] when the file is sound, else what it found (first 5)."""
        with self._mutex:
            try:
                found = [r[0] for r in self._conn.execute("PRAGMA quick_check(5)").fetchall()]
            except sqlite3.DatabaseError as exc:
                return [str(exc)]
        return [] if found == ["ok"] else found

    def close(self, *, release_lock: bool = True) -> None:
        with self._mutex:
            self._conn.close()
            if self._lock is not None and release_lock:
                self._lock.release()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- redemptions -------------------------------------------------------------------------

    def queue(
        self,
        transaction_id: str,
        discounts: Sequence[Discount],
        *,
        shopper_masked: str,
        contact_id: str,
    ) -> list[JournalEntry]:
        """Write every chosen redemption of a checkout in one transaction; return the rows in the
        order of ``discounts``. A (transaction, discount) already journaled for this store comes
        back untouched in its current state: send only the rows that come back 'queued'."""
        if shopper_masked and not _MASKED_PHONE.fullmatch(shopper_masked):
            raise ValueError("shopper_masked must be a masked phone like ***-***-4567")
        now = self._now()
        with self._write() as conn:
            ids = []
            for d in discounts:
                cursor = conn.execute(
                    "INSERT INTO redemptions (store, terminal, transaction_id, discount_id, "
                    "discount_name, pos_discount_id, points, value_text, dollar_value, "
                    "percentage_value, redemption_url, state, shopper_masked, contact_id, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) "
                    "ON CONFLICT (store, transaction_id, discount_id) DO NOTHING",
                    (self.store, self.terminal, transaction_id, d.id, d.name, d.pos_discount_id,
                     d.points, d.value_text, _dec_text(d.dollar_value), _dec_text(d.percentage_value),
                     d.redemption_url, shopper_masked, contact_id, utc_text(now), utc_text(now)),
                )
                if cursor.rowcount:
                    self._audit("queued", self._get(cursor.lastrowid), now, d.value_text)
                ids.append(conn.execute(
                    "SELECT id FROM redemptions WHERE store = ? AND transaction_id = ? AND discount_id = ?",
                    (self.store, transaction_id, d.id)).fetchone()[0])
            return [self._get(i) for i in ids]

    def mark_sending(self, entry_id: int) -> JournalEntry:
        """'queued' -> 'sending', committed (and fsynced) before it returns: send only after.

        Raises JournalStateError when the row is not 'queued' (already sent, or being sent):
        then do not send."""
        return self._move(entry_id, "sending", attempts=True)

    def mark_redeemed(self, entry_id: int, aiq_id: str = "") -> JournalEntry:
        """AIQ answered 2xx: the points are taken."""
        return self._move(entry_id, "redeemed", aiq_redemption_id=aiq_id or "", message="",
                          detail=f"AIQ redemption id {aiq_id}" if aiq_id else "")

    def mark_rejected(self, entry_id: int, message: str) -> JournalEntry:
        """AIQ said no: no points were taken."""
        return self._move(entry_id, "rejected", message=message)

    def mark_not_sent(self, entry_id: int, message: str) -> JournalEntry:
        """Nothing reached AIQ (Unreachable, 429): back to 'queued', safe to send again."""
        return self._move(entry_id, "not_sent", message=message)

    def mark_unknown(self, entry_id: int, message: str) -> JournalEntry:
        """Sent and no answer (timeout, dropped connection, 5xx, app closed): a manager decides."""
        return self._move(entry_id, "unknown", message=message)

    def resolve(self, entry_id: int, action: str, reason: str, manager: str) -> JournalEntry:
        """A manager's decision, with a reason: 'redeemed' (AIQ's report shows it), 'abandoned'
        (not redeemed and not to be sent) or 'retry' (back to 'queued', to be sent again).

        Allowed from 'unknown' (all three), 'queued' (abandoned) and 'rejected' (retry)."""
        if action not in ("redeemed", "abandoned", "retry"):
            raise ValueError(f"unknown resolution {action!r}")
        return self._resolve(entry_id, f"resolve:{action}", reason, manager)

    def record_event(self, event: str, *, transaction_id: str = "", detail: str = "",
                     verbatim: bool = False) -> None:
        """An audit event that changes no redemption (e.g. 'pin_skipped' when the store's PIN
        bypass opened a wallet). ``verbatim``: the app's own words holding no secret (journal ids
        and hashes, which the redactor would mask as if they were keys)."""
        text = " ".join(detail.split())[:500] if verbatim else safe_text(detail)
        with self._write():
            self.audit.append(event, at=self._now(), store=self.store, terminal=self.terminal,
                              transaction_id=transaction_id, detail=text)

    # -- reversals (E10) ---------------------------------------------------------------------

    def queue_reversal(self, entry_id: int) -> JournalEntry:
        """Journal giving a redeemed discount's points back. Idempotent: for a row already
        'reversing' or 'reversed' it returns the row untouched (send only when its
        ``reversal_phase`` is 'queued'). Only a 'redeemed' row can be reversed."""
        with self._write():
            entry = self._get(entry_id)
            if entry.state in (State.REVERSING, State.REVERSED):
                return entry
            return self._move(entry_id, "reversal")

    def mark_reversal_sending(self, entry_id: int) -> JournalEntry:
        """Reversal 'queued' -> 'sending', committed before it returns: call E10 only after."""
        return self._move(entry_id, "reversal_sending", reversal_attempts=True)

    def mark_reversed(self, entry_id: int, note: str = "") -> JournalEntry:
        """AIQ accepted the points adjustment: the points are back."""
        return self._move(entry_id, "reversed", message="", detail=note)

    def mark_reversal_rejected(self, entry_id: int, message: str) -> JournalEntry:
        """AIQ refused the adjustment: the row is 'redeemed' again (points still taken)."""
        return self._move(entry_id, "reversal_rejected", message=message)

    def mark_reversal_not_sent(self, entry_id: int, message: str) -> JournalEntry:
        """The adjustment never reached AIQ: back to reversal phase 'queued'."""
        return self._move(entry_id, "reversal_not_sent", message=message)

    def mark_reversal_unknown(self, entry_id: int, message: str) -> JournalEntry:
        """The adjustment was sent and no answer came: a manager decides."""
        return self._move(entry_id, "reversal_unknown", message=message)

    def resolve_reversal(self, entry_id: int, action: str, reason: str, manager: str) -> JournalEntry:
        """A manager's decision on an unknown reversal: 'reversed', 'abandoned' (row back to
        'redeemed') or 'retry'. A queued reversal may also be abandoned."""
        if action not in ("reversed", "abandoned", "retry"):
            raise ValueError(f"unknown reversal resolution {action!r}")
        return self._resolve(entry_id, f"resolve_reversal:{action}", reason, manager)

    # -- start-up and reading ----------------------------------------------------------------

    def recover_after_restart(self, *, all_stores: bool = False) -> list[JournalEntry]:
        """At start-up, with the JournalLock held: every row (any store) left 'sending' by an app
        that stopped mid-request becomes 'unknown'. Returns what is pending (see ``pending``),
        less the rows changed outside the app (``tampered``: those are told apart)."""
        if self._lock is None or not self._lock.held:
            raise JournalError("recover_after_restart needs this app's JournalLock")
        now = self._now()
        with self._write() as conn:
            stuck = conn.execute(
                _SELECT + " WHERE state = 'sending' OR reversal_phase = 'sending' ORDER BY id").fetchall()
            for row in stuck:
                entry = self._entry(row)
                if self._mismatch(entry, sending=True):
                    continue  # edited by hand: left as found, for IT (see ``tampered``)
                action = "unknown" if entry.state is State.SENDING else "reversal_unknown"
                self._move(entry.id, action, message=STOPPED_WHILE_SENDING, now=now)
        return self._backed(self.pending(all_stores=all_stores), sending=False)

    def pending(self, *, all_stores: bool = False, include_sending: bool = False) -> list[JournalEntry]:
        """Open items, oldest first: 'queued' and 'unknown' rows, and reversals queued or unknown.
        ``include_sending`` adds rows in flight (or left by an app that has not restarted yet)."""
        states = ["queued", "unknown"] + (["sending"] if include_sending else [])
        marks = ", ".join("?" * len(states))
        query = (_SELECT + f" WHERE (state IN ({marks}) OR "
                 f"(state = 'reversing' AND reversal_phase IN ({marks})))")
        params: list = states + states
        if not all_stores:
            query += " AND store = ?"
            params.append(self.store)
        return self._query(query + " ORDER BY created_at, id", params)

    def queued_to_send(self) -> list[JournalEntry]:
        """This store's rows that may be sent without a manager ('queued', and so says the audit
        trail: a row edited into 'queued' is never offered), oldest first."""
        rows = self._query(_SELECT + " WHERE state = 'queued' AND store = ? ORDER BY created_at, id",
                           [self.store])
        return self._backed(rows)

    def reversals_to_send(self) -> list[JournalEntry]:
        """This store's reversals that may be sent without a manager (phase 'queued')."""
        rows = self._query(_SELECT + " WHERE state = 'reversing' AND reversal_phase = 'queued' "
                           "AND store = ? ORDER BY created_at, id", [self.store])
        return self._backed(rows)

    def tampered(self) -> list[tuple[int, str]]:
        """Rows (any store) whose state is not what their audit trail says, or that were deleted,
        as (row id, a sentence for a manager or IT saying what was found). Never sent nor moved.

        One query compares every row with its last event; the keyed check (HMAC, and the chain
        after it for rows that could be sent) runs for the rows still open, and those that differ."""
        with self._mutex:
            found = []
            for (entry_id,) in self._conn.execute(_SUSPECTS).fetchall():
                problem = self._mismatch(self._get(entry_id), sending=True)
                if problem:
                    found.append((entry_id, problem))
            for entry_id in [r[0] for r in self._conn.execute(_ORPHANS).fetchall()]:  # rows deleted by hand
                event = self.audit.latest_for(entry_id)
                assert event is not None  # _ORPHANS lists only rows that have events
                found.append((entry_id, f"Redemption #{entry_id} (transaction {event.transaction_id}, "
                                    f"{event.discount_name}) is in the audit trail as '{event.state}' but its row "
                                    "was deleted from the journal outside the app."))
            return found

    def restore_states(self) -> list[str]:
        """IT's repair (``journal accept-fresh``): put each row edited by hand back to the state
        and phase its (keyed, intact) last event says, with an audit event; what was done, one
        sentence a row. Rows whose trail cannot vouch for them are left as they are."""
        done = []
        now = self._now()
        with self._write() as conn:
            for (entry_id,) in conn.execute(_SUSPECTS).fetchall():
                entry, latest = self._get(entry_id), self.audit.latest_for(entry_id)
                if not self._mismatch(entry, sending=True) or latest is None or latest.state not in set(State):
                    continue
                if self.audit.hash_of(latest) != latest.hash or not self.audit.verify_chain(since=latest.id).ok:
                    continue
                conn.execute("UPDATE redemptions SET state = ?, reversal_phase = ? WHERE id = ?",
                             (latest.state, latest.phase or None, entry_id))
                restored = self._get(entry_id)
                detail = f"IT put it back to '{latest.state}' (its journal row said '{entry.state}')"
                self._audit("state_restored", restored, now, detail)
                done.append(f"Redemption #{entry_id} (transaction {entry.transaction_id}): {detail}.")
        return done

    def for_transaction(self, transaction_id: str) -> list[JournalEntry]:
        """This store's rows for one POS transaction, in the order they were queued."""
        return self._query(_SELECT + " WHERE store = ? AND transaction_id = ? ORDER BY id",
                           [self.store, transaction_id])

    def between(self, start: datetime, end: datetime) -> list[JournalEntry]:
        """Rows (any store) queued in [start, end), oldest first. Times must be timezone-aware."""
        return self._query(_SELECT + " WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id",
                           [utc_text(start), utc_text(end)])

    def get(self, entry_id: int) -> JournalEntry:
        with self._mutex:
            return self._get(entry_id)

    def verify_chain(self) -> ChainReport:
        """The audit trail's ``ChainReport`` (not ok, "no key", when this journal's key was not given)."""
        with self._mutex:
            if not self.key_ok:
                count = self.audit.last()[0]
                return ChainReport(False, count, None, "no key",
                                   "the journal's key is not in this computer's keyring, so its chain cannot be checked")
            return self.audit.verify_chain()

    def export_csv(self, path_or_file, since, until=None, *, tz=None) -> int:
        """The audit trail of a date range as CSV; see ``Audit.export_csv``."""
        with self._mutex:
            return self.audit.export_csv(path_or_file, since, until, tz=tz)

    def export_rows(self, since, until=None, *, tz=None) -> list[dict[str, str]]:
        with self._mutex:
            return self.audit.export_rows(since, until, tz=tz)

    # -- for the journal's companions (applied_sale.py) --------------------------------------

    def now(self) -> datetime:
        """The journal's clock: the app's one clock."""
        return self._now()

    def atomic(self):
        """One write transaction that other changes (``queue``, ``record_event``) join."""
        return self._write()

    def read_one(self, query: str, params: Sequence = ()) -> tuple | None:
        """One row of a read-only query, under the journal's lock."""
        with self._mutex:
            return self._conn.execute(query, params).fetchone()

    # -- plumbing ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the journal's clock must return timezone-aware datetimes")
        return now

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one). A write SQLite cannot make
        (disk full, I/O error, read-only) raises JournalWriteError: nothing of it was kept."""
        with self._mutex:
            if self._conn.in_transaction:
                yield self._conn
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                # A constraint failing is a bug, not the disk: let it show as what it is.
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                    raise JournalWriteError(
                        f"The redemption journal could not be written ({exc}); nothing was changed. "
                        "Is the disk full? IT: free some space on it (or replace a failing disk).") from exc
                raise
            self._committed()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:  # SQLite may have rolled back by itself (disk full): nothing kept
                log.warning("rollback failed after a failed journal write", exc_info=True)

    def _committed(self) -> None:
        if self._on_commit is None:
            return
        try:
            self._on_commit(*self.audit.last())
        except Exception:
            log.warning("could not update the journal's start-up marker", exc_info=True)

    def _mismatch(self, entry: JournalEntry, *, sending: bool = False) -> str:
        """Why ``entry``'s state is not backed by its last audit event ("" when it is). ``sending``:
        also prove that event is the last one, by the chain after it (events deleted after it
        would otherwise leave an older event that matches a state edited back by hand)."""
        latest = self.audit.latest_for(entry.id)
        phase = entry.reversal_phase.value if entry.reversal_phase else ""
        where = f"Redemption #{entry.id} (transaction {entry.transaction_id}, {entry.discount_name})"
        if latest is None:
            return f"{where} is '{entry.state}' in the journal but has no audit event: it was added outside the app."
        if self.key_ok and self.audit.hash_of(latest) != latest.hash:
            return f"{where}: its last audit event (#{latest.id}) was changed outside the app."
        if (latest.state, latest.phase) != (entry.state.value, phase):
            said = latest.state + (f" (reversal {latest.phase})" if latest.phase else "")
            now = entry.state.value + (f" (reversal {phase})" if phase else "")
            return (f"{where} is '{now}' in the journal, but its audit trail says '{said}': "
                    "it was changed outside the app.")
        if sending and self.key_ok and entry.state in _SENDABLE:
            # Even a break kept from schema 1: events deleted after this row's last one would match.
            report = self.audit.verify_chain(since=latest.id)
            if not report.ok:
                return f"{where}: the audit trail after its last event was altered ({report})."
        return ""

    def _backed(self, entries: list[JournalEntry], *, sending: bool = True) -> list[JournalEntry]:
        """The rows whose state their last event backs; ``sending``: and the chain after the oldest
        of those events is intact (one walk for the batch, not one per row)."""
        with self._mutex:
            kept = [e for e in entries if not self._mismatch(e)]
            if not sending or not self.key_ok or not kept:
                return kept
            since = min(self._latest_id(e.id) for e in kept)
            report = self.audit.verify_chain(since=since)
            if report.ok:
                return kept
            log.error("no journal row is sent: the audit trail after event #%s was altered (%s)", since, report)
            return []

    def _latest_id(self, entry_id: int) -> int:
        latest = self.audit.latest_for(entry_id)
        return 0 if latest is None else latest.id

    def verify_recent(self) -> ChainReport:
        """The chain from the last start's keyed checkpoint to the end (all of it without one),
        then a new checkpoint: start-up need not walk a year of events. The rows that can be
        sent are proven to the end on each send anyway; ``verify_chain`` walks everything."""
        with self._mutex:
            since = self._checkpoint()
            report = self.audit.verify_chain(since=since) if since else self.verify_chain()
            if report.ok and self.key_ok and report.rows:
                events, last_hash = self.audit.last()
                with self._write() as conn:
                    conn.execute("INSERT OR REPLACE INTO journal_meta (name, value) VALUES ('verified', ?)",
                                 (f"{events}:{last_hash}:{self._checkpoint_mac(events, last_hash)}",))
            return report

    def _checkpoint(self) -> int:
        row = self._conn.execute("SELECT value FROM journal_meta WHERE name = 'verified'").fetchone()
        if row is None or not self.key_ok:
            return 0
        events, last_hash, mac = (row[0].split(":") + ["", "", ""])[:3]
        if not events.isdigit() or not hmac.compare_digest(mac, self._checkpoint_mac(int(events), last_hash)):
            return 0
        return int(events) if self.audit.hash_at(int(events)) == last_hash else 0

    def _checkpoint_mac(self, events: int, last_hash: str) -> str:
        message = f"budtender-journal-verified:{self.seal.journal_id}:{events}:{last_hash}".encode()
        return hmac.new(self.seal.key, message, hashlib.sha256).hexdigest()

    def _resolve(self, entry_id: int, action: str, reason: str, manager: str) -> JournalEntry:
        reason, manager = reason.strip(), manager.strip()
        if not reason or not manager:
            raise ValueError("a resolution needs the manager's name and a reason")
        verdict = action.split(":", 1)[1]
        return self._move(entry_id, action, resolved_by=manager, resolution_reason=reason,
                          detail=f"{verdict} by {manager}: {reason}")

    def _move(self, entry_id: int, action: str, *, attempts: bool = False,
              reversal_attempts: bool = False, detail: str | None = None,
              now: datetime | None = None, **sets) -> JournalEntry:
        now = now or self._now()
        with self._write() as conn:
            entry = self._get(entry_id)
            problem = self._mismatch(entry, sending=action in ("sending", "reversal_sending"))
            if problem:
                log.error("journal row refused: %s", problem)
                raise JournalTampered(problem + " Nothing was sent or changed. IT: with the terminal closed, "
                                      "`budtender-app journal accept-fresh` puts it back as its audit trail says.")
            target = TRANSITIONS.get((entry.state, entry.reversal_phase, action))
            if target is None:
                phase = f" (reversal {entry.reversal_phase})" if entry.reversal_phase else ""
                raise JournalStateError(
                    f"Redemption #{entry_id} is {entry.state}{phase}: cannot {action.replace('_', ' ')}.")
            state, phase, event = target
            for key in ("message", "resolution_reason"):
                if key in sets:
                    sets[key] = safe_text(sets[key], *_url_secrets(entry.redemption_url))
            sets.update(state=state.value, reversal_phase=phase.value if phase else None,
                        updated_at=utc_text(now))
            if state in _FINAL:
                sets["redemption_url"] = ""
            assignments = ", ".join(f"{k} = ?" for k in sets)
            if attempts:
                assignments += ", attempts = attempts + 1"
            if reversal_attempts:
                assignments += ", reversal_attempts = reversal_attempts + 1"
            # The state in the WHERE makes the move atomic even against another connection.
            cursor = conn.execute(
                f"UPDATE redemptions SET {assignments} WHERE id = ? AND state = ?",
                [*sets.values(), entry_id, entry.state.value])
            if cursor.rowcount != 1:  # pragma: no cover - BEGIN IMMEDIATE already excludes this
                raise JournalStateError(f"Redemption #{entry_id} changed underneath; nothing done.")
            updated = self._get(entry_id)
            if detail is None and (attempts or reversal_attempts):
                detail = f"attempt {updated.attempts if attempts else updated.reversal_attempts}"
            self._audit(event, updated, now, sets.get("message", "") if detail is None else detail,
                        secrets=_url_secrets(entry.redemption_url))
            return updated

    def _audit(self, event: str, entry: JournalEntry, now: datetime, detail: str,
               secrets: tuple[str, ...] = ()) -> None:
        self.audit.append(
            event, at=now, store=entry.store, terminal=self.terminal or entry.terminal,
            transaction_id=entry.transaction_id, discount_id=entry.discount_id,
            discount_name=entry.discount_name, pos_discount_id=entry.pos_discount_id,
            points=entry.points, detail=safe_text(detail, *secrets, *_url_secrets(entry.redemption_url)),
            entry_id=entry.id, state=entry.state.value,
            phase=entry.reversal_phase.value if entry.reversal_phase else "",
        )

    def _get(self, entry_id: int) -> JournalEntry:
        row = self._conn.execute(_SELECT + " WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise JournalError(f"There is no redemption #{entry_id} in the journal.")
        return self._entry(row)

    def _query(self, query: str, params: Sequence) -> list[JournalEntry]:
        with self._mutex:
            return [self._entry(r) for r in self._conn.execute(query, params).fetchall()]

    @staticmethod
    def _entry(row: Sequence) -> JournalEntry:
        v = dict(zip(_COLUMNS, row))
        v["state"] = State(v["state"])
        v["reversal_phase"] = ReversalPhase(v["reversal_phase"]) if v["reversal_phase"] else None
        v["created_at"] = datetime.fromisoformat(v["created_at"])
        v["updated_at"] = datetime.fromisoformat(v["updated_at"])
        for key in ("dollar_value", "percentage_value"):
            v[key] = Decimal(v[key]) if v[key] is not None else None
        return JournalEntry(**v)


def _open_error(path: Path, exc: sqlite3.Error) -> JournalError:
    """What a sqlite3 error while opening means for a person: cannot write, or damaged."""
    if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
        return JournalUnwritable(path, str(exc))
    return JournalDamaged(path, str(exc))


def _url_secrets(url: str) -> tuple[str, ...]:
    """The redemption URL and its last path segment (AIQ's token), to mask in messages."""
    token = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return (url, token) if len(token) >= 8 else (url,)


def _dec_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
