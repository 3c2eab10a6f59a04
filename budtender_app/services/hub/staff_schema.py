"""The hub's schema 5: the store's staff accounts (staff_sync.py says what each column is for and
the conflict rule). Apart from staff_sync.py so that schema.py's MIGRATIONS can name it without
importing psycopg's side of the sync (staff_sync.py itself needs schema.require_current).

No column holds a passcode, a badge code or the lookup key: hashes and tags only.
"""

from __future__ import annotations

from typing import Any

#: Schema 5: the store's staff accounts (see the module's docstring). Main took 3 (settlements) and
#: 4 (orphaned claims) first.
SCHEMA_V5 = (
    "CREATE TABLE hub_staff_stores (store TEXT PRIMARY KEY, tag_salt TEXT NOT NULL)",
    "CREATE SEQUENCE hub_staff_version",
    """CREATE TABLE hub_staff (
        store TEXT NOT NULL,
        uid TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),
        passcode_hash TEXT NOT NULL,
        passcode_tag TEXT,
        badge_hash TEXT,
        badge_tag TEXT,
        key_id TEXT NOT NULL DEFAULT '',
        mac TEXT NOT NULL DEFAULT '',
        removed_at TIMESTAMPTZ,
        version BIGINT NOT NULL DEFAULT nextval('hub_staff_version'),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_by TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until DOUBLE PRECISION NOT NULL DEFAULT 0,
        level INTEGER NOT NULL DEFAULT 0,
        last_lockout DOUBLE PRECISION NOT NULL DEFAULT 0,
        lock_gen INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (store, uid))""",
    "CREATE UNIQUE INDEX hub_staff_active_name ON hub_staff (store, name_key) WHERE removed_at IS NULL",
)

#: Schema 6: the hub's time of each register's last whole staff sync, for ``hub status``
#: (status_more.py). A register that never pushed has no hub_terminals row: nothing is written.
SCHEMA_V6 = ("ALTER TABLE hub_terminals ADD COLUMN staff_synced_at TIMESTAMPTZ",)


def mark_staff_synced(conn: Any, terminal_id: str) -> None:
    """A whole staff sync of ``terminal_id`` ended now (the hub's clock); ``conn`` psycopg's."""
    with conn.transaction():
        conn.execute("UPDATE hub_terminals SET staff_synced_at = now() WHERE terminal_id = %s", (terminal_id,))
