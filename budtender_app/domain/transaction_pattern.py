"""What a store's POS transaction IDs look like (issue 14), in words a manager can type.

A store setting, so a mistyped or mis-scanned ID is refused before anything is redeemed. The
little language, case ignored in its words (never in a prefix):

- ``""`` or ``any``: any ID checkout's own rule takes (the default);
- ``8 digits``, ``1 digit``; a range: ``6-10 digits`` (or ``6 to 10 digits``);
- ``starts with POS-``: that prefix, exactly as written, then at least one more character;
- ``starts with POS- then 6 digits`` (or ``then 6-10 digits``): that prefix, then only digits.

Digits are 0-9. ``parse_pattern`` refuses what it cannot read, saying what it can; ``str()`` of a
pattern is its canonical text, which ``parse_pattern`` reads back to the same pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from budtender_app.domain.redemption import MAX_TRANSACTION_ID

MAX_PREFIX = 20
EXAMPLES = '"8 digits", "6-10 digits", "starts with POS-" or "starts with POS- then 6 digits"'
_DIGITS = re.compile(r"^(\d{1,3})(?:\s*(?:-|–|to)\s*(\d{1,3}))?\s+digits?$", re.IGNORECASE)
_STARTS = re.compile(r"^starts?\s+with\s+(.*)$", re.IGNORECASE | re.DOTALL)
#: "starts with POS-, then 6 digits": the comma is the sentence's, not the prefix's.
_THEN = re.compile(r"^(.*?)(?:\s*,\s*|\s+)then\s+(.*)$", re.IGNORECASE | re.DOTALL)


class PatternError(ValueError):
    """A pattern that cannot be read; the message says what can, for a store manager."""


@dataclass(frozen=True, slots=True)
class TransactionPattern:
    """``prefix`` then, with ``digits`` (fewest, most), only that many digits; else anything after
    the prefix. The empty pattern (no prefix, no digits) takes every ID."""

    prefix: str = ""
    digits: tuple[int, int] | None = None

    @property
    def any(self) -> bool:
        return not self.prefix and self.digits is None

    def __str__(self) -> str:
        """The canonical text, as the settings form shows it ("" for any)."""
        digits = _digits_text(self.digits) if self.digits else ""
        if not self.prefix:
            return digits
        return f"starts with {self.prefix}" + (f" then {digits}" if digits else "")

    def matches(self, txid: str) -> bool:
        if not txid.startswith(self.prefix):
            return False
        rest = txid[len(self.prefix):]
        if self.digits is None:
            return bool(rest) or not self.prefix
        fewest, most = self.digits
        return rest.isascii() and rest.isdigit() and fewest <= len(rest) <= most

    def problem(self, txid: str) -> str:
        """Why ``txid`` is not one of this store's IDs ("" when it is), naming the expected shape."""
        if self.matches(txid):
            return ""
        return f"This store's transaction IDs {self.phrase()}; {txid} is not one."

    def phrase(self) -> str:
        """ "are 8 digits", "start with POS- then 6 digits": the shape, in a sentence."""
        digits = _digits_text(self.digits) if self.digits else ""
        if not self.prefix:
            return f"are {digits.replace('-', ' to ')}" if digits else "can be anything"
        return f"start with {self.prefix}" + (f" then {digits.replace('-', ' to ')}" if digits else "")


ANY = TransactionPattern()


def parse_pattern(text: str) -> TransactionPattern:
    """The pattern ``text`` describes; PatternError (saying what reads) when it cannot be read."""
    words = " ".join(text.split())
    if not words or words.lower() == "any":
        return ANY
    starts = _STARTS.match(words)
    if starts is None:
        return TransactionPattern(digits=_digits(words))
    rest = starts.group(1)
    then = _THEN.match(rest)
    prefix, digits = (then.group(1), _digits(then.group(2))) if then else (rest, None)
    return TransactionPattern(prefix=_prefix(prefix), digits=digits)


def check_pattern(text: str) -> str:
    """The store setting as saved: the canonical text of what was typed; ValueError when unreadable."""
    return str(parse_pattern(text))


def _digits(words: str) -> tuple[int, int]:
    found = _DIGITS.match(words)
    if found is None:
        raise PatternError(f"This terminal cannot read '{words[:40]}' as a transaction ID shape. "
                           f"Write it like {EXAMPLES}, or leave it empty for any.")
    fewest = int(found.group(1))
    most = int(found.group(2)) if found.group(2) else fewest
    if fewest < 1 or most > MAX_TRANSACTION_ID:
        raise PatternError(f"A transaction ID has 1 to {MAX_TRANSACTION_ID} digits.")
    if fewest > most:
        raise PatternError(f"Write the smaller number first: {most}-{fewest} digits.")
    return fewest, most


def _prefix(text: str) -> str:
    prefix = text.strip()
    if len(prefix) >= 2 and prefix[0] == prefix[-1] and prefix[0] in "\"'":
        prefix = prefix[1:-1]  # starts with "POS-": the quotes are not part of it
    if not prefix:
        raise PatternError("Say what the IDs start with, like starts with POS-.")
    if len(prefix) > MAX_PREFIX:
        raise PatternError(f"Keep what the IDs start with to {MAX_PREFIX} characters.")
    if not prefix.isprintable() or any(ch.isspace() or ch in "\"'" for ch in prefix):
        raise PatternError("What the IDs start with has a space, a quote or a character that cannot be typed.")
    return prefix


def _digits_text(digits: tuple[int, int]) -> str:
    fewest, most = digits
    if fewest == most:
        return "1 digit" if fewest == 1 else f"{fewest} digits"
    return f"{fewest}-{most} digits"
