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
at start (``guard.py``); for auditors every exported row carries its event number and the
previous event's hash, so the first row of an export must follow the last row of the previous
one. Journals from before the key (schema 1) were re-keyed when upgraded if their old sha256
chain verified; if it did not, those rows keep their old hashes (``legacy_until``) and are
checked the old way, so the break still shows.

Schema 4: each event names who did it (``staff_id``, ``staff_name``) and the manager who
approved it (``approver_id``, ``approver_name``, empty for none), as text, so a removed account
keeps its name in history. Which fields a row's hash covers is the row's own ``fields_version``
(2: the schema-2 list, rows written before attribution; 4: that list plus the version and the
four attribution fields), itself covered by the hash of a version-4 row: turning a row's version
back to 2 (to edit its staff unseen) changes what its hash must be, so the break shows, and the
rows written before the upgrade verify exactly as they did. An event the terminal makes on its
own for a person's act (sending a checked-out sale, an answer, a resend) names the person whose
act it carries out (the row's last attributed event: the cashier who checked it out, the manager
who asked for the refund or the retry); the ``terminal`` column says which terminal sent it.
Restart recovery is ``Actor.terminal``'s, IT's repairs ``Actor.command_line``'s.

The CSV auditors get is ``export.py``. The trail lives in the journal's database and is written in
the same transaction as the journal change it describes (``Journal`` calls ``append`` inside its
transaction). Nothing here holds a redemption URL, a token, a phone number or a PIN: only what an
auditor needs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from budtender_app.domain.actor import Actor, names

GENESIS_HASH = "0" * 64
#: The key of a journal that has none in a keyring (training without a keyring, tests): public,
#: so its chain proves nothing against someone with the file, and ``ChainReport.keyed`` says so.
UNKEYED = b"budtender-app: no keyring key (training or tests)"

#: Events the journal writes. Others (like "pin_skipped") may be recorded with ``Journal.record_event``.
EVENTS = frozenset({
    "queued", "sent", "redeemed", "rejected", "not_sent", "unknown", "resolved",
    "reversal_queued", "reversal_sent", "reversed", "reversal_rejected", "reversal_not_sent",
    "reversal_unknown", "reversal_resolved", "pin_skipped", "applied", "applied_cancelled",
    # IT's `journal accept-fresh` (guard.py):
    "journal_replaced", "events_lost", "marker_reset", "state_restored",
    # The Redemptions window's records of a manager's decision (viewmodels/pending.py):
    "manager_retry", "refund_requested",
    # A store profile saved in the settings (viewmodels/settings.py): which fields, never a value.
    "settings_changed",
    # Staff sign-in and sign-out at the counter (viewmodels/staff_session.py): the shifts of the report.
    "signed_in", "signed_out",
    # A manager's import of a POS file into AIQ's feeds (viewmodels/feed_import.py): kind, file name, counts.
    "feed_import",
    # A manager's release of a store hub claim held by a register gone for good (cli/hub_release.py).
    "claim_released",
})

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

#: Schema 4: who did it and who approved it; which field list the row's hash covers.
SCHEMA_V4 = """
ALTER TABLE audit ADD COLUMN fields_version INTEGER NOT NULL DEFAULT 2;
ALTER TABLE audit ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN staff_name TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN approver_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN approver_name TEXT NOT NULL DEFAULT '';
"""

