"""An exclusive, non-blocking OS lock on an open file: the one mechanism under JournalLock (one
app per journal) and SettingsFileLock (one writer of settings.json at a time).

``flock`` on POSIX, ``msvcrt.locking`` on Windows. The OS drops the lock when its process dies,
however it dies, so a crash never leaves it held. flock locks belong to an open file, so two
threads of one process that each open the file exclude each other too.
"""

from __future__ import annotations

import os
import sys

if sys.platform == "win32":  # pragma: no cover - exercised on Windows tills only (mypy narrows on this form)
    import msvcrt

    def lock_fd(fd: int) -> None:
        """Take the lock now or raise OSError; never waits."""
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def lock_fd(fd: int) -> None:
        """Take the lock now or raise OSError; never waits."""
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
