"""The audit trail: an append-only, hash-chained table of every redemption event, and its export.

Each row's ``hash`` is HMAC-SHA256, keyed with the journal's key (kept in the OS keyring, never
in the file), over a canonical JSON of its own fields plus the previous row's hash, so an edited
row, a deleted row or rows put in another order show in ``verify_chain``, and someone with the
file but not the key cannot write a chain that verifies. SQLite triggers refuse UPDATE and
DELETE too, but anyone with the file can drop a trigger: the chain is what proves the trail.

Each event carries the redemption row it is about (``entry_id``) and the state and reversal
phase that row had after it: the journal sends a row only when its state is the one its last
(keyed) event says, so a hand-edited state never drives a PUT.

Removing rows from the *end* leaves a valid, shorter chain. The terminal itself notices that
at start (``journal_guard``); for auditors every exported row carries its event number and the
previous event's hash, so the first row of an export must follow the last row of the previous
one. Journals from before the key (schema 1) were re-keyed when upgraded if their old sha256
chain verified; if it did not, those rows keep their old hashes (``legacy_until``) and are
checked the old way, so the break still shows.

The trail lives in the journal's database and is written in the same transaction as the journal
change it describes (``Journal`` calls ``append`` inside its transaction). Nothing here holds a
redemption URL, a token, a phone number or a PIN: only what an auditor needs.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import IO

from budtender_app.domain.redact import redact

GENESIS_HASH = "0" * 64
#: The key of a journal that has none in a keyring (training without a keyring, tests): public,
#: so its chain proves nothing against someone with the file, and ``ChainReport.keyed`` says so.
UNKEYED = b"budtender-app: no keyring key (training or tests)"

#: Events the journal writes. Others (like "pin_skipped") may be recorded with ``Journal.record_event``.
EVENTS = frozenset({
    "queued", "sent", "redeemed", "rejected", "not_sent", "unknown", "resolved",
    "reversal_queued", "reversal_sent", "reversed", "reversal_rejected", "reversal_not_sent",
    "reversal_unknown", "reversal_resolved", "pin_skipped", "applied", "applied_cancelled",
    # IT's `journal accept-fresh` (journal_guard):
    "journal_replaced", "events_lost", "marker_reset", "state_restored",
})

CSV_COLUMNS = (
    "time", "event", "store", "terminal", "transaction_id", "discount",
    "pos_discount_id", "points", "detail", "hash", "event_number", "prev_hash",
)

SCHEMA = """
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    store TEXT NOT NULL,
    terminal TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    discount_id TEXT NOT NULL,
    discount_name TEXT NOT NULL,
    pos_discount_id TEXT NOT NULL,
    points INTEGER NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_at ON audit(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
"""

#: Schema 2: the row each event is about, and the state it left that row in.
SCHEMA_V2 = """
ALTER TABLE audit ADD COLUMN entry_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN phase TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_entry ON audit(entry_id, id);
"""

_V1_FIELDS = (
    "id", "at", "event", "store", "terminal", "transaction_id", "discount_id",
    "discount_name", "pos_discount_id", "points", "detail", "prev_hash", "hash",
)
_FIELDS = (*_V1_FIELDS, "entry_id", "state", "phase")


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit event as stored. ``at`` is ISO 8601 in UTC."""

    id: int
    at: str
    event: str
    store: str
    terminal: str
    transaction_id: str
    discount_id: str
    discount_name: str
    pos_discount_id: str
    points: int
    detail: str
    prev_hash: str
    hash: str
    entry_id: int = 0  # the redemption row, 0 for events about none (like "pin_skipped")
    state: str = ""  # that row's state after this event
    phase: str = ""  # and its reversal phase ("" for none)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``verify_chain`` found. ``ok`` or the first bad row (``bad_id``) and ``problem``.

    ``keyed`` is False for a journal whose key is public (training without a keyring, tests):
    its chain shows accidents, not someone who has the file. ``last_hash`` anchors the end."""

    ok: bool
    rows: int
    bad_id: int | None = None
    problem: str = ""  # "edited" | "deleted" | "reordered"
    reason: str = ""  # one sentence for IT or an auditor
    keyed: bool = True
    last_hash: str = GENESIS_HASH

    def __str__(self) -> str:
        if self.ok:
            unkeyed = "" if self.keyed else " (not keyed: training or no keyring, anyone with the file could rewrite it)"
            return f"Audit trail intact ({self.rows} events){unkeyed}."
        return f"Audit trail broken at event #{self.bad_id} ({self.problem}): {self.reason}"


def row_hash(fields: dict, key: bytes | None = None) -> str:
    """The row's hash over the canonical JSON of its fields (all but ``hash``, with ``prev_hash``).

    HMAC-SHA256 with ``key`` over every field; ``key=None`` is schema 1's plain sha256 over its
    fields, kept only to check rows of an old journal whose chain could not be re-keyed."""
    names = _V1_FIELDS if key is None else _FIELDS
    content = {k: fields[k] for k in names if k != "hash"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def rekey(conn: sqlite3.Connection, key: bytes) -> int:
    """Schema 1 -> 2, inside the migration's transaction with the update trigger dropped: re-chain
    every event with ``key`` if the old sha256 chain verifies. Returns ``legacy_until``: 0 when
    re-keyed, else the last old event (those keep their old hashes, so their break still shows)."""
    old = Audit(conn, key, legacy_until=1 << 62)
    rows = old.rows()
    if not rows:
        return 0
    if not old.verify_chain().ok:
        return rows[-1].id
    prev = GENESIS_HASH
    for row in rows:
        fields = {**asdict(row), "prev_hash": prev}
        prev = row_hash(fields, key)
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (fields["prev_hash"], prev, row.id))
    return 0


NO_UPDATE_TRIGGER = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END"
)


def utc_text(moment: datetime) -> str:
    """How times are stored: ISO 8601 in UTC with microseconds, so text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit and journal times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Audit:
    """The audit table of one journal database.

    ``conn`` is the journal's connection (or a read-only one for the CLI). ``append`` must run
    inside the caller's write transaction; the readers take no lock of their own, so callers
    sharing the connection between threads serialise the calls (``Journal`` does).
    """

    def __init__(self, conn: sqlite3.Connection, key: bytes = UNKEYED, *, legacy_until: int = 0) -> None:
        self._conn = conn
        self._key = key
        #: Rows up to this id kept their schema-1 sha256 (their old chain did not verify).
        self._legacy_until = legacy_until

    @property
    def legacy_until(self) -> int:
        """Events up to this number kept schema 1's hashes (their old chain did not verify)."""
        return self._legacy_until

    @property
    def keyed(self) -> bool:
        """False when the key is the public UNKEYED one."""
        return self._key != UNKEYED

    def hash_of(self, row: AuditRow) -> str:
        """What ``row.hash`` must be (the old sha256 for rows kept from before the key)."""
        return row_hash(asdict(row), None if row.id <= self._legacy_until else self._key)

    def append(
        self,
        event: str,
        *,
        at: datetime,
        store: str,
        terminal: str,
        transaction_id: str = "",
        discount_id: str = "",
        discount_name: str = "",
        pos_discount_id: str = "",
        points: int = 0,
        detail: str = "",
        entry_id: int = 0,
        state: str = "",
        phase: str = "",
    ) -> AuditRow:
        """Add one event at the end of the chain. Call inside the journal's transaction."""
        if not self._conn.in_transaction:
            raise RuntimeError("audit rows are written only inside the journal's transaction")
        last = self._conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        fields = {
            "id": 1 if last is None else last[0] + 1,
            "at": utc_text(at),
            "event": event,
            "store": store,
            "terminal": terminal,
            "transaction_id": transaction_id,
            "discount_id": discount_id,
            "discount_name": discount_name,
            "pos_discount_id": pos_discount_id,
            "points": int(points),
            "detail": detail,
            "prev_hash": GENESIS_HASH if last is None else last[1],
            "entry_id": int(entry_id),
            "state": state,
            "phase": phase,
        }
        fields["hash"] = row_hash(fields, self._key)
        self._conn.execute(
            f"INSERT INTO audit ({', '.join(_FIELDS)}) VALUES ({', '.join('?' * len(_FIELDS))})",
            [fields[k] for k in _FIELDS],
        )
        return AuditRow(**fields)

    def rows(self, since: int = 0) -> list[AuditRow]:
        """Every event (from number ``since`` on), oldest first."""
        return [AuditRow(*r) for r in self._conn.execute(
            f"SELECT {', '.join(_FIELDS)} FROM audit WHERE id >= ? ORDER BY id", (since,))]

    def last(self) -> tuple[int, str]:
        """(number of the last event, its hash); (0, GENESIS_HASH) for an empty trail."""
        row = self._conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return (0, GENESIS_HASH) if row is None else (row[0], row[1])

    def hash_at(self, event_id: int) -> str | None:
        """The stored hash of event ``event_id`` (GENESIS_HASH for 0), None when there is none."""
        if event_id == 0:
            return GENESIS_HASH
        row = self._conn.execute("SELECT hash FROM audit WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else row[0]

    def latest_for(self, entry_id: int) -> AuditRow | None:
        """The last event about redemption row ``entry_id``, or None."""
        row = self._conn.execute(
            f"SELECT {', '.join(_FIELDS)} FROM audit WHERE entry_id = ? ORDER BY id DESC LIMIT 1",
            (entry_id,)).fetchone()
        return None if row is None else AuditRow(*row)

    def verify_chain(self, since: int = 0) -> ChainReport:
        """Walk the chain from the first event (or from event ``since``, trusting the one before
        it); report the first row that does not fit. From ``since`` to the end, it proves that
        nothing after that event was edited, deleted or moved."""
        prev_id = max(since - 1, 0)
        count = prev_id
        seen_hashes: set[str] = set()
        prev_hash = self.hash_at(prev_id) or ""
        for row in self.rows(since):
            count += 1
            if self.hash_of(row) != row.hash:
                return ChainReport(False, count, row.id, "edited",
                                   "its contents no longer match its hash", self.keyed)
            if row.prev_hash != prev_hash:
                if row.prev_hash in seen_hashes:
                    return ChainReport(False, count, row.id, "reordered",
                                       "it follows an event other than the one before it", self.keyed)
                return ChainReport(False, count, row.id, "deleted",
                                   "the event before it is missing or was replaced", self.keyed)
            if row.id != prev_id + 1:
                return ChainReport(False, count, row.id, "deleted",
                                   f"events #{prev_id + 1} to #{row.id - 1} are missing", self.keyed)
            seen_hashes.add(row.hash)
            prev_id, prev_hash = row.id, row.hash
        return ChainReport(True, count, keyed=self.keyed, last_hash=prev_hash)

    def export_rows(
        self, since: date, until: date | None = None, *, tz: tzinfo | None = None
    ) -> list[dict[str, str]]:
        """The CSV rows (as dicts keyed by ``CSV_COLUMNS``) of the events from ``since`` through
        ``until`` (whole days, both included; None = up to now), times shown in ``tz`` (None =
        this computer's zone), ISO 8601 with the offset."""
        start, end = _day_bounds(since, until, tz)
        query = "SELECT " + ", ".join(_FIELDS) + " FROM audit WHERE at >= ?"
        params = [utc_text(start)]
        if end is not None:
            query += " AND at < ?"
            params.append(utc_text(end))
        out = []
        for row in (AuditRow(*r) for r in self._conn.execute(query + " ORDER BY id", params)):
            moment = datetime.fromisoformat(row.at)
            out.append({
                "time": (moment.astimezone(tz) if tz else moment.astimezone()).isoformat(timespec="seconds"),
                "event": row.event,
                "store": row.store,
                "terminal": row.terminal,
                "transaction_id": row.transaction_id,
                "discount": row.discount_name,
                "pos_discount_id": row.pos_discount_id,
                "points": str(row.points),
                # Rows written before the one redactor may hold what AIQ echoed: never export that.
                "detail": redact(row.detail),
                "hash": row.hash,
                # An auditor checks that an export's first row follows the last row of the one before.
                "event_number": str(row.id),
                "prev_hash": row.prev_hash,
            })
        return out

    def export_csv(
        self,
        path_or_file: str | os.PathLike | IO[str],
        since: date,
        until: date | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> int:
        """Write the events of the range as CSV (header + one line per event); return the count.

        A path is written whole or not at all (temporary file, then renamed), so an auditor never
        gets half a file. A text file object is written as is (open it with ``newline=""``).
        """
        rows = self.export_rows(since, until, tz=tz)
        if isinstance(path_or_file, (str, os.PathLike)):
            with _atomic_text(Path(path_or_file)) as handle:
                _write_csv(handle, rows)
        else:
            _write_csv(path_or_file, rows)
        return len(rows)


#: What makes a spreadsheet read a cell as a formula (OWASP's "CSV injection" list, and the
#: full-width forms some spreadsheets fold to them).
_FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell no spreadsheet runs: one that starts with = + - @, a tab or a carriage return,
    also after leading spaces or line breaks, gets a single quote in front (OWASP's advice; the
    quote shows, the text after it is as it was). Quotes inside are the csv module's business."""
    text = str(cell)
    if text[:1] in _FORMULA_STARTS or text.lstrip()[:1] in _FORMULA_STARTS:
        return "'" + text
    return text


def _write_csv(handle: IO[str], rows: list[dict[str, str]]) -> None:
    writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writeheader()
    # Every cell: discount names come from AIQ, transaction IDs from the cashier, details from both.
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)


@contextmanager
def _atomic_text(path: Path) -> Iterator[io.TextIOBase]:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _day_bounds(since: date, until: date | None, tz: tzinfo | None) -> tuple[datetime, datetime | None]:
    """Local midnights: from the start of ``since`` to the start of the day after ``until``."""
    if until is not None and until < since:
        raise ValueError("the end date is before the start date")

    def midnight(day: date) -> datetime:
        if tz is not None:
            return datetime.combine(day, time(), tzinfo=tz)
        return datetime.combine(day, time()).astimezone()  # naive = this computer's local time

    return midnight(since), None if until is None else midnight(until + timedelta(days=1))
