"""The 4-digit PIN AIQ texts the shopper. Never stored, logged or put in a message."""

from __future__ import annotations

PIN_LENGTH = 4


class PinError(ValueError):
    """A PIN that is not four digits; the message never repeats the PIN."""


def parse_pin(text: str) -> str:
    """Four ASCII digits, surrounding spaces ignored; AIQ wants it as a string."""
    pin = text.strip()
    if len(pin) != PIN_LENGTH or not (pin.isascii() and pin.isdigit()):
        raise PinError("The PIN is the 4 digits texted to the shopper.")
    return pin
