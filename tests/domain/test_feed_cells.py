"""The cells of a POS export: every parser either gives AIQ's value or a reason, never a guess."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain import feed_cells as cells

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


@given(st.decimals(min_value=0, max_value=999_999, places=2, allow_nan=False, allow_infinity=False))
def test_money_written_plainly_or_with_dollars_and_commas_reads_back(value):
    assert cells.parse_amount(f"{value:.2f}") == value
    assert cells.parse_amount(f"${value:,.2f}") == value


@given(st.text(max_size=30))
def test_any_text_is_money_or_a_reason(text):
    try:
        value = cells.parse_amount(text, signed=True)
    except cells.CellError:
        return
    assert value == value.quantize(Decimal("0.01")) and abs(value) < cells.MAX_AMOUNT


@pytest.mark.parametrize("text", ["12,5", "1.234", "12.50.1", "abc", "", "1e3", "--1", "12 50", "NaN", "$"])
def test_a_total_that_is_not_money_is_refused(text):
    with pytest.raises(cells.CellError, match="not money"):
        cells.parse_amount(text)


def test_negative_money_only_where_a_refund_may_be():
    assert cells.parse_amount("-20.00", signed=True) == Decimal("-20.00")
    with pytest.raises(cells.CellError, match="negative"):
        cells.parse_amount("-20.00")


@given(st.text(max_size=30))
def test_any_text_is_a_quantity_or_a_reason(text):
    try:
        value = cells.parse_quantity(text, signed=True, nonzero=True)
    except cells.CellError:
        return
    assert value != 0 and value.is_finite()


@given(st.integers(min_value=200, max_value=999), st.integers(0, 999), st.integers(0, 9999),
       st.sampled_from(["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}"]))
def test_phones_as_people_write_them_become_ten_digits(area, exchange, line, form):
    text = form.format(a=area, b=f"{exchange:03d}", c=f"{line:04d}")
    assert cells.parse_phone_cell(text) == f"{area}{exchange:03d}{line:04d}"


@given(st.text(max_size=20))
def test_a_phone_cell_is_ten_digits_empty_or_refused(text):
    try:
        digits = cells.parse_phone_cell(text)
    except cells.CellError:
        return
    assert digits == "" or (len(digits) == 10 and digits.isdigit())


@given(st.dates(min_value=date(1900, 1, 1), max_value=NOW.date()))
def test_days_in_either_form_read_back(day):
    assert cells.parse_day(day.isoformat(), today=NOW.date()) == day
    assert cells.parse_day(day.strftime("%m/%d/%Y"), today=NOW.date()) == day


@pytest.mark.parametrize("text", ["1985-02-30", "13/01/1985", "16.05.1985", "May 16", "", "2027-01-01"])
def test_a_bad_or_future_day_is_refused(text):
    with pytest.raises(cells.CellError):
        cells.parse_day(text, today=NOW.date())


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 12, 1)))  # noqa: DTZ001 - local times, as a POS writes them
def test_a_local_sale_time_is_the_stores_zone_and_goes_out_in_utc(moment):
    moment = moment.replace(microsecond=0)
    read = cells.parse_moment(moment.strftime("%Y-%m-%d %H:%M:%S"), zone=EST, now=NOW)
    assert read == moment.replace(tzinfo=EST)
    assert cells.aiq_time(read) == (moment + timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S +0000")


def test_sale_times_with_an_offset_keep_it():
    assert cells.parse_moment("2026-12-01 10:00:00 +0000", zone=EST, now=NOW) == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert cells.parse_moment("2026-12-01T10:00:00Z", zone=EST, now=NOW) == datetime(2026, 12, 1, 10, tzinfo=UTC)
    for bad in ("2026-12-03 10:00:00", "yesterday", "2026-13-01 10:00", "1999-01-01 10:00"):
        with pytest.raises(cells.CellError):
            cells.parse_moment(bad, zone=EST, now=NOW)


@given(st.text(max_size=12))
def test_a_flag_is_yes_no_or_refused(text):
    try:
        cells.parse_flag(text)
    except cells.CellError:
        assert text.strip().lower() not in {"yes", "no", "true", "false", "1", "0", "y", "n", "t", "f", ""}


def test_json_numbers_of_money_are_exact_to_the_cent():
    assert cells.as_json_number(Decimal("40.00")) == 40
    assert cells.as_json_number(Decimal("12.50")) == 12.5


@given(st.one_of(st.text(max_size=40), st.builds(
    lambda a, ch, b: f"{a}{ch}{b}@shop.example", st.text("abc.", min_size=1, max_size=4),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), st.text("xyz", max_size=3))))
def test_an_email_aiq_gets_has_no_control_character(text):
    # "[^@\s]+" let C0/C1 control characters through ("a\x88@b.example"): AIQ would keep an address
    # no one can write to, or show.
    try:
        email = cells.parse_email(text)
    except cells.CellError:
        return
    assert email == "" or email.isprintable()
