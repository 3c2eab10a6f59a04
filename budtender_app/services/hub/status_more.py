"""What ``hub status`` and the Store hub page say beyond the pushes (status.py): the settlements
waiting for a register (this terminal's and the store's: how many, since when), and the staff
accounts' sync (how many accounts the store shares, this register's last sync, and whether this
register has the store's staff key: without it, it takes in nothing from the hub).

The staff key is compared by its id (``Tagger.key_id``: a name that reveals nothing of the key)
with the ids the store's accounts on the hub were made under. Schema 6 adds the hub's time of each
register's last staff sync (``hub_terminals.staff_synced_at``: staff_schema.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import psycopg

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.staff.lookup import KEY_BYTES, LOOKUP_KEY_NAME, Tagger


@dataclass(frozen=True)
class Waits:
    """Settlements not carried out yet: addressed to this terminal, and at the whole store."""

    mine: int = 0
    mine_oldest: datetime | None = None
    store: int = 0
    store_oldest: datetime | None = None


@dataclass(frozen=True)
class StaffState:
    """The store's staff accounts on the hub as this register sees them. ``has_key``: None when
    it cannot be told (no account shared yet, or this register's key unknown)."""

    accounts: int = 0
    last_sync: datetime | None = None
    has_key: bool | None = None


def staff_key_id(keys: CredentialStore | None) -> str | None:
    """The id of this register's staff sign-in key; None when there is none (or no keyring)."""
    if keys is None:
        return None
    try:
        text = keys.secret(LOOKUP_KEY_NAME)
        key = bytes.fromhex(text or "")
    except (KeyringUnavailable, ValueError):
        return None
    return Tagger(key, b"").key_id if len(key) == KEY_BYTES else None


def waits(conn: psycopg.Connection, terminal_id: str, store: str) -> Waits:
    """What waits for ``terminal_id``, and at ``store`` ("": not known yet, a till that never sold:
    the whole hub's)."""
    rows = conn.execute(
        "SELECT count(*) FILTER (WHERE owner_id = %(me)s), min(decided_at) FILTER (WHERE owner_id = %(me)s), "
        "count(*), min(decided_at) FROM hub_settlements "
        "WHERE done_at IS NULL AND (%(store)s = '' OR store = %(store)s)",
        {"me": terminal_id, "store": store}).fetchone()
    conn.commit()
    return Waits(*rows) if rows else Waits()


def staff_state(conn: psycopg.Connection, terminal_id: str, store: str, key_id: str | None) -> StaffState:
    keys = [str(k) for (k,) in conn.execute("SELECT key_id FROM hub_staff WHERE store = %s AND removed_at IS NULL",
                                            (store,)).fetchall()]
    synced = conn.execute("SELECT staff_synced_at FROM hub_terminals WHERE terminal_id = %s",
                          (terminal_id,)).fetchone()
    conn.commit()
    store_key = Counter(keys).most_common(1)[0][0] if keys else None
    has_key = None if store_key is None or key_id is None else store_key == key_id
    return StaffState(len(keys), synced[0] if synced else None, has_key)


def _at(when: datetime | None) -> str:
    return when.isoformat(timespec="minutes") if when else ""


def describe(w: Waits, s: StaffState) -> list[str]:
    """``hub status``'s lines for both."""
    lines = [f"Settlements waiting for this terminal: {w.mine}" + (f" (oldest decided {_at(w.mine_oldest)})"
                                                                  if w.mine else "") + "; at the whole store: "
             f"{w.store}" + (f" (oldest decided {_at(w.store_oldest)})" if w.store else "") + "."]
    synced = _at(s.last_sync) or "never"
    key = {True: "this register has the store's staff key",
           False: "this register does NOT have the store's staff key: it takes in no account from the hub "
                  "(IT: `hub staff-key` on a register of the store, `hub staff-key --set` here)",
           None: "the staff key could not be compared (no account shared yet, or none in this keyring)"}[s.has_key]
    lines.append(f"Staff accounts shared at this store: {s.accounts}; this register's last staff sync: {synced}; "
                 f"{key}.")
    return lines
