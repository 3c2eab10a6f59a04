"""The shopper's wallet as AIQ sends it, read tolerantly.

AIQ publishes no schema: unknown fields are ignored, missing optional fields are absent, and a
discount we cannot use safely is skipped with a reason instead of failing the whole wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlsplit

from budtender_app.domain.errors import BadResponse
from budtender_app.domain.money import format_money, to_decimal


@dataclass(frozen=True, slots=True)
class Discount:
    """One discount template from the wallet."""

    id: str
    name: str
    redemption_url: str
    points: int
    pos_discount_id: str = ""
    description: str = ""
    dollar_value: Decimal | None = None
    percentage_value: Decimal | None = None
    in_store: bool = True
    available: bool = True
    expires_at: datetime | None = None
    reusable: bool = False

    @property
    def value_text(self) -> str:
        """"$10.00 off", "15% off", or "" when AIQ gave no value."""
        if self.dollar_value:
            return f"{format_money(self.dollar_value)} off"
        if self.percentage_value:
            return f"{self.percentage_value.normalize():f}% off"
        return ""


@dataclass(frozen=True, slots=True)
class Wallet:
    """The ``data`` of view-wallet: balance, and the discounts we could read."""

    contact_id: str
    points: int
    hide_points: bool
    discounts: tuple[Discount, ...]
    #: One line per discount that was skipped, for the cashier ("'X' skipped: no redemption URL").
    problems: tuple[str, ...] = field(default=())


class _Skip(Exception):
    pass


def parse_wallet(data: object) -> Wallet:
    """Build a Wallet from the ``data`` object of E2/E3. Raises BadResponse only when the
    whole answer is unusable; a bad discount is skipped and named in ``problems``."""
    if not isinstance(data, dict):
        raise BadResponse("AIQ sent a wallet we cannot read. Try again.")
    hide_points = data.get("hidePointsInWallet") is True
    points = _int_or_none(data.get("loyaltyPoints"))
    if points is None or points < 0:
        points = 0
    templates = data.get("discountTemplates")
    if templates is None:
        templates = []
    if not isinstance(templates, list):
        raise BadResponse("AIQ sent a wallet we cannot read. Try again.")
    discounts: list[Discount] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(templates):
        try:
            discount = _parse_discount(raw)
        except _Skip as skip:
            label = _label(raw, index)
            problems.append(f"{label} skipped: {skip}")
            continue
        if discount.id in seen:
            problems.append(f"'{discount.name}' skipped: listed twice")
            continue
        seen.add(discount.id)
        discounts.append(discount)
    contact = data.get("contactID")
    return Wallet(
        contact_id=str(contact) if isinstance(contact, (str, int)) and not isinstance(contact, bool) else "",
        points=0 if hide_points else points,
        hide_points=hide_points,
        discounts=tuple(discounts),
        problems=tuple(problems),
    )


def _label(raw: object, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"].strip():
        return f"'{raw['name'].strip()[:60]}'"
    return f"Discount #{index + 1}"


def _int_or_none(value: object) -> int | None:
    number = to_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int)):
        return str(value).strip()
    return ""


def _flag(raw: dict, key: str, default: bool) -> bool:
    value = raw.get(key)
    return value if isinstance(value, bool) else default


def _parse_discount(raw: object) -> Discount:
    if not isinstance(raw, dict):
        raise _Skip("not a discount")
    discount_id = _text(raw, "id")
    if not discount_id:
        raise _Skip("no id")
    name = _text(raw, "name") or _text(raw, "internalName")
    if not name:
        raise _Skip("no name")
    url = raw.get("redemptionURL")
    if not isinstance(url, str) or urlsplit(url.strip()).scheme not in ("http", "https") or not urlsplit(url.strip()).netloc:
        raise _Skip("no usable redemption URL")
    points = 0 if raw.get("pointsDeduction") is None else _int_or_none(raw.get("pointsDeduction"))
    if points is None or points < 0:
        raise _Skip("its points cost is not a whole number")
    dollar = _money_field(raw, "dollarValue")
    percent = _money_field(raw, "percentageValue")
    if percent is not None and percent > 100:
        raise _Skip("its percentage is over 100%")
    if dollar and percent:
        raise _Skip("it has both a dollar and a percentage value")
    return Discount(
        id=discount_id,
        name=name,
        redemption_url=url.strip(),
        points=points,
        pos_discount_id=_text(raw, "posDiscountID"),
        description=_text(raw, "pageTitle") or _text(raw, "desc"),
        dollar_value=dollar or None,
        percentage_value=percent or None,
        in_store=_flag(raw, "inStoreRedemption", True),
        available=_flag(raw, "available", True),
        expires_at=_expiry(raw.get("expiration")),
        reusable=_flag(raw, "reusable", False),
    )


def _money_field(raw: dict, key: str) -> Decimal | None:
    if raw.get(key) is None:
        return None
    value = to_decimal(raw.get(key))
    if value is None or value < 0:
        raise _Skip(f"its {key} is not a number")
    return value


def _expiry(value: object) -> datetime | None:
    seconds = _int_or_none(value)
    if not seconds or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
