"""The printable receipt block: the transaction record, tidied for paper, and its QR code.

Pure Python. The record text (domain/redemption.record_text) is what the cashier copies onto the
POS transaction; the receipt prints the same facts, each discount's parts on their own lines so
they fit an 80 mm slip, and a QR code: members get the wallet link, everyone else the sign-up
link (AIQ-API.md rule 8). segno draws the code: a well-kept, pure-Python QR library.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import segno

from budtender_app.domain.consent import PROGRAM_WORDS

#: A QR code for a phone camera across a counter: beyond this the code gets too dense for 80 mm.
MAX_QR_URL = 200
#: The start of record_text's balance line; never printed when the brand hides points.
BALANCE_PREFIX = "Points balance"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What goes on paper: lines of text, then (when a link is set) a QR code and its caption."""

    lines: tuple[str, ...]
    qr_url: str = ""
    qr_caption: str = ""

    def qr_modules(self) -> tuple[tuple[bool, ...], ...]:
        """The QR code as rows of dark (True) modules, quiet zone included; () without a link."""
        return qr_modules(self.qr_url) if self.qr_url else ()

    def text(self) -> str:
        """The receipt as plain text (copying it, or a printer without graphics)."""
        parts = list(self.lines)
        if self.qr_url:
            parts += ["", self.qr_caption, self.qr_url]
        return "\n".join(parts)


def qr_modules(url: str, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    """The QR code of ``url`` (error correction M: a smudged receipt still scans)."""
    code = segno.make(url, error="m", micro=False, boost_error=False)
    return tuple(tuple(bool(v) for v in row) for row in code.matrix_iter(scale=1, border=border))


def check_qr_url(text: str, what: str = "link") -> str:
    """A link for a receipt's QR code ("" for none): https, no spaces, short enough to scan."""
    url = text.strip()
    if not url:
        return ""
    if any(ch.isspace() for ch in url):
        raise ValueError(f"The {what} cannot contain spaces.")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ValueError(f"Type the whole {what}, starting with https:// (shoppers' phones open it).")
    if len(url) > MAX_QR_URL:
        raise ValueError(f"Keep the {what} to {MAX_QR_URL} characters, so its QR code scans from a receipt.")
    return url


def build_receipt(
    record: str,
    *,
    member: bool,
    hide_points: bool,
    wallet_url: str = "",
    signup_url: str = "",
    brand: str = "",
    country: str = "US",
) -> Receipt:
    """The receipt for ``record`` (the transaction record; "" for a sign-up slip alone).

    ``hide_points``: the brand hides points (AIQ's hidePointsInWallet), so no balance is printed
    even if the record has one. A member gets ``wallet_url``'s QR, anyone else ``signup_url``'s;
    no QR when that link is not set.
    """
    lines: list[str] = []
    for line in record.splitlines():
        if hide_points and line.strip().startswith(BALANCE_PREFIX):
            continue
        lines += _paper_lines(line)
    while lines and not lines[-1].strip():
        lines.pop()
    name = " ".join(brand.split())
    program = f"{name} {PROGRAM_WORDS.get(country.upper(), PROGRAM_WORDS['US'])}".strip()
    if member:
        url = wallet_url.strip()
        caption = f"Scan to open your {name} loyalty wallet".replace("  ", " ")
    else:
        url = signup_url.strip()
        caption = f"Not a member yet? Scan to join the {program}"
    return Receipt(tuple(lines), url, caption if url else "")


def _paper_lines(line: str) -> list[str]:
    """A record line "- name | POS discount ID X | $5.00 off | ..." as the name, then its parts."""
    if line.startswith("- ") and " | " in line:
        name, *parts = line.split(" | ")
        return [name] + ["    " + part for part in parts]
    return [line]
