"""The printable receipt block: the transaction record, tidied for paper, and its QR code.

Pure Python. The record text (domain/redemption.record_text) is what the cashier copies onto the
POS transaction; the receipt prints the same facts, each discount's parts on their own lines so
they fit an 80 mm slip, and a QR code: members get the wallet link, everyone else the sign-up
link (AIQ-API.md rule 8). segno draws the code: a well-kept, pure-Python QR library.

Both carry the store, terminal, date and time, and in training a TRAINING line at the top and the
bottom. When the brand hides points the shopper's paper shows no point figure at all, while the
copied record keeps each pointsDeduction, labelled as being for the record (auditors need it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import segno

from budtender_app.domain.consent import PROGRAM_WORDS

#: A QR code for a phone camera across a counter: beyond this the code gets too dense for 80 mm.
MAX_QR_URL = 200
#: The start of record_text's balance line; never printed when the brand hides points.
BALANCE_PREFIX = "Points balance"
#: record_text's words before a point figure (each discount's part, and the total line).
DEDUCTED = "points deducted:"
TOTAL_PREFIX = "Total points deducted"
#: Those words on the copied record of a brand that hides points: the figure is for auditors.
FOR_THE_RECORD = "points deducted (for the record):"
#: Where a point figure would be on the shopper's paper when the brand hides points.
HIDDEN_POINTS = "This brand doesn't show points"
#: The first and last line of every training slip and record (painted as a band on paper).
TRAINING_LINE = "TRAINING - no real points"
# English month names whatever the computer's locale (Qt sets LC_TIME from it): a receipt's date
# must read the same on every till.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class SlipHeader:
    """Where and when a slip was made: the store, this terminal, the store's local time, the mode."""

    store: str
    terminal: str
    moment: datetime  # already in the store's zone (Clock.local)
    training: bool = False

    def lines(self) -> list[str]:
        """"Store: …", "Terminal: …", "Date: Nov 22, 2026", "Time: 14:03 PST"."""
        m = self.moment
        return [f"Store: {_one_line(self.store) or '(not set)'}",
                f"Terminal: {_one_line(self.terminal) or '(not set)'}",
                f"Date: {_MONTHS[m.month - 1]} {m.day}, {m.year}", f"Time: {m:%H:%M} {m.tzname() or ''}".rstrip()]


def _one_line(text: str) -> str:
    """A name on one printed line: no control characters (they could forge a line), single spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


@dataclass(frozen=True, slots=True)
class Receipt:
    """What goes on paper: lines of text, then (when a link is set) a QR code and its caption;
    and ``record``, the text the cashier copies onto the POS transaction ("" for a slip alone)."""

    lines: tuple[str, ...]
    qr_url: str = ""
    qr_caption: str = ""
    record: str = ""

    def qr_modules(self) -> tuple[tuple[bool, ...], ...]:
        """The QR code as rows of dark (True) modules, quiet zone included; () without a link."""
        return qr_modules(self.qr_url) if self.qr_url else ()

    def text(self) -> str:
        """The receipt as plain text (copying it, or a printer without graphics)."""
        parts = list(self.lines)
        if self.qr_url:
            parts += ["", self.qr_caption, self.qr_url]
        return "\n".join(parts)

    @property
    def training(self) -> bool:
        """A training slip (its file name and PDF title say so too)."""
        return TRAINING_LINE in self.lines

    def record_text(self) -> str:
        """What Copy record copies: the transaction record (every point figure), else the slip."""
        return self.record or self.text()


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
    header: SlipHeader | None = None,
) -> Receipt:
    """The receipt for ``record`` (the transaction record; "" for a sign-up slip alone).

    ``hide_points``: the brand hides points (AIQ's hidePointsInWallet), so the paper shows no point
    figure (HIDDEN_POINTS where the total would be) even if the record has them; the record copied
    for the POS keeps them, labelled FOR_THE_RECORD. ``header``: the store, terminal, time and
    mode, on paper and record alike. A member gets ``wallet_url``'s QR, anyone else
    ``signup_url``'s; no QR when that link is not set.
    """
    band = [TRAINING_LINE] if header is not None and header.training else []
    top = band + (header.lines() if header is not None else [])
    body = _shopper_lines(record, hide_points)
    lines = top + ([""] if top and body else []) + body + band
    copied = "\n".join([*top, *_record_lines(record, hide_points), *band]) if record.strip() else ""
    name = " ".join(brand.split())
    program = f"{name} {PROGRAM_WORDS.get(country.upper(), PROGRAM_WORDS['US'])}".strip()
    if member:
        url = wallet_url.strip()
        caption = f"Scan to open your {name} loyalty wallet".replace("  ", " ")
    else:
        url = signup_url.strip()
        caption = f"Not a member yet? Scan to join the {program}"
    return Receipt(tuple(lines), url, caption if url else "", copied)


def _shopper_lines(record: str, hide_points: bool) -> list[str]:
    """The record on paper lines; with hidden points, no balance and no point figure."""
    lines: list[str] = []
    for line in record.splitlines():
        stripped = line.strip()
        if hide_points and stripped.startswith(BALANCE_PREFIX):
            continue
        if hide_points and stripped.startswith(TOTAL_PREFIX):
            lines.append(HIDDEN_POINTS)
            continue
        lines += _paper_lines(line, hide_points)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _record_lines(record: str, hide_points: bool) -> list[str]:
    """The record as the POS keeps it; with hidden points each figure says it is for the record
    (and no balance: AIQ sends none for such a brand, so any figure would be made up)."""
    lines = record.rstrip().splitlines()
    if not hide_points:
        return lines
    return [line.replace(DEDUCTED, FOR_THE_RECORD) for line in lines if not line.strip().startswith(BALANCE_PREFIX)]


def _paper_lines(line: str, hide_points: bool) -> list[str]:
    """A record line "- name | POS discount ID X | $5.00 off | ..." as the name, then its parts."""
    if line.startswith("- ") and " | " in line:
        name, *parts = line.split(" | ")
        if hide_points:
            parts = [part for part in parts if not part.strip().startswith(DEDUCTED)]
        return [name] + ["    " + part for part in parts]
    return [line]
