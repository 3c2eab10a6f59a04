"""Sign-in by passcode or badge, and a manager's approval by their own passcode, with lockouts.

- ``identify(passcode)`` / ``identify_badge(code)``: whose is it? Tries that match no account
  count on the terminal's own lockout (``terminal_lock``), so guessing at the sign-in screen is
  slowed like guessing one account: 5 wrong tries lock sign-in for 30 s, then 2 min, 10 min, 1 h.
- ``verify(member_id, passcode)``: is this that account's passcode? Wrong tries lock that account.
- Every try is counted and written (with the lock it would earn) *before* anything is compared,
  in a ``BEGIN IMMEDIATE`` transaction: killing the app mid-check gives no free try, and two
  processes never overwrite each other's count. A right answer then takes its try back with a
  compare-and-set: only when nobody counted another try meanwhile (domain/lockout.py).
- While locked nothing is compared. A removed account matches nothing (removal wipes its hashes).
- A right passcode of an account that is itself locked (by wrong approvals) answers LOCKED with
  that account's time left; it says nothing about any other account.

Time is the injected Clock's (epoch seconds), so a lockout survives a restart.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass

from budtender_app.domain import lockout
from budtender_app.domain.clock import Clock
from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.staff import (
    Actor,
    ActorKind,
    CheckStatus,
    StaffCheck,
    StaffMember,
    badge_problem,
    is_passcode_shaped,
)
from budtender_app.services.slow_hash import matches_text
from budtender_app.services.staff.hub_link import note_cleared, note_try
from budtender_app.services.staff.lookup import Secret, Tagger
from budtender_app.services.staff.schema import (
    LOCK_COLUMNS,
    MEMBER_COLUMNS,
    Db,
    lockout_of,
    lockout_values,
    member_of,
    record_event,
)

_TERMINAL = Actor(ActorKind.TERMINAL, "this terminal")
_COLUMNS = {Secret.PASSCODE: ("passcode_hash", "passcode_tag"), Secret.BADGE: ("badge_hash", "badge_tag")}
_SET_LOCK = "failures = ?, locked_until = ?, level = ?, last_lockout = ?"
_IS_LOCK = "failures = ? AND locked_until = ? AND level = ? AND last_lockout = ?"


@dataclass(frozen=True, slots=True)
class _Counted:
    before: PinLockout
    after: PinLockout
    locked: int


class SignInDesk:
    """The sign-in and approval checks of one staff file."""

    def __init__(self, db: Db, tagger: Tagger, clock: Clock) -> None:
        self._db = db
        self.tagger = tagger  # replaced when the file takes the store's tag salt (StaffStore.adopt_tag_salt)
        self._clock = clock

    def identify(self, passcode: str) -> StaffCheck:
        """Whose passcode this is, among the active accounts (OK with the member), or WRONG/LOCKED."""
        return self._identify(Secret.PASSCODE, passcode, shaped=is_passcode_shaped(passcode))

    def identify_badge(self, code: str) -> StaffCheck:
        """Whose badge this is; an unknown badge is WRONG, with no hint of whose it might be."""
        return self._identify(Secret.BADGE, code.strip(), shaped=badge_problem(code) is None)

    def seconds_locked(self) -> int:
        """Seconds until sign-in takes a try again (0: not locked)."""
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {LOCK_COLUMNS} FROM terminal_lock WHERE id = 1").fetchone()
        return lockout.remaining(lockout_of(row), self._clock.epoch())

    def verify(self, member_id: int, passcode: str) -> StaffCheck:
        """Whether ``passcode`` is this active account's (a manager approving with their own)."""
        now = self._clock.epoch()
        with self._db.write() as conn:
            row = conn.execute(f"SELECT {MEMBER_COLUMNS}, {LOCK_COLUMNS}, passcode_hash, passcode_tag FROM staff "
                               "WHERE id = ? AND removed_at IS NULL", (member_id,)).fetchone()
            if row is None:
                return StaffCheck(CheckStatus.NO_ACCOUNT)
            counted = _count(conn, "staff", member_id, lockout_of(row), now)
            if not counted.locked:
                note_try(conn, member_id)  # the store-wide count (hub/staff_sync.py)
        member = member_of(row)
        if counted.locked:
            return StaffCheck(CheckStatus.LOCKED, seconds_left=counted.locked)
        if is_passcode_shaped(passcode) and matches_text(row["passcode_hash"], passcode):
            tagger = self.tagger
            tag = tagger.tag(Secret.PASSCODE, passcode) if row["passcode_tag"] is None else None
            with self._db.write() as conn:
                _take_back(conn, "staff", member_id, counted)
                note_cleared(conn, member_id)
                _fill_tag(conn, Secret.PASSCODE, member_id, tag if tagger is self.tagger else None)
            return StaffCheck(CheckStatus.OK, member=member)
        return self._wrong(counted, now, member)

    # -- inside --------------------------------------------------------------------------------

    def _identify(self, kind: Secret, secret: str, *, shaped: bool) -> StaffCheck:
        now = self._clock.epoch()
        tagger = self.tagger
        tag = tagger.tag(kind, secret) if shaped else None  # the slow part, before the lock
        hash_column, tag_column = _COLUMNS[kind]
        with self._db.write() as conn:
            row = conn.execute(f"SELECT {LOCK_COLUMNS} FROM terminal_lock WHERE id = 1").fetchone()
            counted = _count(conn, "terminal_lock", 1, lockout_of(row), now)
            candidates = [] if counted.locked or tag is None else conn.execute(
                f"SELECT id, {hash_column} AS hash, {tag_column} AS tag FROM staff WHERE removed_at IS NULL "
                f"AND {hash_column} IS NOT NULL AND ({tag_column} = ? OR {tag_column} IS NULL) "
                f"ORDER BY {tag_column} IS NULL, id", (tag,)).fetchall()
        if counted.locked:
            return StaffCheck(CheckStatus.LOCKED, seconds_left=counted.locked)
        found = next((c for c in candidates if matches_text(c["hash"], secret)), None)
        if found is None:
            return self._wrong(counted, now, None)
        return self._signed_in(kind, int(found["id"]), tag if found["tag"] is None else None, counted, now, tagger)

    def _signed_in(self, kind: Secret, member_id: int, tag: str | None, counted: _Counted, now: float,
                   tagger: Tagger) -> StaffCheck:
        with self._db.write() as conn:
            _take_back(conn, "terminal_lock", 1, counted)
            row = conn.execute(f"SELECT {MEMBER_COLUMNS}, {LOCK_COLUMNS} FROM staff "
                               "WHERE id = ? AND removed_at IS NULL", (member_id,)).fetchone()
            if row is not None and tagger is self.tagger:  # not when the store's salt came in meanwhile
                _fill_tag(conn, kind, member_id, tag)
        if row is None:  # removed between the compare and now
            return StaffCheck(CheckStatus.WRONG, tries_left=lockout.tries_left(counted.before))
        left = lockout.remaining(lockout.clamped(lockout_of(row), now), now)
        if left:
            return StaffCheck(CheckStatus.LOCKED, seconds_left=left)
        return StaffCheck(CheckStatus.OK, member=member_of(row))

    def _wrong(self, counted: _Counted, now: float, member: StaffMember | None) -> StaffCheck:
        if counted.after.locked_until <= now:
            return StaffCheck(CheckStatus.WRONG, tries_left=lockout.tries_left(counted.after))
        seconds = lockout.remaining(counted.after, now)
        with self._db.write() as conn:
            where = "sign-in on this terminal" if member is None else "this account"
            record_event(conn, self._clock.now(), _TERMINAL, "locked", member,
                         f"{where} locked for {seconds} s after {lockout.MAX_TRIES} wrong tries")
        return StaffCheck(CheckStatus.LOCKED, seconds_left=seconds)


