"""Shifts from a day's sign-in and sign-out events (issue 13): numbered as they began, titled
in the store's zone, and what ends a shift the trail never saw end."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from budtender_app.domain.actor import Actor
from budtender_app.domain.shift_report import day_range
from budtender_app.domain.shifts import ShiftMark, find_shifts, same_person

DENVER = ZoneInfo("America/Denver")
DAY = day_range(date(2026, 11, 22), DENVER)
ANA, BO = Actor("11", "Ana"), Actor("12", "Bo")


def at(hour: int, minute: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=DENVER)


def mark(event: str, when: datetime, who: Actor, detail: str = "", terminal: str = "till-1") -> ShiftMark:
    return ShiftMark(when, event, who, terminal, detail)


def test_a_sign_in_to_its_sign_out_is_a_shift_titled_in_the_stores_zone():
    (shift,) = find_shifts([mark("signed_in", at(9, 2), ANA, "passcode"),
                            mark("signed_out", at(13, 15), ANA, "switched")], DAY)
    assert (shift.number, shift.staff, shift.ended) == (1, ANA, "switched")
    assert shift.span(DENVER).title == "2026-11-22: Shift of Ana, 09:02–13:15"
    assert shift.label(DENVER) == "1. Ana, 09:02–13:15 (switched)"
    assert shift.span(DENVER).start == at(9, 2)


def test_no_sign_out_ends_at_the_next_sign_in_there_or_at_the_end_of_the_day():
    shifts = find_shifts([mark("signed_in", at(15), BO), mark("signed_in", at(9), ANA),
                          mark("signed_in", at(10), BO, terminal="till-2")], DAY)
    assert [(s.number, s.staff.name, s.terminal, s.ended) for s in shifts] == [
        (1, "Ana", "till-1", "next sign-in"), (2, "Bo", "till-2", "end of day"), (3, "Bo", "till-1", "end of day")]
    assert shifts[0].end == at(15)
    assert shifts[2].end == DAY.end


def test_today_a_shift_still_open_ends_now():
    (shift,) = find_shifts([mark("signed_in", at(9), ANA)], DAY, now=at(11, 30))
    assert (shift.end, shift.ended) == (at(11, 30), "still signed in")
    (yesterday,) = find_shifts([mark("signed_in", at(9), ANA)], DAY, now=at(11, day=23))
    assert yesterday.ended == "end of day"


def test_a_shift_over_midnight_is_cut_there_and_other_days_are_left_out():
    shifts = find_shifts([mark("signed_out", at(0, 40), BO, "idle"), mark("signed_in", at(23, 50, day=21), BO),
                          mark("signed_in", at(8), ANA), mark("signed_out", at(8), ANA, "quit")], DAY)
    assert [(s.staff.name, s.start, s.ended) for s in shifts] == [("Bo", DAY.start, "idle")]  # a 0 s one: dropped


def test_the_same_person_by_account_else_by_name():
    assert same_person(Actor("11", "Ana"), Actor("11", "Ana Renamed"))
    assert not same_person(Actor("11", "Ana"), Actor("12", "Ana"))
    assert same_person(Actor("", "Mo"), Actor("", "Mo"))
