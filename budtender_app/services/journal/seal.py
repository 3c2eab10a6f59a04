"""A journal's identity and the key of its audit chain, and how an opened journal is matched to it."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from budtender_app.services.journal.audit import UNKEYED
from budtender_app.services.journal.errors import JournalKeyError


@dataclass(frozen=True, slots=True)
class Seal:
    """A journal's identity and the HMAC key of its audit chain (kept in the OS keyring)."""

    journal_id: str
    key: bytes = field(repr=False)

    @property
    def keyed(self) -> bool:
        """False for the public UNKEYED key (training without a keyring, tests)."""
        return self.key != UNKEYED

    @classmethod
    def new(cls, key: bytes | None = None) -> Seal:
        """A fresh id; ``key`` None gives the public UNKEYED key (training without a keyring, tests)."""
        return cls(uuid.uuid4().hex, UNKEYED if key is None else key)

    def check_value(self) -> str:
        """Stored in the journal: tells a wrong key at once, without giving the key away."""
        message = b"budtender-journal-key-check:" + self.journal_id.encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def match_seal(meta: Mapping[str, str], path: Path, seal: Seal | None, *, read_only: bool) -> tuple[Seal, bool]:
    """(the journal's seal, whether ``seal`` is its key) from its ``journal_meta``. Writing, a
    journal that is another one, or sealed with another key, raises JournalKeyError; read-only
    it opens, but unkeyed (its chain cannot be checked)."""
    stored = Seal(meta["journal_id"], seal.key if seal else UNKEYED)
    if seal is not None and seal.journal_id != stored.journal_id:
        if not read_only:
            raise JournalKeyError(
                f"The redemption journal at {path} is journal {stored.journal_id}, not {seal.journal_id}.")
        return stored, False
    if stored.check_value() != meta["key_check"]:
        if not read_only:
            raise JournalKeyError(
                f"The redemption journal at {path} is sealed with a key that was not given "
                "(the key is in the OS keyring of the computer that wrote it).")
        return stored, False
    return stored, True
