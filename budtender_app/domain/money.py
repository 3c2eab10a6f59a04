"""Money is Decimal end to end; rounded to cents only for display."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_CART = Decimal("1000000")

_MONEY_RE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)?(\.\d{0,2})?$")


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


def to_decimal(value: object) -> Decimal | None:
    """A JSON number or numeric string from AIQ as Decimal; None when it is not a number.

    JSON floats arrive as Python floats: go through ``repr`` so 0.1 stays 0.1.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, (float, str)):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return None


def format_money(value: Decimal) -> str:
    """"$1,234.50": rounded half up to cents, once, here."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def format_points(points: int) -> str:
    """"1,200 points" / "1 point"."""
    return f"{points:,} point" + ("" if points == 1 else "s")
