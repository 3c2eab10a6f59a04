"""The manager PIN: a slow salted hash in the settings file, and a lockout that survives restarts.

Rules (issue 3):
- 4 to 8 digits, none of the first PINs a cashier would try (all one digit, a straight run).
- Stored only as an scrypt hash (stdlib ``hashlib.scrypt``, n=2**14, r=8, p=1), compared in
  constant time.
- 5 wrong tries lock it: 30 s, then 2 min, 10 min and 1 h (the cap) for each further lockout.
  While locked, nothing is compared.
- Each try is counted in the file *before* the PIN is compared, and the lock it would earn is
  written with it: killing the app mid-check gives no free try. A right PIN then takes the
  count back.
- A right PIN clears the wrong tries but not the lockout level: the level only ever slows down
  someone who does not know the PIN, and a right PIN typed between their guesses must not hand
  them fast tries again. The level cools back to zero 24 hours after the last lockout.
- Messages (built by the view model from PinCheck) say right, wrong with the tries left, or
  locked with the time left; never whether a wrong PIN was "close".

The lock follows the wall clock, as it must to survive a restart; a person who can set the
computer's clock or edit the settings file is past this lock anyway (that is the OS's account
security, not ours).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace

from budtender_app.domain import lockout
from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.lockout import LEVEL_COOL_DOWN, LOCK_STEPS, MAX_TRIES, lock_seconds
from budtender_app.domain.staff import is_repeated_digit, is_straight_run
from budtender_app.services import slow_hash
from budtender_app.services.settings_store import (
    ManagerPinRecord,
    PinLockout,
    Settings,
    SettingsStore,
)

MIN_DIGITS, MAX_DIGITS = 4, 8
# The lockout's numbers live in domain/lockout.py (shared with the staff passcodes); said here too.
__all__ = ["LEVEL_COOL_DOWN", "LOCK_STEPS", "MAX_TRIES", "ManagerPinGuard", "PinAlreadySet", "PinCheck", "PinNotSet",
           "PinRuleError", "PinStatus", "lock_seconds", "pin_problem"]


class PinRuleError(ValueError):
    """A new manager PIN that breaks the rules; the message says which, never repeating the PIN."""


class PinNotSet(RuntimeError):
    """check() or change_pin() before any manager PIN was chosen: ask for a new one instead."""


class PinAlreadySet(RuntimeError):
    """set_pin() when a PIN exists: only change_pin(), which needs the old one, may replace it."""


class PinStatus(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class PinCheck:
    """The answer to one try. tries_left: before the next lock (WRONG); seconds_left: of the lock."""

    status: PinStatus
    tries_left: int = 0
    seconds_left: int = 0

    @property
    def ok(self) -> bool:
        return self.status is PinStatus.OK


def pin_problem(pin: str) -> str | None:
    """Why this cannot be the new manager PIN, in a manager's words; None when it can."""
    if not pin:
        return f"Choose a manager PIN of {MIN_DIGITS} to {MAX_DIGITS} digits."
    if not (pin.isascii() and pin.isdigit()):
        return "The manager PIN is digits only."
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"The manager PIN has {MIN_DIGITS} to {MAX_DIGITS} digits."
    if is_repeated_digit(pin):
        return "A PIN of one repeated digit is the first thing anyone tries. Choose another."
    if is_straight_run(pin):
        # No example digits: "like 1234" repeated the PIN 1234 back (found by the staff rules' property test).
        return ("A straight run of digits, each one up or down from the last, is the first thing anyone tries. "
                "Choose another.")
    return None