def _count(conn: sqlite3.Connection, table: str, row_id: int, stored: PinLockout, now: float) -> _Counted:
    """Count one try (unless locked) and write it before anything is compared."""
    before = lockout.clamped(stored, now)
    locked = lockout.remaining(before, now)
    after = before if locked else lockout.count_try(before, now)
    if after != stored:
        conn.execute(f"UPDATE {table} SET {_SET_LOCK} WHERE id = ?", (*lockout_values(after), row_id))
    return _Counted(before, after, locked)


def _take_back(conn: sqlite3.Connection, table: str, row_id: int, counted: _Counted) -> None:
    """A right answer clears the wrong tries, unless another try was counted since ours: that
    bookkeeping (maybe a lock it earned) stands."""
    conn.execute(f"UPDATE {table} SET {_SET_LOCK} WHERE id = ? AND {_IS_LOCK}",
                 (*lockout_values(lockout.cleared(counted.before)), row_id, *lockout_values(counted.after)))


def _fill_tag(conn: sqlite3.Connection, kind: Secret, member_id: int, tag: str | None) -> None:
    """Tag an account found by its slow hash, so its next sign-in is a lookup."""
    if tag is None:
        return
    column = _COLUMNS[kind][1]
    # IntegrityError: another active account has this tag (two accounts with one passcode, from
    # before the tags): it stays untagged, found by its slow hash, until a manager resets one.
    with contextlib.suppress(sqlite3.IntegrityError):
        conn.execute(f"UPDATE staff SET {column} = ? WHERE id = ? AND {column} IS NULL", (tag, member_id))
