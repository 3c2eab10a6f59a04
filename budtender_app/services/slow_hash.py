"""The one slow salted hash for short secrets: the manager PIN, staff passcodes and badge codes.

stdlib ``hashlib.scrypt`` (n=2**14, r=8, p=1: 16 MiB, about 30 ms on a till), compared with
``hmac.compare_digest``. A record keeps its own parameters, so a hash made under other ones
(an older version's) still checks. A damaged record matches nothing.

Text form (staff store): ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``; the settings file keeps
the same fields as JSON members (``ManagerPinRecord``), so a manager PIN's hash becomes a staff
passcode's hash unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
KEY_LENGTH = 32
SALT_BYTES = 16
_MAX_MEM = 64 * 1024 * 1024
_PREFIX = "scrypt"


class HashFields(Protocol):
    """What a stored slow hash has, whatever holds it (base64 salt and hash, scrypt parameters)."""

    @property
    def salt(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def n(self) -> int: ...
    @property
    def r(self) -> int: ...
    @property
    def p(self) -> int: ...


@dataclass(frozen=True, slots=True)
class SlowHash:
    """A secret as stored: scrypt parameters, salt and hash (base64), never the secret."""

    salt: str
    hash: str
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def encode(self) -> str:
        return "$".join((_PREFIX, str(self.n), str(self.r), str(self.p), self.salt, self.hash))

    @classmethod
    def decode(cls, text: str) -> SlowHash:
        """The hash from its text form; ValueError when it is not one."""
        prefix, n, r, p, salt, digest = text.split("$")
        if prefix != _PREFIX:
            raise ValueError("not an scrypt hash")
        return cls(salt=salt, hash=digest, n=int(n), r=int(r), p=int(p))

    @classmethod
    def of(cls, fields: HashFields) -> SlowHash:
        """The same hash from another holder (the settings file's manager PIN record)."""
        return cls(salt=fields.salt, hash=fields.hash, n=fields.n, r=fields.r, p=fields.p)


def slow_hash(secret: str) -> SlowHash:
    """A new random salt and the secret's scrypt hash under it."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = scrypt(secret, salt)
    return SlowHash(salt=_b64(salt), hash=_b64(digest))


def matches(stored: HashFields, secret: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (constant-time compare)."""
    try:
        salt = base64.b64decode(stored.salt, validate=True)
        expected = base64.b64decode(stored.hash, validate=True)
        actual = scrypt(secret, salt, stored.n, stored.r, stored.p, len(expected))
    except (ValueError, MemoryError):
        return False  # a damaged record matches nothing; IT can reset it
    return hmac.compare_digest(actual, expected)


def matches_text(stored: str | None, secret: str) -> bool:
    """matches() for the text form; a missing or damaged one matches nothing."""
    if not stored:
        return False
    try:
        return matches(SlowHash.decode(stored), secret)
    except ValueError:
        return False


def scrypt(secret: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P,
           length: int = KEY_LENGTH) -> bytes:
    """scrypt of the secret's UTF-8 under ``salt`` (ValueError on parameters scrypt refuses)."""
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEM, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
