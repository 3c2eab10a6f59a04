"""The one source of time: every part of the app that reads the time gets this object.

Built once in the composition root (``app.py``) and handed down, so the journal, the view
models, the manager-PIN lockout and the consent record all agree on "now", and a test (or a
till whose clock must be checked) can hand them all one fixed or shifted time.

Three readings, because they answer different questions:

- ``now()``: the wall-clock moment, timezone-aware UTC. What the journal stores.
- ``monotonic()``: seconds for measuring intervals (resend countdowns, deadlines); never jumps
  when the wall clock is set or a daylight-saving change happens.
- ``local(moment)`` / ``today()``: a moment in the store's own time zone, for what a person
  reads ("used on Dec 1 at 14:03") and for "today" in reports. ``zone=None`` is this computer's
  zone, read at the moment of the call (so a change of zone or DST needs no restart).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo


def _system_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Clock:
    """Wall clock, monotonic clock and the store's time zone, in one injectable object.

    Calling the clock (``clock()``) is ``clock.now()``, so it fits wherever a
    ``Callable[[], datetime]`` is expected.
    """

    wall: Callable[[], datetime] = field(default=_system_now)
    ticks: Callable[[], float] = field(default=time.monotonic)
    zone: tzinfo | None = None

    @classmethod
    def system(cls) -> Clock:
        """The computer's own clocks and time zone: what the app runs on."""
        return cls()

    @classmethod
    def fixed(cls, moment: datetime, zone: tzinfo | None = UTC) -> Clock:
        """A clock stopped at ``moment`` (tests); its monotonic reading follows the wall one."""
        if moment.tzinfo is None:
            raise ValueError("a clock's moment must be timezone-aware")
        stamp = moment.timestamp()
        return cls(wall=lambda: moment, ticks=lambda: stamp, zone=zone)

    def now(self) -> datetime:
        """This moment, timezone-aware, in UTC."""
        moment = self.wall()
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now()

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, for intervals only."""
        return self.ticks()

    def epoch(self) -> float:
        """Seconds since 1970 (UTC), for stored deadlines such as a lockout's end."""
        return self.now().timestamp()

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the store's time zone."""
        return moment.astimezone(self.zone) if self.zone is not None else moment.astimezone()

    def today(self) -> date:
        """The store's date now."""
        return self.local(self.now()).date()

    def shifted(self, by: timedelta) -> Clock:
        """This clock moved by ``by`` (a test of tomorrow, or of a clock set wrong)."""
        return Clock(wall=lambda: self.wall() + by, ticks=lambda: self.ticks() + by.total_seconds(),
                     zone=self.zone)



#: The computer's clock, for defaults only: the composition root hands every part the same one.
SYSTEM_CLOCK = Clock.system()
