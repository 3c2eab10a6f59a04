"""A store profile as a manager types it in the settings screen, and the rules it must follow.

Pure Python. The API key is not part of a profile: it lives only in the OS keyring, under the
profile's name (services/credentials.py). Every message here speaks to a store manager and
says where in AIQ to look.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from budtender_app.domain.receipt import check_qr_url
from budtender_app.domain.transaction_pattern import check_pattern

DEFAULT_BASE_URL = "https://lab.alpineiq.com"
#: Countries AIQ's counter signup supports; the consent wording differs between them.
COUNTRIES = {"US": "United States", "CA": "Canada"}
MAX_NAME = 40
MAX_BRAND = 60
MAX_AIQ_ID = 20
#: Plain http is allowed only to this computer (the simulator, a local proxy): a key sent in
#: clear over a network is a key given away.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Besides letters, digits and spaces. The name is the keyring username ("<name>:api-key"):
#: a colon would blur that, and control or odd characters break some keyrings' search.
NAME_PUNCTUATION = frozenset("-_.'&#()")
#: How long the counter waits with nobody using it before it locks for the next sign-in (issue 13).
#: 1 to 60 minutes and no "never": a counter that never locks puts the last cashier's name on
#: whatever anyone does at it, which is what sign-in is for; a store that wants less asking sets 60.
DEFAULT_IDLE_MINUTES, MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 10, 1, 60
FIELDS = ("name", "store_id", "uid", "base_url", "brand", "country", "skip_pin", "signup_url", "wallet_url",
          "idle_minutes", "transaction_pattern", "send_sales")
#: Yes/no fields: the file holds true or false, the form a check box.
FLAGS = ("skip_pin", "send_sales")

_WHERE_UID = "the AIQ dashboard under Settings > API & Tracking"
_WHERE_STORE = "the AIQ dashboard under Settings > Retail Stores"


@dataclass(frozen=True, slots=True)
class StoreProfile:
    """One retail store's AIQ settings, everything but the API key. Build it with validate_profile."""

    name: str
    store_id: str
    uid: str
    base_url: str = DEFAULT_BASE_URL
    brand: str = ""
    country: str = "US"
    skip_pin: bool = False
    #: Printed as QR codes on receipts: sign-up for non-members, the wallet for members ("" = none).
    signup_url: str = ""
    wallet_url: str = ""
    #: Minutes with no key or click before the counter locks (check_idle_minutes says the bounds).
    idle_minutes: int = DEFAULT_IDLE_MINUTES

    @property
    def idle_seconds(self) -> int:
        """The idle time as the staff session counts it."""
        return self.idle_minutes * 60
    #: What the store's POS transaction IDs look like (domain/transaction_pattern.py); "" = any.
    transaction_pattern: str = ""
    #: The store's POS sends AIQ no sales, so this terminal sends each checkout's (issue 16). Off
    #: by default: where the POS reports sales too, every point would count twice.
    send_sales: bool = False

    def as_fields(self) -> dict[str, str | bool]:
        """The profile as the settings form shows it (the inverse of validate_profile)."""
        fields: dict[str, str | bool] = {field: getattr(self, field) for field in FIELDS}
        fields["idle_minutes"] = str(self.idle_minutes)  # as typed: the form's text
        return fields


def change_note(before: StoreProfile | None, after: StoreProfile, *, key_replaced: bool) -> str:
    """The audit trail's words for a saved store profile: which fields changed, by name (never a
    value: the form's values stay in the settings file, the API key never leaves the keyring)."""
    if before is None:
        return f"store {after.name!r} added" + ("; API key stored" if key_replaced else "")
    changed = [f for f in FIELDS if getattr(before, f) != getattr(after, f)] + (["api_key"] if key_replaced else [])
    return f"store {after.name!r}: " + (", ".join(changed) + " changed" if changed else "saved unchanged")


def same_name(a: str, b: str) -> bool:
    """Two store names that would clash: Windows' credential store ignores case, so do we."""
    return a.strip().casefold() == b.strip().casefold()


