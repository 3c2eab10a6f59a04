"""Money is Decimal end to end; rounded to cents only for display."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_CART = Decimal(1000000)

_MONEY_RE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)?(\.\d{0,2})?$")
#: A number with fractions of a cent ("12.345"): said as such, not as "not a number".
_TOO_FINE_RE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)?\.\d{3,}$")


class MoneyError(ValueError):
    """A cart total the cashier typed that is not a sum of money."""


def parse_money(text: str) -> Decimal:
    """Parse a cart total typed by a cashier ("42", "42.5", "$1,234.56").

    At most two decimal places, not negative. Raises MoneyError with a cashier's message.
    """
    cleaned = text.strip()
    if not cleaned:
        raise MoneyError("Enter the cart total.")
    if cleaned.startswith("-"):
        raise MoneyError("The cart total cannot be negative.")
    if _TOO_FINE_RE.match(cleaned):
        raise MoneyError("Two decimals at most: type the cents, like 42.50.")
    match = _MONEY_RE.match(cleaned)
    if not match or not (match.group(1) or (match.group(3) or "").strip(".")):
        raise MoneyError("Type the cart total as a number, like 42.50.")
    digits = cleaned.lstrip("$").strip().replace(",", "")
    try:
        value = Decimal(digits if digits != "." else "0")
    except InvalidOperation as exc:  # pragma: no cover - the regex already refused it
        raise MoneyError("Type the cart total as a number, like 42.50.") from exc
    if value >= MAX_CART:
        raise MoneyError("That cart total is too large; check the amount.")
    return value


#: Longest number text read from AIQ. No real amount or point count comes near it, and text this
#: short keeps Decimal() itself fast.
MAX_NUMBER_TEXT = 40
#: AIQ's numbers are read only below 10**21 in size and to 30 decimal places: beyond that int(),
#: quantize() and formatting are slow (``int(Decimal("1e999999"))`` is quadratic: seconds, then
#: minutes) or fail (format_money needs 28 digits at most). Callers apply tighter bounds of their own.
MAX_ADJUSTED_EXPONENT = 20
MIN_EXPONENT = -30
_INT_LIMIT = 10 ** (MAX_ADJUSTED_EXPONENT + 1)


def to_decimal(value: object) -> Decimal | None:
    """A JSON number or numeric string from AIQ as Decimal; None when it is not a number.

    JSON floats arrive as Python floats: go through ``repr`` so 0.1 stays 0.1. A number too long
    or too large or too fine to be a real amount (see MAX_NUMBER_TEXT, MAX_ADJUSTED_EXPONENT,
    MIN_EXPONENT) is None too, decided before any arithmetic on it.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value) if -_INT_LIMIT < value < _INT_LIMIT else None
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str) and len(value) <= MAX_NUMBER_TEXT:
        text = value.strip()
    else:
        return None
    try:
        result = Decimal(text)
    except InvalidOperation:
        return None
    return result if _within_bounds(result) else None


def _within_bounds(number: Decimal) -> bool:
    # adjusted() and the exponent are read from the representation: no arithmetic, so no cost.
    return (
        number.is_finite()
        and number.adjusted() <= MAX_ADJUSTED_EXPONENT
        and int(number.as_tuple().exponent) >= MIN_EXPONENT
    )


def format_money(value: Decimal) -> str:
    """"$1,234.50": rounded half up to cents, once, here."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def format_points(points: int) -> str:
    """"1,200 points" / "1 point"."""
    return f"{points:,} point" + ("" if points == 1 else "s")
