"""The hub's tables, versioned: ``hub_meta`` holds ``schema_version``; ``MIGRATIONS[n]`` brings a
version n-1 hub to n. ``migrate`` runs them in order in one transaction under an advisory lock
(two terminals running ``hub init`` at once: one migrates, the other finds it done), so it is
idempotent: run again, it changes nothing.

Schema 1: the terminals (``hub_terminals``: name, last push, what the chain check found), their
audit events as pushed (``hub_events``, keyed by (terminal, sequence), with each event's chain
hash so the links can be checked on the hub) and their redemption rows' latest state
(``hub_redemptions``, keyed by (terminal, row id), as of the last event pushed about the row).
Schema 2: claims (``hub_claims``) and the conflicts of late claims (``hub_claim_conflicts``).
Schema 3: managers' settlements (``settlements.py``).
Schema 4: hub-side times for orphaned claims (``orphans.py``): when a claim was made or renewed
(``hub_claims.hub_at``) and when a terminal last pushed its whole journal (``hub_terminals.synced_at``).
Schema 5: staff accounts (``staff_schema.py``). Schema 6: withdrawn settlements (``withdraw.py``) and
claims released by a manager (``release.py``).
No column holds a redemption URL, a token, an API key, a PIN, a full phone or AIQ's contact id.
"""

from __future__ import annotations

import psycopg

from budtender_app.services.hub.release import SCHEMA_V6 as _RELEASES_V6
from budtender_app.services.hub.settlements import SCHEMA_V3 as _SCHEMA_V3
from budtender_app.services.hub.staff_schema import SCHEMA_V5 as _SCHEMA_V5
from budtender_app.services.hub.staff_schema import SCHEMA_V6 as _STAFF_V6
from budtender_app.services.hub.withdraw import SCHEMA_V6 as _WITHDRAW_V6

SCHEMA_VERSION = 6
_LOCK_ID = 0x6275_6474  # "budt": the advisory lock of hub migrations

_SCHEMA_V1 = (
    """CREATE TABLE hub_terminals (
        terminal_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        store TEXT NOT NULL DEFAULT '',
        keyed BOOLEAN NOT NULL DEFAULT FALSE,
        legacy_until BIGINT NOT NULL DEFAULT 0,
        first_push TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_push TIMESTAMPTZ,
        last_sequence BIGINT NOT NULL DEFAULT 0,
        chain_ok BOOLEAN NOT NULL DEFAULT TRUE,
        chain_problem TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE hub_events (
        terminal_id TEXT NOT NULL REFERENCES hub_terminals (terminal_id),
        seq BIGINT NOT NULL CHECK (seq > 0),
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        store TEXT NOT NULL,
        terminal TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        discount_id TEXT NOT NULL,
        discount_name TEXT NOT NULL,
        pos_discount_id TEXT NOT NULL,
        points BIGINT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        entry_id BIGINT NOT NULL,
        state TEXT NOT NULL,
        phase TEXT NOT NULL,
        fields_version INTEGER NOT NULL,
        staff_id TEXT NOT NULL,
        staff_name TEXT NOT NULL,
        approver_id TEXT NOT NULL,
        approver_name TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (terminal_id, seq))""",
    "CREATE INDEX hub_events_at ON hub_events (at)",
    """CREATE TABLE hub_redemptions (
        terminal_id TEXT NOT NULL REFERENCES hub_terminals (terminal_id),
        entry_id BIGINT NOT NULL,
        store TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        discount_id TEXT NOT NULL,
        discount_name TEXT NOT NULL,
        pos_discount_id TEXT NOT NULL,
        points BIGINT NOT NULL,
        value_text TEXT NOT NULL,
        state TEXT NOT NULL,
        reversal_phase TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        aiq_redemption_id TEXT NOT NULL,
        message TEXT NOT NULL,
        shopper_masked TEXT NOT NULL,
        staff_name TEXT NOT NULL,
        approver_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        as_of_seq BIGINT NOT NULL,
        PRIMARY KEY (terminal_id, entry_id))""",
    "CREATE INDEX hub_redemptions_sale ON hub_redemptions (store, transaction_id, discount_id)",
)

#: Schema 2: claims across registers (``claims.py``): who holds (store, POS transaction, discount),
#: and the conflicts found when a claim made late (the hub was unreachable at checkout) was held.
_SCHEMA_V2 = (
    """CREATE TABLE hub_claims (
        store TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        discount_id TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        terminal_name TEXT NOT NULL,
        claimed_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (store, transaction_id, discount_id))""",
    """CREATE TABLE hub_claim_conflicts (
        id BIGSERIAL PRIMARY KEY,
        store TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        discount_id TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        terminal_name TEXT NOT NULL,
        redeemed_at TIMESTAMPTZ NOT NULL,
        holder_id TEXT NOT NULL,
        found_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        settled_by TEXT NOT NULL DEFAULT '',
        UNIQUE (store, transaction_id, discount_id, terminal_id))""",
)

#: Schema 4: the hub's own clock on claims and pushes (orphans.py). A claim made before it counts
#: from the migration: never older than it really is.
_SCHEMA_V4 = (
    "ALTER TABLE hub_claims ADD COLUMN hub_at TIMESTAMPTZ NOT NULL DEFAULT now()",
    "ALTER TABLE hub_terminals ADD COLUMN synced_at TIMESTAMPTZ",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _SCHEMA_V4, 5: _SCHEMA_V5,
                                     6: _WITHDRAW_V6 + _RELEASES_V6 + _STAFF_V6}


class HubSchemaError(Exception):
    """The hub's schema is not one this app can use (newer, or never initialised)."""


def schema_version(conn: psycopg.Connection) -> int:
    """The hub's schema version; 0 for a database ``hub init`` never ran on."""
    exists = conn.execute("SELECT to_regclass('hub_meta') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT value FROM hub_meta WHERE name = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection) -> tuple[int, int]:
    """Bring the hub to SCHEMA_VERSION in one transaction; (version before, version after)."""
    with conn.transaction():
        # IT's command, not the counter's: it waits for another till's migration (and for the
        # registers' short locks) instead of being cut off by the counter's session limits.
        conn.execute("SET LOCAL lock_timeout = 0")
        conn.execute("SET LOCAL statement_timeout = 0")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute("CREATE TABLE IF NOT EXISTS hub_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise HubSchemaError(f"The hub's schema is version {before}, newer than this app's "
                                 f"({SCHEMA_VERSION}): update this app before it joins that hub.")
        for version in range(before + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
        conn.execute("INSERT INTO hub_meta (name, value) VALUES ('schema_version', %s) "
                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
    return before, SCHEMA_VERSION


def require_current(conn: psycopg.Connection) -> None:
    """HubSchemaError unless the hub's schema is the one this app writes."""
    version = schema_version(conn)
    if version == 0:
        raise HubSchemaError("The hub has no schema yet: IT runs `budtender-app hub init` once.")
    if version != SCHEMA_VERSION:
        raise HubSchemaError(f"The hub's schema is version {version}, this app's is {SCHEMA_VERSION}: "
                             "run `budtender-app hub init` (older hub) or update this app (newer).")
