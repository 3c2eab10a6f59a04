"""Signing a shopper up at the counter: AIQ's consent text, and the sign-up form's rules.

Pure Python. The consent wording is AIQ's own (AIQ-API.md, rule 7), word for word; only the
brand and, in Canada, "club program" for "rewards program" change. The hash of the exact text
shown is what the local consent record keeps, so a changed wording is a different consent.

Everything here is checked before anything is sent: AIQ silently stores a bad phone as blank.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from budtender_app.domain.loyalty import SignUp
from budtender_app.domain.phone import Phone, PhoneError, parse_phone

#: AIQ's counter sign-up consent, verbatim, "details/ engagement" space included.
CONSENT_TEMPLATE = (
    "I consent to signup for the {brand} {program} where I will receive marketing "
    "communications. By doing so, I understand that I am allowing {brand} and its technology "
    "provider(s) to retain my personal contact details/ engagement history for use in personalized "
    "marketing. Opt out at any time by replying \"STOP\" to messages. Standard message and calling "
    "rates may apply."
)
PROGRAM_WORDS = {"US": "rewards program", "CA": "club program"}
#: The language the consent was shown in, per country (AIQ gives the English text only).
CONSENT_LANGUAGE = {"US": "en-US", "CA": "en-CA"}

MAX_PERSON_NAME = 40
MAX_EMAIL = 254  # RFC 5321's limit on a whole address
FORM_FIELDS = ("phone", "email", "first_name", "last_name")

#: One @, something before it, a dotted domain of letters, digits and hyphens after it, a TLD of
#: two letters or more, and no spaces anywhere. Strict enough to catch a typo at the counter;
#: the full RFC allows addresses no shopper has.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
#: Besides letters and spaces: Jean-François, O'Neil, O’Neil, St. John, "Smith, Jr".
_NAME_PUNCTUATION = frozenset("-'’.,")


class ConsentError(ValueError):
    """A country the consent text has no wording for."""


@dataclass(frozen=True, slots=True)
class CounterInfo:
    """Who is asking for the consent: the store (from its profile) and this terminal."""

    brand: str
    country: str = "US"
    store: str = ""
    store_id: str = ""
    terminal: str = ""

    @property
    def store_id_number(self) -> int | None:
        """AIQ's ``favoriteStoreID`` is an int; None when the store ID is not a number."""
        return int(self.store_id) if self.store_id.isascii() and self.store_id.isdigit() else None


def consent_text(brand: str, country: str) -> str:
    """AIQ's consent text with the store's brand; Canada says "club program"."""
    code = country.strip().upper()
    if code not in PROGRAM_WORDS:
        raise ConsentError(f"No consent wording for the country {country!r}: choose US or CA.")
    name = " ".join(brand.split())
    if not name:
        raise ConsentError("The consent text needs the store's brand name: set it in the store settings.")
    return CONSENT_TEMPLATE.format(brand=name, program=PROGRAM_WORDS[code])


def consent_hash(text: str) -> str:
    """SHA-256 of the exact text shown (UTF-8), hex: names the consent in the local record."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def phone_hmac(key: bytes, digits: str) -> str:
    """HMAC-SHA256 of a phone's ten digits under the consent record's key, hex.

    Unlike a salted hash kept next to its salt, it cannot be checked (so the phone cannot be
    guessed) without the key, which lives in the OS keyring and never in the record.
    """
    return hmac.new(key, b"budtender consent phone\x00" + digits.encode("ascii"), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short name for a key (16 hex digits), so each consent says which key checks it; it
    reveals nothing of the key."""
    return hmac.new(key, b"budtender consent key id", hashlib.sha256).hexdigest()[:16]


def check_email(text: str) -> str:
    """The email as AIQ should get it ("" when none was given). ValueError says what is wrong."""
    email = text.strip()
    if not email:
        return ""
    if any(ch.isspace() for ch in email):
        raise ValueError("An email address has no spaces in it.")
    if email.count("@") != 1:
        raise ValueError("An email address has exactly one @, like name@example.com.")
    local, domain = email.split("@")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email) or ".." in local or local.startswith(".") \
            or local.endswith("."):
        raise ValueError("That does not look like an email address. Type it like name@example.com.")
    return f"{local}@{domain.lower()}"  # the domain part is case-blind; the local part may not be


def check_person_name(text: str, which: str = "name") -> str:
    """A first or last name: optional, spaces tidied, letters with - ' . , only, at most 40."""
    name = " ".join(text.split())
    if not name:
        return ""
    if len(name) > MAX_PERSON_NAME:
        raise ValueError(f"Keep the {which} to {MAX_PERSON_NAME} characters.")
    if any(ch.isdigit() for ch in name):
        # A phone number or a PIN typed into the wrong box is the usual cause.
        raise ValueError(f"A {which} has no digits in it.")
    if not any(ch.isalpha() for ch in name):
        raise ValueError(f"Type the {which} in letters, or leave it empty.")
    bad = sorted({ch for ch in name if not (ch.isalpha() or ch == " " or ch in _NAME_PUNCTUATION
                                             or unicodedata.category(ch) == "Mn")})
    if bad:
        shown = " ".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in bad)
        raise ValueError(f"A {which} can hold letters, spaces and - ' . , only, not {shown}")
    return name


def validate_sign_up(
    phone: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    *,
    sms_opt_in: bool = False,
    email_opt_in: bool = False,
    where: CounterInfo | None = None,
) -> tuple[SignUp | None, dict[str, str]]:
    """The sign-up the form describes, or None and one message per wrong field (FORM_FIELDS).

    An email opt-in needs an email. The favourite store is the store this terminal serves.
    """
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    parsed: Phone | None = None
    try:
        parsed = parse_phone(phone)
    except PhoneError as exc:
        errors["phone"] = str(exc)
    checks = (("email", email, check_email), ("first_name", first_name, lambda t: check_person_name(t, "first name")),
              ("last_name", last_name, lambda t: check_person_name(t, "last name")))
    for field, text, check in checks:
        try:
            values[field] = check(text)
        except ValueError as exc:
            errors[field] = str(exc)
    if email_opt_in and "email" not in errors and not values.get("email"):
        errors["email"] = "Type the shopper's email address to opt them in to emails."
    if errors or parsed is None:
        return None, errors
    where = where or CounterInfo(brand="")
    return SignUp(
        parsed, email=values["email"], first_name=values["first_name"],
        last_name=values["last_name"], favorite_store=where.store, favorite_store_id=where.store_id_number,
        sms_opt_in=sms_opt_in, email_opt_in=email_opt_in,
    ), {}
