"""One writer of settings.json at a time, across threads and processes: an OS lock on settings.json.lock.

The app and IT's command line (``budtender-app manager-pin reset``), or a training and a real
terminal on one computer, share the settings file. Each write reads the file, changes it and
writes it back; two of them interleaved would write back a copy read before the other's change
(the manager PIN lost to a store profile saved a moment later). Holding this lock from the read
to the rename makes each change start from the other's result.

The lock itself is services/os_lock.py, the one under JournalLock too: the OS drops it when its
process dies, and two threads of one process (each opening the file) exclude each other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.services.os_lock import lock_fd, unlock_fd

#: Each holder keeps the lock for one read, one small write and an fsync: milliseconds. Waiting
#: longer than this means a writer is stuck, and saying so beats freezing the window.
DEFAULT_TIMEOUT = 5.0
_POLL = 0.02


class SettingsLockTimeout(OSError):
    """Another writer held the settings lock for longer than the timeout."""


class SettingsFileLock:
    """An exclusive lock on ``path``, waited for up to ``timeout`` seconds. Use it as ``with lock:``."""

    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT,
                 monotonic: Callable[[], float] = SYSTEM_CLOCK.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
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
                lock_fd(fd)
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
                unlock_fd(fd)
            finally:
                os.close(fd)


