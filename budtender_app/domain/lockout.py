"""Wrong tries and the growing lock they earn: the arithmetic shared by the manager PIN
(services/manager_pin.py) and the staff passcodes (services/staff/), pure so it is tested alone.

- 5 wrong tries lock: 30 s, then 2 min, 10 min and 1 h (the cap) for each further lockout in a row.
- The caller counts a try *before* comparing (``count_try``) and writes it; a right answer then
  clears the wrong tries (``cleared``) but not the level: the level only slows down someone who
  does not know the secret, and a right one typed between their guesses must not hand them fast
  tries again. The level cools back to zero 24 hours after the last lockout.
- A lock ending further ahead than the longest step was written under a clock that has since
  gone back: ``clamped`` counts it from now instead of locking people out for days.

Times are epoch seconds from the injected Clock (``Clock.epoch``): a lock must survive a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MAX_TRIES = 5
#: Seconds locked for the 1st, 2nd, 3rd and 4th-or-later lockout in a row.
LOCK_STEPS = (30, 120, 600, 3600)
LEVEL_COOL_DOWN = 24 * 3600


@dataclass(frozen=True, slots=True)
class PinLockout:
    """Wrong tries so far and the lock they earned; stored to survive a restart.

    level: how many lockouts in a row (sets the next lock's length); last_lockout: when the
    latest began (epoch seconds), so the level can cool down.
    """

    failures: int = 0
    locked_until: float = 0.0
    level: int = 0
    last_lockout: float = 0.0


def lock_seconds(level: int) -> int:
    """How long the ``level``-th lockout in a row lasts (level 1 is the first)."""
    return LOCK_STEPS[min(max(level, 1), len(LOCK_STEPS)) - 1]


def count_try(lock: PinLockout, now: float) -> PinLockout:
    """The lockout after one more wrong try at ``now`` (written before the secret is compared)."""
    failures = lock.failures + 1
    if failures < MAX_TRIES:
        return replace(lock, failures=failures)
    cooled = now - lock.last_lockout >= LEVEL_COOL_DOWN
    level = 1 if cooled else lock.level + 1
    return PinLockout(failures=0, locked_until=now + lock_seconds(level), level=level, last_lockout=now)


def remaining(lock: PinLockout, now: float) -> int:
    """Whole seconds until the next try is allowed (rounded up: "0 s left" while locked is a lie)."""
    left = lock.locked_until - now
    if left <= 0:
        return 0
    return int(min(left, LOCK_STEPS[-1]) + 0.999)


def clamped(lock: PinLockout, now: float) -> PinLockout:
    """``lock`` with an end beyond the longest step (a clock set back since) counted from now."""
    if lock.locked_until - now > LOCK_STEPS[-1]:
        return replace(lock, locked_until=now + LOCK_STEPS[-1], last_lockout=min(lock.last_lockout, now))
    return lock


def cleared(before: PinLockout) -> PinLockout:
    """What a right answer leaves of the lockout as it was before its try: no wrong tries, same level."""
    return replace(before, failures=0)


def tries_left(lock: PinLockout) -> int:
    """Wrong tries still allowed before the next lock."""
    return MAX_TRIES - lock.failures