class ManagerPinGuard:
    """Sets and checks the manager PIN, keeping its hash and lockout in the settings file.

    Every change goes through SettingsStore.update: it starts from the file as it is now and
    touches only the PIN record, so neither a store profile saved meanwhile nor a try counted by
    another process is overwritten. Every method raises SettingsUnreadable when the file cannot
    be read: an unreadable file may hold a PIN and a lockout, so none is assumed away.
    """

    def __init__(self, store: SettingsStore, clock: Callable[[], float] = SYSTEM_CLOCK.epoch) -> None:
        self._store = store
        self._clock = clock

    def is_set(self) -> bool:
        return self._store.read().manager_pin is not None

    def set_pin(self, new_pin: str) -> None:
        """Choose the first manager PIN. PinRuleError when it breaks the rules, PinAlreadySet
        when one exists (checked under the settings lock, so two first setups cannot race)."""
        record = _new_record(new_pin)

        def first(settings: Settings) -> Settings:
            if settings.manager_pin is not None:
                raise PinAlreadySet("A manager PIN is already set; change it with the old one.")
            return settings.with_manager_pin(record)

        self._store.update(first)

    def change_pin(self, old_pin: str, new_pin: str) -> PinCheck:
        """Replace the PIN when ``old_pin`` is right (a try like check()); the new one is checked first."""
        problem = pin_problem(new_pin)
        if problem:  # refused before the old PIN is tried, so a typo here costs no try
            raise PinRuleError(problem)
        result = self.check(old_pin)
        if result.ok:
            record = _new_record(new_pin)
            self._store.update(lambda settings: settings.with_manager_pin(record))
        return result

    def reset(self) -> None:
        """Forget the PIN and its lockout (IT's way back when nobody knows it)."""
        self._store.update(lambda settings: settings.with_manager_pin(None))

    def seconds_locked(self) -> int:
        """Seconds until the next try is allowed; 0 when not locked (or no PIN is set)."""
        record = self._store.read().manager_pin
        if record is None:
            return 0
        return lockout.remaining(record.lockout, self._clock())

    def check(self, pin: str) -> PinCheck:
        """One try at the manager PIN. PinNotSet when none was chosen."""
        now = self._clock()
        tried: list[tuple[ManagerPinRecord, PinLockout, PinLockout, int]] = []

        def count(settings: Settings) -> Settings:
            record = settings.manager_pin
            if record is None:
                raise PinNotSet("No manager PIN is set yet.")
            before = lockout.clamped(record.lockout, now)
            locked = lockout.remaining(before, now)
            # Locked: nothing is counted (only a clock gone back is corrected). Else the try is
            # written, with the lock it would earn, before comparing: a crash gives no free try.
            after = before if locked else lockout.count_try(before, now)
            tried.append((record, before, after, locked))
            return settings.with_manager_pin(replace(record, lockout=after))

        self._store.update(count)
        record, before, counted, locked = tried[-1]
        if locked:
            return PinCheck(PinStatus.LOCKED, seconds_left=locked)
        if _matches(record, pin):
            self._take_back(record, counted, lockout.cleared(before))
            return PinCheck(PinStatus.OK)
        if counted.locked_until > now:
            return PinCheck(PinStatus.LOCKED, seconds_left=lockout.remaining(counted, now))
        return PinCheck(PinStatus.WRONG, tries_left=lockout.tries_left(counted))

    # -- inside --------------------------------------------------------------------------------

    def _take_back(self, record: ManagerPinRecord, counted: PinLockout, cleared: PinLockout) -> None:
        """A right PIN: undo the try just counted, unless the record moved on meanwhile."""

        def clear(settings: Settings) -> Settings:
            current = settings.manager_pin
            # Reset, changed, or another try counted since ours (maybe a lock it earned): that
            # bookkeeping stands; a right PIN here must not wipe someone else's lockout.
            if current is None or current.hash != record.hash or current.lockout != counted:
                return settings
            return settings.with_manager_pin(replace(current, lockout=cleared))

        self._store.update(clear)


def _new_record(new_pin: str) -> ManagerPinRecord:
    problem = pin_problem(new_pin)
    if problem:
        raise PinRuleError(problem)
    made = slow_hash.slow_hash(new_pin)
    return ManagerPinRecord(salt=made.salt, hash=made.hash, n=made.n, r=made.r, p=made.p)


def _matches(record: ManagerPinRecord, pin: str) -> bool:
    return slow_hash.matches(record, pin)
