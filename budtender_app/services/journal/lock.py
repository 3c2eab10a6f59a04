"""One app instance per journal: an exclusive OS lock next to the journal file."""

from __future__ import annotations

import os
from pathlib import Path

from budtender_app.services.journal.errors import JournalLocked
from budtender_app.services.os_lock import lock_fd, unlock_fd


class JournalLock:
    """One app instance per journal: an exclusive OS lock on ``<journal>.lock``.

    ``flock`` on POSIX, ``msvcrt.locking`` on Windows. The OS drops the lock when the process
    dies, however it dies, so a crash never leaves a stale lock behind. The file holds the pid
    of the holder, for IT only; the lock, not the file's content, is what counts.
    """

    MESSAGE = "Another copy of the terminal is already running on this computer."

    def __init__(self, journal_path: str | os.PathLike[str]) -> None:
        self.path = Path(str(journal_path) + ".lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this instance holds the lock."""
        return self._fd is not None

    def acquire(self) -> JournalLock:
        """Take the lock now or raise JournalLocked; never waits."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            lock_fd(fd)
        except OSError:
            os.close(fd)
            raise JournalLocked(self.MESSAGE) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock back (nothing when it is not held)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            unlock_fd(fd)
            os.close(fd)

    def __enter__(self) -> JournalLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
