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

Every change writes its audit event (``audit.py``) in the same transaction. The redemption URL
carries a token: it is kept only until the row is final and never goes into the audit trail, an
export, a log or a ``repr``. No phone number or PIN is stored: only the masked phone and AIQ's
contactID (needed for a reversal).

Threads: one connection opened with ``check_same_thread=False``; every public method holds the
journal's lock, so the view model may call it directly on the GUI thread or through
``asyncio.to_thread``. Writes are small (a few rows and one fsync).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import platformdirs

from budtender_app.domain.redact import redact
from budtender_app.domain.redemption import Outcome, Status
from budtender_app.domain.wallet import Discount
from budtender_app.services.audit import SCHEMA as AUDIT_SCHEMA, Audit, utc_text

JOURNAL_FILE = "journal.sqlite3"
SCHEMA_VERSION = 2
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
#: Once here the token is never needed again: it is wiped from the row.
_FINAL = frozenset({State.REDEEMED, State.REJECTED, State.ABANDONED, State.REVERSING, State.REVERSED})


class JournalError(Exception):
    """The journal cannot do that; the message is for IT or a manager."""


class JournalStateError(JournalError):
    """A change the row's state does not allow (e.g. sending a row that is not 'queued')."""


class JournalLocked(JournalError):
    """Another running copy of the app holds this journal."""


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
            _lock_fd(fd)
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
            _unlock_fd(fd)
            os.close(fd)

    def __enter__(self) -> JournalLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


if os.name == "nt":  # pragma: no cover - exercised on Windows tills only
    import msvcrt

    def _lock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


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
_APPLIED_SALE_V2 = """
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

#: user_version N -> the script that brings a version N-1 database to N.
MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1 + AUDIT_SCHEMA, 2: _APPLIED_SALE_V2}

_COLUMNS = (
    "id", "store", "terminal", "transaction_id", "discount_id", "discount_name", "pos_discount_id",
    "points", "value_text", "dollar_value", "percentage_value", "state", "attempts",
    "aiq_redemption_id", "message", "shopper_masked", "contact_id", "created_at", "updated_at",
    "resolved_by", "resolution_reason", "reversal_phase", "reversal_attempts", "redemption_url",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM redemptions"


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION, one version per transaction; return the version."""
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
            for statement in _statements(MIGRATIONS[version]):
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


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        if not path.exists():
            raise JournalError(f"There is no redemption journal at {path}.")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               isolation_level=None, check_same_thread=False, timeout=10)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only: the rows hold redemption tokens until final. SQLite gives its -wal and -shm
        # files the database file's permissions, so creating it 0600 covers all three.
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a till losing power must not lose a commit
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Journal:
    """The durable redemption journal of one computer, writing as one store and terminal.

    ``clock`` returns timezone-aware datetimes. ``lock``: the JournalLock this app instance holds;
    the journal releases it on ``close``. ``recover_after_restart`` refuses to run without it,
    because flipping another running instance's in-flight rows to 'unknown' would lose answers.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        store: str,
        terminal: str,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        lock: JournalLock | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.terminal = terminal
        self._clock = clock
        self._lock = lock
        self._mutex = threading.RLock()
        self._conn = _connect(self.path, read_only=read_only)
        try:
            if read_only:
                version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA_VERSION:
                    raise JournalError(
                        f"The redemption journal at {self.path} has schema {version}, this app reads "
                        f"{SCHEMA_VERSION}: start the app once to upgrade it, or update the app."
                    )
            else:
                migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise
        self.audit = Audit(self._conn)

    @classmethod
    def open_read_only(cls, path: str | os.PathLike) -> Journal:
        """For reports while the app may be running: no lock, no migration, no writes."""
        return cls(path, store="", terminal="", read_only=True)

    def close(self) -> None:
        with self._mutex:
            self._conn.close()
            if self._lock is not None:
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

    def record_event(self, event: str, *, transaction_id: str = "", detail: str = "") -> None:
        """An audit event that changes no redemption (e.g. 'pin_skipped' when the store's PIN
        bypass opened a wallet)."""
        with self._write():
            self.audit.append(event, at=self._now(), store=self.store, terminal=self.terminal,
                              transaction_id=transaction_id, detail=safe_text(detail))

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
        that stopped mid-request becomes 'unknown'. Returns what is pending (see ``pending``)."""
        if self._lock is None or not self._lock.held:
            raise JournalError("recover_after_restart needs this app's JournalLock")
        now = self._now()
        with self._write() as conn:
            stuck = conn.execute(
                _SELECT + " WHERE state = 'sending' OR reversal_phase = 'sending' ORDER BY id").fetchall()
            for row in stuck:
                entry = self._entry(row)
                action = "unknown" if entry.state is State.SENDING else "reversal_unknown"
                self._move(entry.id, action, message=STOPPED_WHILE_SENDING, now=now)
        return self.pending(all_stores=all_stores)

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
        """This store's rows that may be sent without a manager ('queued'), oldest first."""
        return self._query(_SELECT + " WHERE state = 'queued' AND store = ? ORDER BY created_at, id",
                           [self.store])

    def reversals_to_send(self) -> list[JournalEntry]:
        """This store's reversals that may be sent without a manager (phase 'queued')."""
        return self._query(_SELECT + " WHERE state = 'reversing' AND reversal_phase = 'queued' "
                           "AND store = ? ORDER BY created_at, id", [self.store])

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

    def verify_chain(self):
        """The audit trail's ``ChainReport``."""
        with self._mutex:
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
        """One write transaction (nested calls join the outer one)."""
        with self._mutex:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

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


def _url_secrets(url: str) -> tuple[str, ...]:
    """The redemption URL and its last path segment (AIQ's token), to mask in messages."""
    token = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return (url, token) if len(token) >= 8 else (url,)


def _dec_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
