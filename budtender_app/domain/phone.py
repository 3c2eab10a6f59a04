"""Shopper phone numbers: parsed once at the edge, kept as the 10 digits AIQ wants."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers


class PhoneError(ValueError):
    """A phone number AIQ would not accept; the message is for the cashier."""


@dataclass(frozen=True, slots=True)
class Phone:
    """Ten US/Canada digits, no +1. ``str()`` and ``repr()`` are masked so a log never leaks one."""

    digits: str

    @property
    def masked(self) -> str:
        return f"***-***-{self.digits[-4:]}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Phone({self.masked})"


def parse_phone(text: str) -> Phone:
    """Accept a North American number as people type it; refuse anything else.

    "(555) 123-4567", "555.123.4567", "+1 555 123 4567" and "1-555-123-4567" all give
    Phone("5551234567"). We check what AIQ needs (ten digits, a real area code shape) but not
    the exchange, because AIQ's own examples and test numbers use 555-123-xxxx.
    """
    raw = text.strip()
    if not raw:
        raise PhoneError("Type the shopper's phone number.")
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("That is not a phone number. Type 10 digits, like (555) 123-4567.") from exc
    if number.extension:
        raise PhoneError("Leave out the extension: type just the 10-digit number.")
    if any(ch.isalpha() for ch in raw):  # phonenumbers reads 1-800-FLOWERS; a shopper's phone is digits
        raise PhoneError("A phone number has only digits, like (555) 123-4567.")
    if number.country_code != 1:
        raise PhoneError("Only US and Canada phone numbers can hold an AIQ wallet.")
    digits = f"{number.national_number:d}"
    if number.italian_leading_zero:
        digits = "0" * (number.number_of_leading_zeros or 1) + digits
    if len(digits) != 10:
        raise PhoneError(f"A phone number has 10 digits; that has {len(digits)}.")
    if digits[0] in "01":
        raise PhoneError("That area code does not exist; check the first three digits.")
    return Phone(digits)
