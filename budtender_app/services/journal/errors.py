"""What the journal refuses, and why: each message is for IT or a manager."""

from __future__ import annotations

from pathlib import Path


class JournalError(Exception):
    """The journal cannot do that; the message is for IT or a manager."""


class JournalStateError(JournalError):
    """A change the row's state does not allow (e.g. sending a row that is not 'queued')."""


class JournalTampered(JournalStateError):
    """A row's state is not the one its (keyed) audit trail says: changed outside the app."""


class JournalLocked(JournalError):
    """Another running copy of the app holds this journal."""


class JournalWriteError(JournalError):
    """The journal could not write (disk full, I/O error, read-only file): nothing was changed."""


class JournalDamaged(JournalError):
    """The file is not a readable journal (not a database, or a damaged one)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"The redemption journal {path} is damaged ({detail}). "
                         "IT: see `budtender-app journal check`.")
        self.detail = f"{path}: {detail}"


class JournalUnwritable(JournalError):
    """The journal's file or folder cannot be opened for writing."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"The redemption journal {path} cannot be written ({detail}).")
        self.detail = f"{path}: {detail}"


class JournalKeyError(JournalError):
    """The journal's chain is sealed with another key than the one given (or none was given)."""
