from decimal import Decimal

import pytest

from budtender_app.domain.money import MoneyError, format_money, parse_money, to_decimal
from budtender_app.domain.phone import PhoneError, parse_phone
from budtender_app.domain.pin import PinError, parse_pin


@pytest.mark.parametrize(
    "typed",
    ["(555) 123-4567", "555.123.4567", "+1 555 123 4567", "1-555-123-4567", "5551234567", " 555 123 4567 "],
)
def test_phones_as_people_type_them_become_the_ten_digits_aiq_wants(typed):
    assert parse_phone(typed).digits == "5551234567"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Type the shopper's phone"),
        ("555-1234", "10 digits; that has 7"),
        ("555 123 45678", "that has 11"),
        ("+44 20 7946 0958", "Only US and Canada"),
        ("(055) 123-4567", "area code"),
        ("call me", "not a phone number"),
        ("1-800-FLOWERS", "only digits"),
        ("555-123-4567 x12", "extension"),
        ("12", "that has 2"),
        ("5", "not a phone number"),
    ],
)
def test_malformed_phones_are_refused_with_words_for_the_cashier(typed, says):
    with pytest.raises(PhoneError, match=says):
        parse_phone(typed)


def test_a_phone_never_shows_in_full_in_str_or_repr():
    phone = parse_phone("5551234567")
    assert "5551234567" not in f"{phone} {phone!r}"
    assert phone.masked == "***-***-4567"


@pytest.mark.parametrize("typed", ["1234", " 0007 "])
def test_pins_are_four_digits(typed):
    assert parse_pin(typed) == typed.strip()


@pytest.mark.parametrize("typed", ["", "123", "12345", "12a4", "１２３４", "12 4"])
def test_other_pins_are_refused_without_repeating_them(typed):
    with pytest.raises(PinError) as info:
        parse_pin(typed)
    assert typed.strip() == "" or typed.strip() not in str(info.value)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("42", "42"), ("42.5", "42.5"), ("$1,234.56", "1234.56"), ("0", "0"), (".99", "0.99"), ("10.", "10")],
)
def test_cart_totals_are_decimals(typed, value):
    assert parse_money(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "says"),
    [("", "Enter the cart total"), ("-5", "negative"), ("4.999", "like 42.50"), ("abc", "like 42.50"),
     ("1e3", "like 42.50"), ("12,34", "like 42.50"), ("9999999", "too large"), (".", "like 42.50")],
)
def test_bad_cart_totals_are_refused(typed, says):
    with pytest.raises(MoneyError, match=says):
        parse_money(typed)


def test_money_is_rounded_once_at_display():
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("0.005")) == "$0.01"


@pytest.mark.parametrize(
    ("raw", "value"),
    [(10, Decimal(10)), (0.1, Decimal("0.1")), ("7.5", Decimal("7.5")), (True, None), ("x", None),
     (None, None), ("NaN", None), ([], None)],
)
def test_numbers_from_aiq_become_decimal_or_nothing(raw, value):
    assert to_decimal(raw) == value