V1_FIELDS = (
    "id", "at", "event", "store", "terminal", "transaction_id", "discount_id",
    "discount_name", "pos_discount_id", "points", "detail", "prev_hash", "hash",
)
V2_FIELDS = (*V1_FIELDS, "entry_id", "state", "phase")
#: What the hash of a version-4 row covers (and every column of the table since schema 4).
FIELDS = (*V2_FIELDS, "fields_version", "staff_id", "staff_name", "approver_id", "approver_name")
#: The field list new events are written (and hashed) with.
FIELDS_VERSION = 4


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
    fields_version: int = 2  # which field list the hash covers: 2 (before attribution) or 4
    staff_id: str = ""  # who did it (schema 4; "" and "" before attribution)
    staff_name: str = ""
    approver_id: str = ""  # the manager who approved it ("" and "" for none)
    approver_name: str = ""

    def values(self) -> tuple[Any, ...]:
        """The fields in order: ``dataclasses.astuple`` without its deep copy (a row holds only
        str and int), which was most of the time of a push to the store hub and of a chain walk."""
        return _values(self)

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, as ``dataclasses.asdict`` without its deep copy."""
        return dict(zip(_NAMES, _values(self), strict=True))

    @property
    def staff(self) -> Actor:
        """Who did it; ``Actor.unknown`` for events from before attribution."""
        return Actor.from_columns(self.staff_id, self.staff_name) or Actor.unknown

    @property
    def approver(self) -> Actor | None:
        """The manager who approved it, or None."""
        return Actor.from_columns(self.approver_id, self.approver_name)


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
            unkeyed = "" if self.keyed else (
                " (not keyed: training or no keyring, anyone with the file could rewrite it)")
            return f"Audit trail intact ({self.rows} events){unkeyed}."
        return f"Audit trail broken at event #{self.bad_id} ({self.problem}): {self.reason}"


_NAMES = tuple(f.name for f in dataclass_fields(AuditRow))
_values = attrgetter(*_NAMES)


def row_hash(fields: dict[str, Any], key: bytes | None = None) -> str:
    """The row's hash over the canonical JSON of its fields (all but ``hash``, with ``prev_hash``).

    HMAC-SHA256 with ``key`` over the fields of the row's ``fields_version`` (2 when absent);
    ``key=None`` is schema 1's plain sha256 over its fields, kept only to check rows of an old
    journal whose chain could not be re-keyed."""
    covered = V1_FIELDS if key is None else FIELDS if int(fields.get("fields_version", 2)) >= 4 else V2_FIELDS
    content = {k: fields[k] for k in covered if k != "hash"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def rekey(conn: sqlite3.Connection, key: bytes) -> int:
    """Schema 1 -> 2, inside the migration's transaction with the update trigger dropped: re-chain
    every event with ``key`` if the old sha256 chain verifies. Returns ``legacy_until``: 0 when
    re-keyed, else the last old event (those keep their old hashes, so their break still shows)."""
    old = Audit(conn, key, legacy_until=1 << 62, columns=V2_FIELDS)
    rows = old.rows()
    if not rows:
        return 0
    if not old.verify_chain().ok:
        return rows[-1].id
    prev = GENESIS_HASH
    for row in rows:
        chained = {**row.as_dict(), "prev_hash": prev}
        prev = row_hash(chained, key)
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (chained["prev_hash"], prev, row.id))
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

    def __init__(self, conn: sqlite3.Connection, key: bytes = UNKEYED, *, legacy_until: int = 0,
                 columns: tuple[str, ...] = FIELDS) -> None:
        self._conn = conn
        self._select = ", ".join(columns)  # V2_FIELDS while migrating a schema-1 journal
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
        return event_hash(row, self._key, self._legacy_until)

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
        staff: Actor,
        approver: Actor | None = None,
    ) -> AuditRow:
        """Add one event at the end of the chain, done by ``staff`` and approved by ``approver``.
        Call inside the journal's transaction."""
        if not self._conn.in_transaction:
            raise RuntimeError("audit rows are written only inside the journal's transaction")
        last = self._conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        fields: dict[str, Any] = {
            "id": 1 if last is None else last[0] + 1, "at": utc_text(at), "event": event,
            "store": store, "terminal": terminal, "transaction_id": transaction_id,
            "discount_id": discount_id, "discount_name": discount_name, "pos_discount_id": pos_discount_id,
            "points": int(points), "detail": detail, "prev_hash": GENESIS_HASH if last is None else last[1],
            "entry_id": int(entry_id), "state": state, "phase": phase, "fields_version": FIELDS_VERSION,
        }
        fields["staff_id"], fields["staff_name"] = names(staff)
        fields["approver_id"], fields["approver_name"] = names(approver)
        fields["hash"] = row_hash(fields, self._key)
        self._conn.execute(
            f"INSERT INTO audit ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})",
            [fields[k] for k in FIELDS],
        )
        return AuditRow(**fields)

    def rows(self, since: int = 0, limit: int = -1) -> list[AuditRow]:
        """Every event (from number ``since`` on; at most ``limit``, -1 for all), oldest first."""
        return [AuditRow(*r) for r in self._conn.execute(
            f"SELECT {self._select} FROM audit WHERE id >= ? ORDER BY id LIMIT ?", (since, limit))]

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
            f"SELECT {self._select} FROM audit WHERE entry_id = ? ORDER BY id DESC LIMIT 1",
            (entry_id,)).fetchone()
        return None if row is None else AuditRow(*row)

    def latest_ids(self, entry_ids: Sequence[int]) -> dict[int, int]:
        """The number of the last event about each of ``entry_ids`` (rows with none are left out):
        ``latest_for`` for many rows, a query per 500 (a push to the store hub asks for a batch's)."""
        found: dict[int, int] = {}
        for at in range(0, len(entry_ids), 500):
            chunk = list(entry_ids[at:at + 500])
            found.update(self._conn.execute(
                f"SELECT entry_id, max(id) FROM audit WHERE entry_id IN ({','.join('?' * len(chunk))}) "
                "GROUP BY entry_id", chunk).fetchall())
        return found

    def verify_chain(self, since: int = 0) -> ChainReport:
        """Walk the chain from the first event (or from event ``since``, trusting the one before
        it); report the first row that does not fit. From ``since`` to the end, it proves that
        nothing after that event was edited, deleted or moved."""
        prev_id = max(since - 1, 0)
        return walk_chain(self.rows(since), self.hash_of, prev_id, self.hash_at(prev_id) or "", keyed=self.keyed)


def walk_chain(rows: Iterable[AuditRow], hash_of: Callable[[AuditRow], str], prev_id: int, prev_hash: str, *,
               keyed: bool) -> ChainReport:
    """``Audit.verify_chain``'s walk over any rows in order (the store hub's copy streams through
    it), after event ``prev_id`` whose hash is ``prev_hash``; ``hash_of`` is what a row's hash must be."""
    count = prev_id
    seen_hashes: set[str] = set()
    for row in rows:
        count += 1
        if hash_of(row) != row.hash:
            return ChainReport(False, count, row.id, "edited", "its contents no longer match its hash", keyed)
        if row.prev_hash != prev_hash:
            if row.prev_hash in seen_hashes:
                return ChainReport(False, count, row.id, "reordered",
                                   "it follows an event other than the one before it", keyed)
            return ChainReport(False, count, row.id, "deleted", "the event before it is missing or was replaced",
                               keyed)
        if row.id != prev_id + 1:
            return ChainReport(False, count, row.id, "deleted",
                               f"events #{prev_id + 1} to #{row.id - 1} are missing", keyed)
        seen_hashes.add(row.hash)
        prev_id, prev_hash = row.id, row.hash
    return ChainReport(True, count, keyed=keyed, last_hash=prev_hash)


def event_hash(row: AuditRow, key: bytes, legacy_until: int) -> str:
    """What ``row.hash`` must be in a chain keyed with ``key`` (the old sha256 up to ``legacy_until``)."""
    return row_hash(row.as_dict(), None if row.id <= legacy_until else key)
