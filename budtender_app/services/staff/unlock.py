"""IT's unlock (``budtender-app staff unlock``, StaffStore.unlock): clearing a passcode lockout.

What a lockout held is kept (``Unlocked``) so the command line and the staff history can say what
was cleared: how long the lock had to run and how many wrong tries were counted. Never a passcode.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from budtender_app.domain import lockout
from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.staff import StaffMember
from budtender_app.services.staff.schema import LOCK_COLUMNS, lockout_of


@dataclass(frozen=True, slots=True)
class Unlocked:
    """What StaffStore.unlock cleared: each lockout as it was (None: it held nothing)."""

    member: StaffMember | None
    account: PinLockout | None
    terminal: PinLockout | None
    at: float  # epoch seconds of the unlock

    def seconds(self, lock: PinLockout | None) -> int:
        """How long ``lock`` had still to run when it was cleared (0: it was only wrong tries)."""
        return 0 if lock is None else lockout.remaining(lock, self.at)


def clear_lock(conn: sqlite3.Connection, table: str, row_id: int, now: float) -> PinLockout | None:
    """Zero the row's lockout; what it was when it held wrong tries, a lock or a level, else None."""
    row = conn.execute(f"SELECT {LOCK_COLUMNS} FROM {table} WHERE id = ?", (row_id,)).fetchone()
    was = lockout_of(row) if row is not None else PinLockout()
    level = was.level and now - was.last_lockout < lockout.LEVEL_COOL_DOWN  # a cooled level holds nothing
    if was.failures == 0 and lockout.remaining(was, now) == 0 and not level:
        return None
    conn.execute(f"UPDATE {table} SET failures = 0, locked_until = 0, level = 0 WHERE id = ?", (row_id,))
    return was


def was_text(lock: PinLockout, now: float) -> str:
    """The history's words for a cleared lockout."""
    left = lockout.remaining(lock, now)
    return (f"lockout cleared ({left} s of lock left" if left else "lockout cleared (not locked") + \
        f", {lock.failures} wrong tries counted)"
