"""One writer of settings.json at a time, across threads and processes: an OS lock on settings.json.lock.

The app and IT's command line (``budtender-app manager-pin reset``), or a training and a real
terminal on one computer, share the settings file. Each write reads the file, changes it and
writes it back; two of them interleaved would write back a copy read before the other's change
(the manager PIN lost to a store profile saved a moment later). Holding this lock from the read
to the rename makes each change start from the other's result.

``flock`` on POSIX, ``msvcrt.locking`` on Windows (as JournalLock in journal.py). The OS drops
the lock when its process dies, however it dies, so a crash never leaves it held. flock locks
belong to an open file, so two threads of one process exclude each other too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from budtender_app.domain.clock import SYSTEM_CLOCK

#: Each holder keeps the lock for one read, one small write and an fsync: milliseconds. Waiting
#: longer than this means a writer is stuck, and saying so beats freezing the window.
DEFAULT_TIMEOUT = 5.0
_POLL = 0.02


class SettingsLockTimeout(OSError):
    """Another writer held the settings lock for longer than the timeout."""


class SettingsFileLock:
    """An exclusive lock on ``path``, waited for up to ``timeout`` seconds. Use it as ``with lock:``."""

    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT,
                 monotonic: Callable[[], float] = SYSTEM_CLOCK.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = path
        self._timeout = timeout
        self._monotonic = monotonic
        self._sleep = sleep
        self._fd: int | None = None

    def __enter__(self) -> SettingsFileLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = self._monotonic() + self._timeout
        while True:
            try:
                _lock_fd(fd)
                break
            except OSError:
                if self._monotonic() >= deadline:
                    os.close(fd)
                    raise SettingsLockTimeout(f"another program kept {self.path.name} locked") from None
                self._sleep(_POLL)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock_fd(fd)
            finally:
                os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows tills only (mypy narrows on this form)
    import msvcrt

    def _lock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
