"""One cell of a POS export read as what AIQ's feeds want: money, quantities, dates, phones, flags.

Pure. Each parser returns the value or raises CellError with the reason a manager reads next to
the line number ("not money: '12,5'"). A cell is never guessed at: "12,5" is not 12.5, "05/06"
is not a date, and a phone that AIQ would store blank is refused (AIQ-API.md: an invalid phone
is silently stored blank). Money is Decimal; it becomes a JSON number only in the body AIQ gets.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation

from budtender_app.domain.phone import PhoneError, parse_phone
from budtender_app.domain.redact import redact

#: The longest cell we read as a number: no price or quantity comes near it.
_MAX_NUMBER = 24
_MONEY = re.compile(r"-?\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?|-?\$?\.\d{1,2}")
_NUMBER = re.compile(r"-?(\d+(\.\d+)?|\.\d+)")
_EPOCH = re.compile(r"\d{9,11}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: Largest amount accepted in one cell: a typo (a barcode in the price column) is refused.
MAX_AMOUNT = Decimal(1_000_000)
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f", ""})
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_AWARE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


class CellError(ValueError):
    """A cell that is not what its column needs; the message is the reason for a manager."""


def shown(text: str) -> str:
    """A cell quoted in a reason: short, and through the app's one redactor (a phone or e-mail in the
    wrong column must not show whole in a window or a log)."""
    return repr(redact(text if len(text) <= 30 else text[:27] + "...", limit=40))


def parse_amount(text: str, *, signed: bool = False) -> Decimal:
    """Money: "12", "12.5", "$1,234.56" (and "-3.00" when ``signed``). At most two decimals."""
    cleaned = text.strip()
    if len(cleaned) > _MAX_NUMBER or not _MONEY.fullmatch(cleaned):
        raise CellError(f"not money: {shown(cleaned)} (write it like 12.50)")
    value = Decimal(cleaned.replace("$", "").replace(",", ""))
    if value < 0 and not signed:
        raise CellError(f"cannot be negative: {shown(cleaned)}")
    if abs(value) >= MAX_AMOUNT:
        raise CellError(f"too large to be an amount: {shown(cleaned)}")
    return value


def parse_quantity(text: str, *, signed: bool = False, nonzero: bool = False) -> Decimal:
    """A count or weight: "2", "3.5" ("-1" when ``signed``: a refunded line)."""
    cleaned = text.strip()
    if len(cleaned) > _MAX_NUMBER or not _NUMBER.fullmatch(cleaned):
        raise CellError(f"not a number: {shown(cleaned)}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern refused it
        raise CellError(f"not a number: {shown(cleaned)}") from None
    if value < 0 and not signed:
        raise CellError(f"cannot be negative: {shown(cleaned)}")
    if nonzero and value == 0:
        raise CellError("a quantity of 0 sells nothing")
    if abs(value) >= MAX_AMOUNT:
        raise CellError(f"too large: {shown(cleaned)}")
    return value


def parse_phone_cell(text: str) -> str:
    """The 10 digits AIQ wants, by the app's one phone parser; "" for an empty cell."""
    if not text.strip():
        return ""
    try:
        return parse_phone(text).digits
    except PhoneError as exc:
        raise CellError(f"bad phone ({exc})") from None


def parse_email(text: str) -> str:
    """An e-mail address, lower-cased; "" for an empty cell."""
    cleaned = text.strip()
    if not cleaned:
        return ""
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned) or not cleaned.isprintable():  # no control character
        raise CellError("not an e-mail address")
    return cleaned.lower()


def parse_flag(text: str) -> bool:
    """yes/no, true/false, 1/0, y/n (an empty cell is no)."""
    cleaned = text.strip().lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise CellError(f"not yes or no: {shown(text.strip())}")


def parse_day(text: str, *, today: date) -> date:
    """A day written YYYY-MM-DD or MM/DD/YYYY (US exports), not after ``today``."""
    cleaned = text.strip()
    iso, us = _ISO_DAY.fullmatch(cleaned), _US_DAY.fullmatch(cleaned)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif us:
            day = date(int(us[3]), int(us[1]), int(us[2]))
        else:
            raise ValueError(cleaned)
    except ValueError:
        raise CellError(f"bad date: {shown(cleaned)} (write it YYYY-MM-DD or MM/DD/YYYY)") from None
    if day > today:
        raise CellError(f"a date in the future: {shown(cleaned)}")
    if day.year < 1900:
        raise CellError(f"a date too long ago: {shown(cleaned)}")
    return day


def parse_moment(text: str, *, zone: tzinfo, now: datetime) -> datetime:
    """A sale's time in UTC. Without an offset it is the store's local time (``zone``). Not
    after ``now`` (aware), nor before 2000."""
    cleaned = text.strip()
    if _EPOCH.fullmatch(cleaned):
        moment = datetime.fromtimestamp(int(cleaned), UTC)
    else:
        moment = _strptime(cleaned, zone)
    if moment > now:
        raise CellError(f"a time in the future: {shown(cleaned)}")
    if moment.year < 2000:
        raise CellError(f"a time too long ago: {shown(cleaned)}")
    return moment.astimezone(UTC)


def _strptime(cleaned: str, zone: tzinfo) -> datetime:
    normal = cleaned[:-1] + "+0000" if cleaned.endswith("Z") else cleaned
    for form in _AWARE_FORMATS:
        try:
            return datetime.strptime(normal, form)  # noqa: DTZ007 - every _AWARE_FORMATS ends in %z
        except ValueError:
            continue
    for form in _LOCAL_FORMATS:
        try:
            return datetime.strptime(normal, form).replace(tzinfo=zone)  # the store's own time
        except ValueError:
            continue
    raise CellError(f"bad date and time: {shown(cleaned)} (write it like 2026-12-01 14:03:00)")


def parse_epoch(text: str, *, zone: tzinfo, now: datetime) -> int:
    """Epoch seconds (AIQ's ``dateUpdated``/``dateAdded``) from seconds or a date and time."""
    cleaned = text.strip()
    try:
        return int(parse_moment(cleaned, zone=zone, now=now).timestamp())
    except CellError:
        try:
            day = parse_day(cleaned, today=now.date())
        except CellError:
            raise CellError(f"bad date: {shown(cleaned)}") from None
        return int(datetime.combine(day, time(), zone).timestamp())


def aiq_time(moment: datetime) -> str:
    """A moment as AIQ's sales feed writes it: "2014-04-20 04:03:53 +0000"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def as_json_number(value: Decimal) -> int | Decimal:
    """A Decimal as the JSON number AIQ's body carries: whole numbers as int, the rest as Decimal
    (written with its own digits by domain/json_wire.py: never through a float)."""
    return int(value) if value == value.to_integral_value() else value
