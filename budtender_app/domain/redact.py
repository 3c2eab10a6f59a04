"""The one redactor: what any text from outside (AIQ's messages, exceptions) must go through
before the app keeps it (journal, audit trail, export, log file) or shows it (dialogs, tooltips).

Pure Python. AIQ's own error text may echo what was sent: the phone, the PIN, the API key, a
redemption URL with its token. ``redact`` masks what it is told is secret and, whatever it is
told, everything that *looks* secret: URLs, phone numbers, e-mail addresses, long key-like
tokens. It also removes control characters, so a message cannot forge a new log line or CSV
row, and caps the length, so a hostile answer cannot fill a screen or a disk.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, quote_plus

MASK = "***"
LINK = "[link]"
DEFAULT_LIMIT = 500
#: Shorter "secrets" are ignored: masking every "a" or "12" would wreck the text and hide nothing.
MIN_SECRET = 4

#: Between a phone's groups: spaces, dots, slashes and every dash (a word processor's too).
_SEP = "[\\s./\\-\u2010-\u2015\u2212]"
_ID = "A-Za-z0-9_+/="  # base64, base64url (minus "-") and hex: what API keys and tokens are made of
_PATTERNS = {
    "url": r"https?://\S+",
    # Only at the start of a run, so a long word without "@" is scanned once, not once per letter.
    "email": r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    "uuid": r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])",
    # 20 or more key characters with at least one digit and one letter: an API key or a token.
    "token": rf"(?<![{_ID}])(?=[{_ID}]*\d)(?=[{_ID}]*[A-Za-z])[{_ID}]{{20,}}",
    # A North American number however it is written: +1 (555) 123-4567, 555.123.4567, 1-555-...
    "phone": rf"(?<!\d)(?:\+\s*)?(?:1{_SEP}*)?(?:\(\s*)?\d{{3}}(?:\s*\))?{_SEP}*\d{{3}}{_SEP}*\d{{4}}(?!\d)",
    "digits": r"\d{10,}",  # a phone glued to other digits (or any long number): same mask
}
_LOOKS_SECRET = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _PATTERNS.items() if name != "token"),
                           re.IGNORECASE)
#: Tokens after phones: a token run may start before a phone ("====x555-123-4567") and swallow
#: only its area code, leaving the rest of the number readable.
_LOOKS_TOKEN = re.compile(f"(?P<token>{_PATTERNS['token']})")
#: A phone written as an e-mail's domain ("a@555.123.4567"): the domain is kept, its phone is not.
_PHONE_IN_DOMAIN = re.compile(f"(?P<phone>{_PATTERNS['phone']})|(?P<digits>{_PATTERNS['digits']})")
#: With a PIN among the secrets, any 4 digits (also spaced: "2 4 6 8") may be it echoed back.
#: Not the kept end of a masked phone ("***4567", "***-***-4567"): the cashier sees that anyway.
_PIN_LIKE = re.compile(r"(?<![\d*])(?<!\*\*\*-)\d(?:[ .\-]?\d){3}(?!\d)")


def redact(text: object, *secrets: str, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` made safe to keep or show: one line of at most ``limit`` characters in which no
    given secret (in any letter case, or URL-encoded), URL, phone, e-mail or key-like token is
    left. Phones keep their last four digits (``***4567``), e-mails their domain.

    Secrets shorter than four characters are ignored. When a secret is a PIN (4 to 8 digits),
    every 4-digit group is masked too. Calling it again on its output changes nothing.
    """
    forms = _secret_forms(secrets)
    text = _single_line(_precut(str(text), forms, limit))
    text = _mask_secrets(text, forms)
    text = _LOOKS_SECRET.sub(_mask_match, text)
    text = _LOOKS_TOKEN.sub(_mask_match, text)
    if any(s.isdigit() and 4 <= len(s) <= 8 for s in secrets if s):
        text = _PIN_LIKE.sub(MASK, text)
    # Masks next to each other can spell a secret again ("ab" + "***"): mask until none is left.
    text = _mask_secrets(text, forms).strip()
    return text[:max(limit, 0)].rstrip()


def mask_phone_digits(digits: str) -> str:
    """The mask ``redact`` puts in place of a phone: ``***`` and its last four digits."""
    kept = "".join(str(unicodedata.decimal(ch)) for ch in digits if unicodedata.decimal(ch, None) is not None)
    return MASK + kept[-4:]  # as ASCII digits, whatever script the text wrote them in


def _secret_forms(secrets: tuple[str, ...]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str) or len(secret) < MIN_SECRET:
            continue
        forms.update({secret, quote(secret, safe=""), quote(secret), quote_plus(secret)})
    return sorted(forms, key=len, reverse=True)  # longest first: a key that contains a PIN goes whole


def _mask_secrets(text: str, forms: list[str]) -> str:
    if not forms:
        return text
    pattern = re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)
    while True:  # each pass shrinks the text (a form is longer than the mask), so this ends
        masked = pattern.sub(MASK, text)
        if masked == text:
            return text
        text = masked


def _mask_match(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "url":
        return LINK
    if kind == "email":
        return f"{MASK}@{_PHONE_IN_DOMAIN.sub(_mask_match, match.group('domain'))}"
    if kind in ("phone", "digits"):
        return mask_phone_digits(match.group())
    return MASK


def _single_line(text: str) -> str:
    """Control characters, line breaks and odd spaces become plain spaces (no forged log line or
    CSV row, and "555\u00a0123\u00a04567" is a phone like any other); invisible format characters
    (zero-width space, bidi overrides) go, so they cannot split a secret or a phone into pieces
    that escape the masks; lone surrogates and unassigned code points (which no file can encode
    or no screen can show) become U+FFFD."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category in ("Cc", "Zl", "Zp", "Zs"):
            out.append(" ")
        else:
            out.append("\ufffd" if category in ("Cs", "Co", "Cn") else ch)
    return "".join(out)


def _precut(text: str, forms: list[str], limit: int) -> str:
    """Only so much of a huge text is worth scanning. A secret cut in two by the cut would
    leave its first part in clear, so a tail that starts any secret goes too."""
    room = max(limit, 0) * 4 + 1024 + (len(forms[0]) if forms else 0)
    if len(text) <= room:
        return text
    text = text[:room]
    lowered = text.lower()
    for form in forms:
        low = form.lower()
        for size in range(len(low) - 1, 0, -1):
            if lowered.endswith(low[:size]):
                text, lowered = text[:-size], lowered[:-size]
                break
    return text
