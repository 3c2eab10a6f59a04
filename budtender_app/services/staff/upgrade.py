"""The upgrade from the single manager PIN (issue 3) to staff accounts (issue 13).

Where the settings file holds a manager PIN, the first open of an empty staff file makes a
manager account named "Manager" carrying that PIN's scrypt hash unchanged (services/slow_hash.py
reads both forms), so the PIN the manager knows is that account's passcode and no store is
locked out by the upgrade. The PIN's lockout comes along too: an upgrade is no free reset.

Exactly once: it runs inside a ``BEGIN IMMEDIATE`` transaction that looks first for any account
or the ``manager_pin_upgrade`` mark, so two processes opening the file at once make one account.
With no PIN in the settings nothing is marked: the first manager then comes from IT or the
first-start setup. A settings file that cannot be read may hold a PIN, so the staff file does not
open empty over it (StaffStoreError) while it has no account: an empty start would let the
first-start setup make a manager on a terminal that has one.
"""

from __future__ import annotations

from collections.abc import Callable

from budtender_app.domain.clock import Clock
from budtender_app.domain.staff import Actor, ActorKind, Role, name_key
from budtender_app.services.settings_model import ManagerPinRecord
from budtender_app.services.settings_store import SettingsUnreadable
from budtender_app.services.slow_hash import SlowHash
from budtender_app.services.staff.schema import (
    Db,
    StaffStoreError,
    get_meta,
    lockout_values,
    member_of,
    record_event,
    set_meta,
)

UPGRADED_NAME = "Manager"
_UPGRADE = Actor(ActorKind.UPGRADE, "upgrade from the manager PIN")


def upgrade_from_manager_pin(db: Db, read_pin: Callable[[], ManagerPinRecord | None], clock: Clock) -> bool:
    """Make the old manager PIN the first manager account, once; True when this call made it."""
    with db.write() as conn:
        if get_meta(conn, "manager_pin_upgrade") or conn.execute("SELECT 1 FROM staff").fetchone():
            return False
        try:
            record = read_pin()
        except SettingsUnreadable as exc:
            raise StaffStoreError(f"The staff accounts cannot be set up: {exc}") from None
        if record is None:
            return False
        stored = SlowHash.of(record).encode()
        now = clock.now()
        cursor = conn.execute(
            "INSERT INTO staff (name, name_key, role, passcode_hash, created_at, failures, locked_until, level, "
            "last_lockout) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (UPGRADED_NAME, name_key(UPGRADED_NAME), Role.MANAGER.value, stored, now.isoformat(),
             *lockout_values(record.lockout)))
        set_meta(conn, "manager_pin_upgrade", now.isoformat())
        row = conn.execute("SELECT id, name, role, 0 AS has_badge, removed_at FROM staff WHERE id = ?",
                           (cursor.lastrowid,)).fetchone()
        record_event(conn, now, _UPGRADE, "added", member_of(row),
                     "as manager, from the single manager PIN (that PIN is this account's passcode)")
    return True
