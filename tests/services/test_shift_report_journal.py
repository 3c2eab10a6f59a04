"""The shift report read from a real journal written by several staff, its CSV, and E11 over HTTP."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.phone import parse_phone
from budtender_app.domain.shift_flags import FlagKind
from budtender_app.domain.shift_report import day_range
from budtender_app.services import shift_report
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.services.journal.export import TRAINING_TITLE
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.helpers import make_journal
from tests.helpers.shift_journal import (
    ANA,
    BO,
    MAX,
    MovableClock,
    discount,
    redeem,
    refund,
    sign_in,
    sign_out,
    skip_pin,
)

DENVER = ZoneInfo("America/Denver")
DAY = date(2026, 11, 22)


def local(hour: int, minute: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=DENVER)


@pytest.fixture
def clock():
    return MovableClock(local(9))


@pytest.fixture
def day_journal(tmp_path, clock):
    with make_journal(tmp_path, clock=clock) as journal:
        ana = redeem(journal, clock, local(10), "t1", [discount(1, dollars="5"), discount(2, dollars="10")], staff=ANA)
        redeem(journal, clock, local(11), "t2", [discount(3, dollars=None, percent="15", points=250)], staff=BO,
               shopper="***-***-9999", contact="c-9")
        redeem(journal, clock, local(12), "t3", [discount(4)], staff=BO, outcome="rejected")
        redeem(journal, clock, local(13), "t4", [discount(5)], staff=ANA, outcome="unknown")
        skip_pin(journal, clock, local(14), staff=BO)
        refund(journal, clock, local(15), ana[0])
        redeem(journal, clock, local(23, 30), "late", [discount(6)], staff=ANA)  # after hours, same local day
        redeem(journal, clock, local(0, 30, day=23), "tomorrow", [discount(7)], staff=ANA)
        yield journal


def test_figures_from_the_journal_per_staff_member(day_journal):
    report = shift_report.make_report(day_journal.path, day_range(DAY, DENVER), store="test")
    people = {f.staff.name: f for f in report.staff}
    assert set(people) == {ANA.name, BO.name, MAX.name}
    ana, bo, boss = people[ANA.name], people[BO.name], people[MAX.name]
    assert (ana.redemptions, ana.points, ana.dollars, ana.unknown) == (3, 300, Decimal(20), 1)
    assert (bo.redemptions, bo.points, bo.dollars, bo.no_fixed_value) == (1, 250, Decimal(0), 1)
    assert (bo.refused, bo.pin_skips) == (1, 1)
    assert (boss.refunds, boss.refund_points) == (1, 100)
    assert report.total.redemptions == 4  # "tomorrow" is the next local day
    out, = [f for f in report.flags if f.kind is FlagKind.OUT_OF_HOURS]
    assert [e.transaction_id for e in out.events] == ["late"]


def test_other_stores_in_the_same_journal_are_left_out(day_journal):
    report = shift_report.make_report(day_journal.path, day_range(DAY, DENVER), store="another store")
    assert report.total.redemptions == 0 and not report.staff


def test_sign_ups_from_the_consent_record_count_for_who_took_the_consent(tmp_path, day_journal, clock):
    consents = ConsentLog(tmp_path / "consents.sqlite3", clock=clock)
    clock.at(local(16))
    where = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")
    row = consents.record_consent("I agree", where=where, phone=parse_phone(DEMO_PHONE), sms_opt_in=True,
                                  email_opt_in=False, email_given=False, staff=ANA)
    consents.record_sign_up(row, "c-new")
    consents.record_consent("I agree", where=where, phone=parse_phone(DEMO_PHONE), sms_opt_in=True,
                            email_opt_in=False, email_given=False, staff=BO)  # never confirmed by AIQ: not a sign-up
    consents.close()
    report = shift_report.make_report(day_journal.path, day_range(DAY, DENVER), store="test",
                                      consents=tmp_path / "consents.sqlite3")
    assert report.total.sign_ups == 1
    assert {f.staff.name: f.sign_ups for f in report.staff if f.sign_ups} == {ANA.name: 1}
    assert not any("total only" in note for note in report.notes)


def test_the_csv_is_spreadsheet_safe_and_never_replaces_a_file(tmp_path, clock):
    with make_journal(tmp_path, clock=clock) as journal:
        redeem(journal, clock, local(10), "=HYPERLINK(1)", [discount(1)], staff=ANA)
        redeem(journal, clock, local(11), "t2", [discount(2)], staff=ANA)
        redeem(journal, clock, local(12), "t3", [discount(3)], staff=ANA)
        report = shift_report.make_report(journal.path, day_range(DAY, DENVER), store="test")
    target = tmp_path / "report.csv"
    shift_report.write_csv(report, target, training=True)
    rows = list(csv.reader(target.open(encoding="utf-8", newline="")))
    assert rows[0] == [TRAINING_TITLE]
    assert rows[2][:4] == ["Staff", "Redeemed", "Points", "Dollars"]
    assert rows[3][:4] == [ANA.name, "3", "300", "$15.00"]
    flag = next(r for r in rows if r[:2] == ["flag", "repeat_shopper"])
    assert flag[3].count("#") == 3
    assert not any(cell.startswith("=") for row in rows for cell in row)
    before = target.read_bytes()
    with pytest.raises(shift_report.ReportFileExists):
        shift_report.write_csv(report, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report")) == []


@pytest.fixture
def pin_server():
    with SimulatorServer(Simulator(pin_source=lambda: "2468")) as srv:
        yield srv


@pytest.mark.asyncio
async def test_the_e11_check_against_the_simulator_over_http(tmp_path, pin_server):
    """A real redemption on the simulator, one journaled but never taken, one at AIQ only."""
    now = datetime.now(DENVER)
    clock = MovableClock(now)

    async def run():
        async with httpx.AsyncClient(timeout=10) as http:
            client = AiqClient(http, AiqConfig(pin_server.url, DEMO_API_KEY, DEMO_UID))
            await client.verify_wallet(parse_phone(DEMO_PHONE))
            wallet = await client.view_wallet(parse_phone(DEMO_PHONE), "2468")
            first, second = wallet.discounts[0], wallet.discounts[1]
            with make_journal(tmp_path, clock=clock) as journal:
                row, = journal.queue("sale-1", [first], shopper_masked="***-***-1234", contact_id=wallet.contact_id,
                                     staff=ANA)
                journal.mark_sending(row.id)
                journal.mark_redeemed(row.id, await client.redeem(first.redemption_url, "sale-1"))
                ghost, = journal.queue("sale-2", [second], shopper_masked="***-***-1234",
                                       contact_id=wallet.contact_id, staff=BO)
                journal.mark_sending(ghost.id)
                journal.mark_redeemed(ghost.id, "")  # journaled as taken, AIQ never saw it
                await client.redeem(second.redemption_url, "other-till")  # AIQ only
                report = shift_report.make_report(journal.path, day_range(now.date(), DENVER), store="test")
            return await shift_report.check_with_aiq(client, report)

    check = await run()
    assert [m[0].transaction_id for m in check.matched] == ["sale-1"]
    assert [e.transaction_id for e in check.only_here] == ["sale-2"]
    assert [r.transaction_id for r in check.only_aiq] == ["other-till"]


def test_reading_streams_row_by_row(day_journal):
    events = shift_report.read_events(day_journal.path, day_range(DAY, DENVER), "test")
    first = next(events)
    assert first.event == "queued" and first.cashier == ANA
    events.close()
    assert day_range(DAY, DENVER).end - day_range(DAY, DENVER).start == timedelta(hours=24)


@pytest.fixture
def shift_journal(tmp_path, day_journal, clock):
    """The day above, with who was signed in: Ana 09:30-10:30 (switched), Bo from 10:45 with no
    sign-out (ends at Ana's next sign-in, 12:45), Ana 12:45-16:00 (idle)."""
    sign_in(day_journal, clock, local(9, 30), ANA)
    sign_out(day_journal, clock, local(10, 30), ANA)
    sign_in(day_journal, clock, local(10, 45), BO)
    sign_in(day_journal, clock, local(12, 45), ANA)
    sign_out(day_journal, clock, local(16), ANA, "idle")
    consents = ConsentLog(tmp_path / "consents.sqlite3", clock=clock)
    where = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")
    for when, who in ((local(13, 30), ANA), (local(11), BO)):
        clock.at(when)
        row = consents.record_consent("I agree", where=where, phone=parse_phone(DEMO_PHONE), sms_opt_in=True,
                                      email_opt_in=False, email_given=False, staff=who)
        consents.record_sign_up(row, f"c-{who.staff_id}")
    consents.close()
    return day_journal


def test_the_shifts_of_a_day_are_listed_in_the_order_they_began(shift_journal):
    shifts = shift_report.list_shifts(shift_journal.path, day_range(DAY, DENVER), store="test")
    assert [s.label(DENVER) for s in shifts] == [
        f"1. {ANA.name}, 09:30–10:30 (switched)", f"2. {BO.name}, 10:45–12:45 (next sign-in)",
        f"3. {ANA.name}, 12:45–16:00 (idle)"]
    assert shift_report.list_shifts(shift_journal.path, day_range(DAY, DENVER), store="another") == []


def test_a_shifts_report_counts_only_that_persons_events_in_its_hours(tmp_path, shift_journal):
    shifts = shift_report.list_shifts(shift_journal.path, day_range(DAY, DENVER), store="test")

    def figures(shift):
        report = shift_report.make_report(shift_journal.path, shift.span(DENVER), store="test", shift=shift,
                                          consents=tmp_path / "consents.sqlite3")
        assert [f.staff for f in report.staff] == [shift.staff]  # nobody else's events
        return report, report.total

    report, first = figures(shifts[0])
    assert (first.redemptions, first.points, first.dollars) == (2, 200, Decimal(15))
    assert report.span.title == f"2026-11-22: Shift of {ANA.name}, 09:30–10:30"
    assert any("Only Ana Cashier's events" in note for note in report.notes)
    _, bo = figures(shifts[1])
    assert (bo.redemptions, bo.no_fixed_value, bo.refused, bo.sign_ups, bo.pin_skips) == (1, 1, 1, 1, 0)
    _, third = figures(shifts[2])
    assert (third.redemptions, third.unknown, third.sign_ups, third.refunds) == (0, 1, 1, 0)  # Max's refund is his


def test_a_shifts_csv_says_which_shift(tmp_path, shift_journal):
    shift = shift_report.list_shifts(shift_journal.path, day_range(DAY, DENVER), store="test")[1]
    report = shift_report.make_report(shift_journal.path, shift.span(DENVER), store="test", shift=shift)
    shift_report.write_csv(report, tmp_path / "shift.csv")
    rows = list(csv.reader((tmp_path / "shift.csv").open(encoding="utf-8", newline="")))
    assert rows[0][:2] == ["Shift report", f"2026-11-22: Shift of {BO.name}, 10:45–12:45"]
