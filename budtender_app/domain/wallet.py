"""The shopper's wallet as AIQ sends it, read tolerantly and distrustfully.

AIQ publishes no schema: unknown fields are ignored, missing optional fields are absent, and a
discount we cannot use safely is skipped with a reason instead of failing the whole wallet. AIQ
may also be broken or impersonated: every number is bounded before it is converted, every text
is bounded, and a redemption link is offered only when the PUT (which carries the API key) would
go to the store's own AIQ address, on a path no server would rewrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any  # JSON as AIQ sent it: checked field by field below
from urllib.parse import unquote, urlsplit

from budtender_app.domain.errors import BadResponse
from budtender_app.domain.money import MAX_CART, format_money, to_decimal
from budtender_app.domain.origin import same_origin

#: Bounds on what AIQ sends. Real wallets are far inside them; outside, the discount is skipped.
MAX_POINTS = 10**9
MAX_DISCOUNTS = 1000  # the benchmark's big wallet; the screen lists that many within 50 ms
MAX_PROBLEMS = 10
MAX_ID = 100
MAX_NAME = 120
MAX_DESCRIPTION = 500
MAX_URL = 2048
#: Epoch seconds of 3000-01-01: a later "expiry" is a unit mix-up (milliseconds), not a date.
LATEST_EXPIRY = 32_503_680_000

NO_URL = "AIQ sent no usable redemption link"
NOT_AIQ = "its redemption link does not point at this store's AIQ address (tell a manager)"
ODD_URL = "its redemption link has parts that could send it somewhere else (tell a manager)"

# RFC 3986 characters (no "#": a fragment is never sent, so it has no business in the link).
_URI = re.compile(r"[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=%]+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# A "." or ".." segment; ";params" after it too (Tomcat reads "..;x" as "..").
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:[/;]|$)")


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
    #: One line per discount that was skipped, for the cashier ("'X' skipped: <why>").
    problems: tuple[str, ...] = field(default=())


class _Skip(Exception):
    pass


def parse_wallet(data: object, *, base_url: str) -> Wallet:
    """Build a Wallet from the ``data`` object of E2/E3; ``base_url`` is the store's AIQ address.

    Raises BadResponse only when the whole answer is unusable; a bad discount (one whose
    redemption link leaves ``base_url``'s origin among them) is skipped and named in ``problems``.
    """
    if not isinstance(data, dict):
        raise BadResponse("AIQ sent a wallet we cannot read. Try again.")
    hide_points = data.get("hidePointsInWallet") is True
    points = _whole(data.get("loyaltyPoints"), MAX_POINTS)
    templates = data.get("discountTemplates")
    if templates is None:
        templates = []
    if not isinstance(templates, list):
        raise BadResponse("AIQ sent a wallet we cannot read. Try again.")
    discounts, problems = _read_discounts(templates, base_url)
    return Wallet(
        contact_id=_contact_id(data.get("contactID")),
        points=0 if hide_points or points is None else points,
        hide_points=hide_points,
        discounts=tuple(discounts),
        problems=tuple(problems),
    )


def _read_discounts(templates: list[Any], base_url: str) -> tuple[list[Discount], list[str]]:
    discounts: list[Discount] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(templates[:MAX_DISCOUNTS]):
        try:
            discount = _parse_discount(raw, base_url)
        except _Skip as skip:
            problems.append(f"{_label(raw, index)} skipped: {skip}")
            continue
        if discount.id in seen:
            problems.append(f"'{discount.name}' skipped: listed twice")
            continue
        seen.add(discount.id)
        discounts.append(discount)
    if len(problems) > MAX_PROBLEMS:  # a cashier reads a few reasons, not a thousand
        problems[MAX_PROBLEMS:] = [f"{len(problems) - MAX_PROBLEMS} more skipped"]
    if len(templates) > MAX_DISCOUNTS:
        problems.append(f"AIQ sent more than {MAX_DISCOUNTS:,} discounts; the rest are not offered")
    return discounts, problems


def redemption_url_problem(url: object, base_url: str) -> str | None:
    """Why this redemption link from AIQ must not be used, in a cashier's words; None if it may.

    It may when it is an absolute http(s) URL of plain RFC 3986 characters on the same origin as
    ``base_url`` (the PUT carries the API key), with no login or fragment, and a path with no dot
    segment, even percent-encoded: a server may remove those, and the PUT would land elsewhere.
    """
    if not isinstance(url, str) or not url.strip():
        return NO_URL
    text = url.strip()
    if len(text) > MAX_URL or not _URI.fullmatch(text) or _BAD_PERCENT.search(text):
        return ODD_URL
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return NO_URL
    if not same_origin(text, base_url):
        return NOT_AIQ
    if "@" in parts.netloc or not parts.path.strip("/") or _could_move(parts.path):
        return ODD_URL
    return None


def _could_move(path: str) -> bool:
    """A dot segment, even percent-encoded or behind an encoded slash, or a decoded control
    character (C servers stop at NUL). Decoded until nothing changes: a server or proxy may
    decode more than once, and each pass shortens the text, so this ends."""
    if _DOT_SEGMENT.search(path):
        return True
    while "%" in path:  # only percent-encoding can hide one from that search: big wallets stay fast
        decoded = unquote(path)
        if decoded == path:
            return False
        path = decoded.replace("\\", "/")
        if _DOT_SEGMENT.search(path) or not path.isprintable():
            return True
    return False


def _label(raw: object, index: int) -> str:
    name = _clean(raw.get("name"), 60) if isinstance(raw, dict) else ""
    return f"'{name}'" if name else f"Discount #{index + 1}"


def _whole(value: object, high: int) -> int | None:
    """A whole number 0..high, or None. to_decimal bounds the size first, so int() is cheap."""
    number = to_decimal(value)
    if number is None or number != number.to_integral_value() or not 0 <= number <= high:
        return None
    return int(number)


def _clean(value: object, limit: int) -> str:
    """Display text: no control or bidi characters (they could forge lines in the record), bounded."""
    if not isinstance(value, str):
        return ""
    text = value[: limit * 4]
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _key(raw: dict[str, Any], key: str, what: str) -> str:
    """An identifier as AIQ sent it (string or integer), refused rather than altered when odd."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**MAX_ID:
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value.strip()
    if len(text) > MAX_ID or not text.isprintable():
        raise _Skip(f"its {what} cannot be read")
    return text


def _contact_id(value: object) -> str:
    try:
        return _key({"id": value}, "id", "contact")
    except _Skip:
        return ""


def _flag(raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key)
    return value if isinstance(value, bool) else default


def _parse_discount(raw: object, base_url: str) -> Discount:
    if not isinstance(raw, dict):
        raise _Skip("not a discount")
    discount_id = _key(raw, "id", "id")
    if not discount_id:
        raise _Skip("no id")
    name = _clean(raw.get("name"), MAX_NAME) or _clean(raw.get("internalName"), MAX_NAME)
    if not name:
        raise _Skip("no name")
    url_problem = redemption_url_problem(raw.get("redemptionURL"), base_url)
    if url_problem:
        raise _Skip(url_problem)
    dollar, percent = _values(raw)
    return Discount(
        id=discount_id,
        name=name,
        redemption_url=str(raw["redemptionURL"]).strip(),
        points=_points(raw.get("pointsDeduction")),
        pos_discount_id=_key(raw, "posDiscountID", "POS discount ID"),
        description=_clean(raw.get("pageTitle"), MAX_DESCRIPTION) or _clean(raw.get("desc"), MAX_DESCRIPTION),
        dollar_value=dollar or None,
        percentage_value=percent or None,
        in_store=_flag(raw, "inStoreRedemption", True),
        available=_flag(raw, "available", True),
        expires_at=_expiry(raw.get("expiration")),
        reusable=_flag(raw, "reusable", False),
    )


def _points(value: object) -> int:
    # A missing cost would be redeemed and recorded as 0 points: auditors need the real one. An
    # explicit 0 is a free discount, which AIQ can have.
    if value is None:
        raise _Skip("AIQ did not say how many points it costs")
    points = _whole(value, MAX_POINTS)
    if points is None:
        raise _Skip("its points cost is not a whole number of points")
    return points


def _values(raw: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    dollar = _bounded(raw, "dollarValue", MAX_CART, "dollar value")
    percent = _bounded(raw, "percentageValue", Decimal(100), "percentage")
    if dollar and percent:
        raise _Skip("it has both a dollar and a percentage value")
    return dollar, percent


def _bounded(raw: dict[str, Any], key: str, high: Decimal, what: str) -> Decimal | None:
    if raw.get(key) is None:
        return None
    value = to_decimal(raw.get(key))
    if value is None or value < 0:
        raise _Skip(f"its {what} cannot be read")
    if value > high:
        raise _Skip(f"its {what} is over {format_money(high) if high == MAX_CART else '100%'}")
    return value


def _expiry(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    number = to_decimal(value)
    if number is None or not 0 <= number <= LATEST_EXPIRY:
        raise _Skip("its expiry date cannot be read")
    return datetime.fromtimestamp(int(number), tz=UTC) if number else None