def validate_profile(
    fields: Mapping[str, str | bool], *, other_names: Iterable[str] = ()
) -> tuple[StoreProfile | None, dict[str, str]]:
    """The profile the fields describe, or None and one message per wrong field.

    ``fields`` holds the form's text (keys as in FIELDS; missing keys count as empty, an empty
    base URL means AIQ's default). ``other_names`` are the terminal's other profiles: a name
    that clashes with one of them is refused.
    """
    checks: dict[str, Callable[[str], str]] = {
        "name": lambda v: check_store_name(v, other_names),
        "store_id": lambda v: _check_aiq_id(v, "store ID", _WHERE_STORE),
        "uid": lambda v: _check_aiq_id(v, "UID", _WHERE_UID),
        "base_url": check_base_url,
        "brand": check_brand,
        "country": check_country,
        "signup_url": lambda v: check_qr_url(v, "loyalty sign-up link"),
        "wallet_url": lambda v: check_qr_url(v, "wallet link"),
        "transaction_pattern": check_pattern,
    }
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, check in checks.items():
        try:
            values[field] = check(_text(fields.get(field, "")))
        except ValueError as exc:
            errors[field] = str(exc)
    try:
        idle = check_idle_minutes(fields.get("idle_minutes", ""))
    except ValueError as exc:
        errors["idle_minutes"] = str(exc)
    if errors:
        return None, errors
    return StoreProfile(**values, skip_pin=_flag(fields.get("skip_pin", False)), idle_minutes=idle,
                        send_sales=_flag(fields.get("send_sales", False))), {}


def check_idle_minutes(value: object) -> int:
    """Whole minutes from 1 to 60 (typed text or the file's number); empty: the usual 10."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        text = _text(value).strip()
        if not text:
            return DEFAULT_IDLE_MINUTES
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"Type the minutes before the counter locks as a whole number, from "
                             f"{MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} ({DEFAULT_IDLE_MINUTES} is usual).")
        minutes = int(text)
    if not MIN_IDLE_MINUTES <= minutes <= MAX_IDLE_MINUTES:
        raise ValueError(f"The counter locks after {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes with nobody "
                         f"using it ({DEFAULT_IDLE_MINUTES} is usual); it cannot wait longer, nor never lock: "
                         "then the last cashier's name would go on whatever anyone does.")
    return minutes


def check_store_name(text: str, other_names: Iterable[str] = ()) -> str:
    """The store's display name, also its key in the keyring. ValueError says what is wrong."""
    name = " ".join(text.split())  # a double space pasted in would make two look-alike stores
    if not name:
        raise ValueError("Give this store a name, like Main St.")
    if len(name) > MAX_NAME:
        raise ValueError(f"Keep the store name to {MAX_NAME} characters.")
    bad = sorted({ch for ch in name if not (ch.isalnum() or ch == " " or ch in NAME_PUNCTUATION)})
    if bad:
        shown = " ".join(_visible(ch) for ch in bad)
        raise ValueError(f"The store name can hold letters, digits, spaces and - _ . ' & # ( ), not {shown}")
    if any(same_name(name, other) for other in other_names):
        raise ValueError(f"This terminal already has a store named {name}. Pick another name.")
    return name


def check_base_url(text: str) -> str:
    """AIQ's address: https (plain http only to this computer), no login, query or fragment."""
    url = text.strip()
    if not url:
        return DEFAULT_BASE_URL
    if any(ch.isspace() for ch in url):
        raise ValueError("The base URL cannot contain spaces.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"Type the whole address, starting with https:// (AIQ's is {DEFAULT_BASE_URL}).")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("Leave the login out of the base URL: the API key is sent separately.")
    if "?" in url or "#" in url:
        raise ValueError("The base URL ends at the address: remove everything from ? or #.")
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise ValueError("The port after : in the base URL is not a number from 1 to 65535.") from None
    if not host or port == 0:
        raise ValueError(f"Type the whole address, starting with https:// (AIQ's is {DEFAULT_BASE_URL}).")
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise ValueError("The base URL must start with https://, so the API key travels encrypted.")
    netloc = parts.netloc.lower()
    return f"{scheme}://{netloc}{parts.path}".rstrip("/")


def check_brand(text: str) -> str:
    """The brand shoppers know, as the signup consent text names it."""
    brand = " ".join(text.split())
    if not brand:
        raise ValueError("Type the brand name shoppers know; the signup consent text names it.")
    if len(brand) > MAX_BRAND:
        raise ValueError(f"Keep the brand name to {MAX_BRAND} characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in brand):
        raise ValueError("The brand name has an invisible character in it. Type it again.")
    return brand


def check_country(text: str) -> str:
    """US or CA: AIQ's counter signup wording differs between them."""
    code = text.strip().upper()
    if code not in COUNTRIES:
        raise ValueError("Choose the store's country: United States or Canada.")
    return code


def _check_aiq_id(text: str, what: str, where: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError(f"The AIQ {what} is missing. You find it in {where}.")
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"The AIQ {what} is a number, digits only. Copy it from {where}.")
    if len(value) > MAX_AIQ_ID:
        raise ValueError(f"That AIQ {what} is too long for one. Copy it again from {where}.")
    return value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value is True


def _visible(ch: str) -> str:
    return ch if ch.isprintable() else f"U+{ord(ch):04X}"
