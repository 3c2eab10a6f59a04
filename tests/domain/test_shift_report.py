"""The shift report's figures, day boundaries and flags, from events built here (no IO)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.loyalty import AiqRedemption
from budtender_app.domain.receipt import TRAINING_LINE, SlipHeader
from budtender_app.domain.shift_check import reconcile
from budtender_app.domain.shift_flags import FlagKind
from budtender_app.domain.shift_report import (
    OpeningHours,
    ReportEvent,
    SignUp,
    build_report,
    day_range,
    shift_range,
)
from budtender_app.domain.shift_text import report_slip, report_text

ANA, BO, MAX = Actor("1", "Ana"), Actor("2", "Bo"), Actor("9", "Max")
DENVER = ZoneInfo("America/Denver")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14: its day starts at 10:00 UTC the day before


def at(hour: int, minute: int = 0, day: int = 22, zone=DENVER) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


_ids = iter(range(1, 10_000))


def ev(event: str, when: datetime, *, cashier=ANA, staff=None, entry=0, tx="t1", points=100, dollars="5",
       percent=None, shopper="c-1", state="") -> ReportEvent:
    return ReportEvent(id=next(_ids), at=when, event=event, state=state, staff=staff or cashier, cashier=cashier,
                       entry_id=entry, transaction_id=tx, discount_id=f"d{entry}", discount_name=f"Deal {entry}",
                       points=points, dollar_value=Decimal(dollars) if dollars else None,
                       percentage_value=Decimal(percent) if percent else None, shopper=shopper,
                       shopper_masked="***-***-4567", aiq_redemption_id=f"a{entry}")


def by_name(report):
    return {f.staff.name: f for f in report.staff}


def test_figures_per_staff_and_total():
    span = day_range(date(2026, 11, 22), DENVER)
    events = [
        ev("queued", at(10), entry=1, tx="t1"), ev("redeemed", at(10, 1), entry=1, tx="t1", dollars="5"),
        ev("queued", at(11), entry=2, tx="t2", cashier=BO),
        ev("redeemed", at(11, 1), entry=2, tx="t2", cashier=BO, dollars=None, percent="15", points=300),
        ev("queued", at(12), entry=3, tx="t3"), ev("unknown", at(12, 1), entry=3, tx="t3"),
        ev("resolved", at(12, 30), entry=3, tx="t3", staff=MAX, state="redeemed", dollars="10", points=200),
        ev("queued", at(13), entry=4, tx="t4", cashier=BO), ev("rejected", at(13, 1), entry=4, tx="t4", cashier=BO),
        ev("reversed", at(14), entry=1, tx="t1", staff=MAX),
        ev("pin_skipped", at(15), staff=BO, cashier=Actor.unknown, tx=""),
    ]
    report = build_report(span, events, [SignUp(at(16)), SignUp(at(17), ANA)])
    people = by_name(report)
    assert (people["Ana"].redemptions, people["Ana"].points, people["Ana"].dollars) == (2, 300, Decimal(15))
    assert (people["Ana"].unknown, people["Ana"].sign_ups) == (1, 1)
    assert (people["Bo"].redemptions, people["Bo"].points, people["Bo"].no_fixed_value) == (1, 300, 1)
    assert (people["Bo"].refused, people["Bo"].pin_skips) == (1, 1)
    assert (people["Max"].refunds, people["Max"].refund_points, people["Max"].redemptions) == (1, 100, 0)
    total = report.total
    assert (total.redemptions, total.points, total.dollars, total.sign_ups) == (3, 600, Decimal(15), 2)
    assert any("percentage" in n for n in report.notes)  # no dollar figure invented for 15% off
    assert any("total only" in n for n in report.notes)  # the sign-up nobody is named on


def test_a_day_is_the_stores_local_day_across_dst():
    # 2026-11-01: Denver falls back, the day has 25 hours; 2026-03-08 springs forward, 23 hours.
    fall, spring = day_range(date(2026, 11, 1), DENVER), day_range(date(2026, 3, 8), DENVER)
    assert fall.end - fall.start == timedelta(hours=25)
    assert spring.end - spring.start == timedelta(hours=23)
    late = datetime(2026, 11, 1, 23, 30, tzinfo=DENVER)  # 06:30 UTC on Nov 2, still Nov 1 in the store
    assert late in fall
    report = build_report(fall, [ev("redeemed", late, entry=7), ev("redeemed", fall.end, entry=8)])
    assert report.total.redemptions == 1


def test_a_plus_14_store_day_starts_the_utc_day_before():
    span = day_range(date(2026, 11, 22), KIRITIMATI)
    assert span.start == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    morning = datetime(2026, 11, 22, 0, 30, tzinfo=KIRITIMATI)  # 10:30 UTC on the 21st
    yesterday = datetime(2026, 11, 21, 23, 59, tzinfo=KIRITIMATI)
    report = build_report(span, [ev("redeemed", morning, entry=1), ev("redeemed", yesterday, entry=2)],
                          hours=OpeningHours(time(0, 0), time(23, 59)))
    assert report.total.redemptions == 1
    assert not report.flags


def test_a_shift_is_a_time_range():
    span = shift_range(at(9), at(13), DENVER)
    report = build_report(span, [ev("redeemed", at(8, 59), entry=1), ev("redeemed", at(12), entry=2),
                                 ev("redeemed", at(13), entry=3)])
    assert report.total.redemptions == 1
    assert span.title == "shift 2026-11-22 09:00-13:00"
    with pytest.raises(ValueError, match="ends before"):
        shift_range(at(13), at(9), DENVER)


def test_the_same_shopper_on_three_sales_is_flagged_with_its_events():
    span = day_range(date(2026, 11, 22), DENVER)
    events = [ev("redeemed", at(10 + i), entry=i, tx=f"t{i}") for i in range(3)]
    events.append(ev("redeemed", at(10, 5), entry=9, tx="t0"))  # a second discount on sale t0: one visit
    events.append(ev("redeemed", at(11), entry=20, tx="x1", shopper="c-2"))
    report = build_report(span, events)
    flags = [f for f in report.flags if f.kind is FlagKind.REPEAT_SHOPPER]
    assert len(flags) == 1
    assert {e.entry_id for e in flags[0].events} == {0, 1, 2, 9}
    assert "***-***-4567" in flags[0].text and "3 different sales" in flags[0].text
    two = build_report(span, events[:2] + events[3:])
    assert not [f for f in two.flags if f.kind is FlagKind.REPEAT_SHOPPER]


def test_one_cashiers_pin_skip_rate_far_above_the_others_is_flagged():
    span = day_range(date(2026, 11, 22), DENVER)
    sales = [ev("queued", at(10, i), entry=i, tx=f"a{i}") for i in range(4)]
    sales += [ev("queued", at(11, i), entry=10 + i, tx=f"b{i}", cashier=BO) for i in range(4)]
    skips = [ev("pin_skipped", at(12, i), staff=BO, tx="") for i in range(3)]
    skips.append(ev("pin_skipped", at(13), staff=ANA, tx=""))
    flags = [f for f in build_report(span, sales + skips).flags if f.kind is FlagKind.PIN_SKIPS]
    assert len(flags) == 1 and flags[0].text.startswith("Bo skipped")
    assert flags[0].events == tuple(skips[:3])
    alone = build_report(span, [e for e in sales + skips if e.staff == BO])
    assert not alone.flags  # nobody to compare with
    once = build_report(span, sales + skips[:1])
    assert not once.flags  # one skip is not a pattern
    only_bo = [f for f in build_report(span, sales + skips[:3]).flags if f.kind is FlagKind.PIN_SKIPS]
    assert "everyone else: 0 (0%)" in only_bo[0].text  # Ana skipped none


def test_redemptions_outside_opening_hours_are_flagged():
    span = day_range(date(2026, 11, 22), DENVER)
    report = build_report(span, [ev("redeemed", at(7, 59), entry=1), ev("redeemed", at(8), entry=2),
                                 ev("redeemed", at(22, 0), entry=3)])
    flag, = report.flags
    assert flag.kind is FlagKind.OUT_OF_HOURS
    assert [e.entry_id for e in flag.events] == [1, 3]
    assert "08:00-22:00" in flag.text
    night = build_report(span, [ev("redeemed", at(23), entry=1)], hours=OpeningHours(time(16), time(2)))
    assert not night.flags  # a store open past midnight


def test_reconcile_matched_only_here_only_at_aiq():
    a = ev("redeemed", at(10), entry=1, tx="t1")
    b = ev("redeemed", at(11), entry=2, tx="t2")
    c = ev("redeemed", at(12), entry=3, tx="t3")
    theirs = [AiqRedemption("a1", "d1", "c-1", "t1", 100, None),  # by AIQ's id
              AiqRedemption("zz", "d2", "c-1", "t2", 100, None),  # by transaction and discount
              AiqRedemption("yy", "d9", "c-7", "t9", 50, None)]  # another till's
    check = reconcile([a, b, c], theirs)
    assert [m[0] for m in check.matched] == [a, b]
    assert check.only_here == (c,) and [r.id for r in check.only_aiq] == ["yy"]
    assert check.summary() == "AIQ's report: 2 matched, 1 only here, 1 only at AIQ"


def test_the_slip_has_the_receipts_header_and_training_band():
    span = day_range(date(2026, 11, 22), DENVER)
    report = build_report(span, [ev("redeemed", at(10), entry=1)])
    slip = report_slip(report, SlipHeader("Main St", "till-1", at(18), training=True))
    assert slip.lines[0] == TRAINING_LINE and slip.lines[-1] == TRAINING_LINE and slip.training
    assert "Store: Main St" in slip.lines and "Terminal: till-1" in slip.lines and "Date: Nov 22, 2026" in slip.lines
    assert "Ana" in slip.lines and "Total" in slip.lines
    text = report_text(report)
    assert "Ana" in text and "Nothing unusual." in text
