"""The journal's SQLite schema and its migrations, one version per transaction, and the queries
the repository and its proof share.

Schema 1: the redemptions and the audit trail. 2: each audit event names its row and the state it
left it in, and the chain is keyed (``journal_meta`` holds the journal's id and key check). 3: the
sale in progress (``applied_sale.py``). 4: attribution: each audit event names who did it and who
approved it (``audit.py`` says how its hash covers them while older events verify as before), and
each redemption row the cashier who checked it out and the manager of its last decision. 5: the
sales feed's outbox (``services/sale_feed/outbox.py``): sales sent to AIQ from this terminal.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

from budtender_app.domain.journal_rules import replay
from budtender_app.services.journal import audit as audit_schema
from budtender_app.services.journal.audit import NO_UPDATE_TRIGGER, rekey
from budtender_app.services.journal.entry import COLUMNS
from budtender_app.services.journal.errors import JournalError
from budtender_app.services.journal.seal import Seal

SCHEMA_VERSION = 5

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

#: Schema 4: who checked the row out (the cashier) and who approved its last decision (a manager's
#: resolution, or the PIN skip of its sale). Rows from before keep their resolution's typed name.
_REDEMPTIONS_V4 = """
ALTER TABLE redemptions ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN staff_name TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN approver_id TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN approver_name TEXT NOT NULL DEFAULT '';
UPDATE redemptions SET approver_name = resolved_by WHERE resolved_by != '';
"""

#: Schema 5: the sales feed's outbox (services/sale_feed/outbox.py). No phone: the masked one and
#: AIQ's contact ID. ``pos_id`` is AIQ's key for the sale, one per store.
_FED_SALES_V5 = """
CREATE TABLE fed_sales (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
    pos_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    total TEXT NOT NULL,
    sold_at TEXT NOT NULL,
    location TEXT NOT NULL,
    contact_id TEXT NOT NULL DEFAULT '',
    shopper_masked TEXT NOT NULL DEFAULT '',
    staff_id TEXT NOT NULL DEFAULT '',
    staff_name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('waiting', 'sending', 'sent', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    next_try_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (store, kind, pos_id)
);
CREATE INDEX fed_sales_state ON fed_sales(state);
"""

_META_SCHEMA = """
CREATE TABLE journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _migrate_v2(conn: sqlite3.Connection, seal: Seal) -> None:
    """Schema 2: each audit event names its row and the state it left it in; the chain is keyed.

    Old events get their row and state by replaying them through the journal's rules
    (``journal_rules.replay``), so a state edited by hand before the upgrade shows as a mismatch;
    then the chain is re-keyed when its old sha256 chain verifies (``audit.rekey``). One
    transaction, like every migration."""
    for statement in statements(audit_schema.SCHEMA_V2 + _META_SCHEMA):
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
        states[entry_id] = replay(states.get(entry_id), event, detail)
        conn.execute("UPDATE audit SET entry_id = ?, state = ?, phase = ? WHERE id = ?",
                     (entry_id, *states[entry_id], audit_id))


#: user_version N -> the script (or function of the connection and the seal) that brings a
#: version N-1 database to N.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection, Seal], None]] = {
    1: _SCHEMA_V1 + audit_schema.SCHEMA,
    2: _migrate_v2,
    3: _APPLIED_SALE_V3,
    4: audit_schema.SCHEMA_V4 + _REDEMPTIONS_V4,
    5: _FED_SALES_V5,
}

SELECT = f"SELECT {', '.join(COLUMNS)} FROM redemptions"
LATEST = ("SELECT a.entry_id, a.state, a.phase FROM audit a JOIN (SELECT entry_id, max(id) AS id FROM audit "
          "WHERE entry_id > 0 GROUP BY entry_id) m ON a.id = m.id")
#: Rows still open, and rows whose state differs from their last event's (``tampered``).
SUSPECTS = (f"WITH latest AS ({LATEST}) SELECT r.id FROM redemptions r LEFT JOIN latest l ON l.entry_id = r.id "
            "WHERE l.entry_id IS NULL OR l.state != r.state OR l.phase != coalesce(r.reversal_phase, '') "
            "OR r.state IN ('queued', 'sending', 'unknown', 'reversing') ORDER BY r.id")
ORPHANS = f"WITH latest AS ({LATEST}) SELECT entry_id FROM latest WHERE entry_id NOT IN (SELECT id FROM redemptions)"


def migrate(conn: sqlite3.Connection, seal: Seal | None = None) -> int:
    """Bring the database to SCHEMA_VERSION, one version per transaction; return the version.
    ``seal`` names and keys a journal reaching schema 2 (None: a new unkeyed one)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
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
                for statement in statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return version


def statements(script: str) -> Iterator[str]:
    """Split a schema script into statements, keeping trigger bodies whole."""
    buffer = ""
    for line in script.strip().splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
