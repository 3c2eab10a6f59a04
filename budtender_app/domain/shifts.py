"""Shifts: one staff member at one terminal, from a sign-in to the sign-out (issue 13).

The staff session (viewmodels/staff_session.py) writes a "signed_in" audit event when someone
signs in (detail: "passcode" or "badge") and a "signed_out" one when they stop (detail: why,
``SignOut``: switched cashier, idle lock, the app quit). ``find_shifts`` turns a day's events back
into shifts, numbered from 1 in the order they began (the number ``report --shift N`` and the
Shift report tab use).

Decisions, where the trail has a gap:

- A shift with no sign-out (the terminal lost power, or the journal could not be written at
  sign-out) ends at the next sign-in at the same terminal ("next sign-in"), else at the end of the
  day, or now when the day is today and nobody signed out ("still signed in").
- A shift over midnight is cut there: each day lists its own part (a sign-out with no sign-in
  before it that day starts its shift at the day's midnight, "from before midnight").

A shift's report counts only that person's events inside the shift's window
(``is_their_event``): the events they did (or the terminal did for their checkout), and the
sign-ups they recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from budtender_app.domain.actor import Actor
from budtender_app.domain.shift_report import Span

SIGNED_IN = "signed_in"
SIGNED_OUT = "signed_out"


class SignOut(StrEnum):
    """Why a shift ended, as the "signed_out" event's detail says."""

    SWITCHED = "switched"  # Switch cashier (Ctrl+L)
    IDLE = "idle"  # the idle lock
    QUIT = "quit"  # the app closed while someone was signed in
    REMOVED = "account removed"  # removed at another register, heard through the store hub


#: How a shift ended when the trail has no sign-out for it.
NEXT_SIGN_IN = "next sign-in"
END_OF_DAY = "end of day"
STILL_SIGNED_IN = "still signed in"


@dataclass(frozen=True, slots=True)
class ShiftMark:
    """One "signed_in" or "signed_out" audit event (``at`` timezone-aware)."""

    at: datetime
    event: str
    staff: Actor
    terminal: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Shift:
    """One person at one terminal over [start, end); ``number`` counts from 1 within the day."""

    number: int
    staff: Actor
    start: datetime
    end: datetime
    ended: str  # a SignOut value, or NEXT_SIGN_IN / END_OF_DAY / STILL_SIGNED_IN
    terminal: str = ""

    def times(self, zone: tzinfo) -> str:
        """"09:02–13:15" in the store's zone (with the dates when it is not one local day)."""
        a, b = self.start.astimezone(zone), self.end.astimezone(zone)
        return f"{a:%H:%M}–{b:%H:%M}" if a.date() == b.date() else f"{a:%H:%M}–{b:%Y-%m-%d %H:%M}"

    def label(self, zone: tzinfo) -> str:
        """One line of a listing: "2. Ana Cashier, 09:02–13:15 (switched)"."""
        return f"{self.number}. {self.staff.name}, {self.times(zone)} ({self.ended})"

    def span(self, zone: tzinfo) -> Span:
        """The report's window: titled with the day, the name and the times."""
        day = self.start.astimezone(zone).date().isoformat()
        return Span(self.start, self.end, f"{day}: Shift of {self.staff.name}, {self.times(zone)}", zone)


def same_person(a: Actor, b: Actor) -> bool:
    """The same staff member: by account id when both have one, else by name."""
    if a.staff_id and b.staff_id:
        return a.staff_id == b.staff_id
    return a.name == b.name


def find_shifts(marks: Iterable[ShiftMark], day: Span, now: datetime | None = None) -> list[Shift]:
    """The shifts of ``day`` from its sign-in and sign-out events (any order; outside ones are
    left out), in the order they began. ``now``: an open shift of today ends there."""
    until = min(day.end, now) if now is not None and day.start <= now < day.end else day.end
    found: list[tuple[Actor, datetime, datetime, str, str]] = []
    open_at: dict[str, tuple[Actor, datetime]] = {}  # terminal -> who signed in there, when
    for mark in sorted((m for m in marks if m.at in day), key=lambda m: m.at):
        before = open_at.pop(mark.terminal, None)
        if mark.event == SIGNED_IN:
            if before is not None:
                found.append((before[0], before[1], mark.at, NEXT_SIGN_IN, mark.terminal))
            open_at[mark.terminal] = (mark.staff, mark.at)
        elif mark.event == SIGNED_OUT:
            who, start = before if before is not None else (mark.staff, day.start)
            found.append((who, start, mark.at, mark.detail or SignOut.SWITCHED, mark.terminal))
    for terminal, (who, start) in open_at.items():
        end = until if until > start else day.end
        found.append((who, start, end, STILL_SIGNED_IN if end < day.end else END_OF_DAY, terminal))
    found = [f for f in found if f[2] > f[1]]  # a sign-out in the same second: nothing to report
    found.sort(key=lambda f: f[1])
    return [Shift(n, who, start, end, ended, terminal)
            for n, (who, start, end, ended, terminal) in enumerate(found, start=1)]


def is_their_event(shift: Shift, who: Actor, terminal: str) -> bool:
    """Whether an event done by ``who`` at ``terminal`` belongs to ``shift``'s report (the time
    window is the report's Span). An empty terminal matches any."""
    return same_person(who, shift.staff) and (not terminal or not shift.terminal or terminal == shift.terminal)
