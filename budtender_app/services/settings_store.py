"""The settings file: store profiles, the active store and the manager PIN's hash, as JSON.

It lives in the platform's config folder (platformdirs). It never holds an API key (the OS
keyring does), a PIN (only its scrypt hash) or a phone number: only the dataclasses below are
written, and none of them has a field for one.

Every change goes through ``update(change)``: under an OS lock (settings_lock.py) it reads the
file as it is now, applies the change and writes the result, so two writers (the settings
screen and the manager PIN, or the app and IT's command line) never write back a copy read
before the other's change. Writes are atomic (temp file in the same folder, fsync, os.replace)
and private (0600 on POSIX), so a crash or a full disk leaves the old file whole.

A file that exists but cannot be read (damaged, not ours, a folder, no permission) is never
written over and never moved aside by the app: it holds the manager PIN and its lockout, and an
empty start would let anyone choose a new PIN. Writes raise SettingsUnreadable, whose message
tells IT what to do (put the file back, or ``budtender-app settings reset``).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.settings import FIELDS, FLAGS, StoreProfile, validate_profile
from budtender_app.services.paths import folders
from budtender_app.services.settings_lock import (
    DEFAULT_TIMEOUT,
    SettingsFileLock,
    SettingsLockTimeout,
)
from budtender_app.services.settings_model import ManagerPinRecord, PinLockout, Settings

log = logging.getLogger(__name__)

VERSION = 1
#: IT's way back from an unreadable settings file (cli/settings.py runs it; README explains it).
RESET_COMMAND = "budtender-app settings reset"


def default_settings_path(*, training: bool = False) -> Path:
    """settings.json in this user's config folder (XDG_CONFIG_HOME, %APPDATA%, ~/Library/...);
    training-settings.json beside it for training (``Folders.settings_file``)."""
    return folders().settings_file(training=training)


class SettingsWriteError(Exception):
    """The settings file could not be written; the old one, if any, is untouched."""


class SettingsUnreadable(SettingsWriteError):
    """The settings file exists but cannot be read, so nothing is written over it.

    It holds the manager PIN and its lockout: manager actions stay refused until IT puts the
    file back or resets it. ``reason`` says why in a few words, never quoting the file.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(unreadable_message(path, reason))


def unreadable_message(path: Path, reason: str) -> str:
    """What a manager reads at F11/F12 (and IT at the command line) when the file is unreadable."""
    return (f"The settings file could not be read ({reason}), so manager actions are off: it holds the "
            f"manager PIN and its lockout. IT: put back {path} from a backup, or run `{RESET_COMMAND}` "
            "to set this terminal up again (the store profiles and the manager PIN are then chosen anew).")


class SettingsStore:
    """Reads and writes the settings file. path=None: the user's config folder.

    lock_timeout: how long a write waits for another writer's lock before it gives up.
    """

    def __init__(self, path: Path | None = None, lock_timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = Path(path) if path is not None else default_settings_path()
        self._lock_timeout = lock_timeout

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def read(self) -> Settings:
        """The saved settings; empty ones when there is no file. SettingsUnreadable when it
        exists but cannot be read: the caller must not act as if nothing were set up."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            raise SettingsUnreadable(self.path, exc.strerror or type(exc).__name__) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError both
            raise SettingsUnreadable(self.path, "it is not JSON text") from None
        try:
            return _from_json(data)
        except ValueError as exc:  # only _from_json's own words, which never quote the file
            raise SettingsUnreadable(self.path, str(exc)) from None
        except (TypeError, KeyError, AttributeError):
            raise SettingsUnreadable(self.path, "it is not in the shape this app writes") from None

    def load(self) -> Settings:
        """read(), but empty settings (and a warning in the log) when the file is unreadable.

        For start-up, which picks its mode from what it can read. Never write back what this
        returns: update() is the only way to change the file.
        """
        try:
            return self.read()
        except SettingsUnreadable as exc:
            log.warning("The settings file %s could not be read (%s); starting without its stores. "
                        "Manager actions are refused until IT restores it", self.path, exc.reason)
            return Settings()

    def update(self, change: Callable[[Settings], Settings]) -> Settings:
        """Apply ``change`` to the settings on disk now and write the result; returns it.

        Holds the settings lock from the read to the rename. Nothing is written when ``change``
        raises (its exception goes through) or returns the settings unchanged. SettingsUnreadable
        when the file cannot be read; SettingsWriteError when it cannot be written (or another
        writer kept the lock past the timeout). ``change`` must be quick and must not call
        update() itself: the lock is not re-entrant.
        """
        with self._locked():
            current = self.read()
            changed = change(current)
            if changed != current:
                self._write(changed)
            return changed

    def save(self, settings: Settings) -> None:
        """Replace the whole file with ``settings`` (under the lock; refused over an unreadable file).

        Only for a settings object built from nothing (tests, first setup): anything read
        earlier is stale by now, so the app changes the file through update().
        """
        self.update(lambda _current: settings)

    def reset_unreadable(self, clock: Callable[[], datetime] = SYSTEM_CLOCK) -> Path | None:
        """IT's reset: move an unreadable file aside (settings.json.unreadable-<UTC time>) so the
        terminal is set up again. Returns where it went; None (nothing done) when the file is
        readable or absent. The old file stays there for IT to look at."""
        with self._locked():
            try:
                self.read()
                return None
            except SettingsUnreadable:
                pass
            aside = self._aside_path(clock())
            try:
                os.replace(self.path, aside)
            except OSError as exc:
                raise SettingsWriteError(_write_message(self.path, exc)) from exc
            log.warning("IT reset the unreadable settings file; it was kept as %s", aside)
            return aside

    # -- inside --------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = SettingsFileLock(self.lock_path, self._lock_timeout)
            lock.__enter__()
        except SettingsLockTimeout:
            raise SettingsWriteError(
                f"The settings file {self.path} is locked by another program (another terminal window or "
                "IT's command line). Try again in a moment. Nothing was changed.") from None
        except OSError as exc:
            raise SettingsWriteError(_write_message(self.path, exc)) from exc
        try:
            yield
        finally:
            lock.__exit__()

    def _write(self, settings: Settings) -> None:
        text = json.dumps(_to_json(settings), indent=2, ensure_ascii=False) + "\n"
        folder = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise SettingsWriteError(_write_message(self.path, exc)) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                if os.name == "posix":
                    os.fchmod(handle.fileno(), 0o600)  # mkstemp's default, said out loud
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SettingsWriteError(_write_message(self.path, exc)) from exc
        _fsync_folder(folder)

    def _aside_path(self, now: datetime) -> Path:
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.unreadable-{stamp}")
        n = 1
        while aside.exists() or aside.is_symlink():  # two resets in one second keep both files
            n += 1
            aside = self.path.with_name(f"{self.path.name}.unreadable-{stamp}-{n}")
        return aside


def _write_message(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"The settings could not be saved to {path}: {reason}. Nothing was changed."


def _fsync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder is synced (POSIX); best effort.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- JSON ------------------------------------------------------------------------------------

def _to_json(settings: Settings) -> dict:
    data: dict = {
        "version": VERSION,
        "active": settings.active,
        "profiles": [{f: getattr(p, f) for f in FIELDS} for p in settings.profiles],
        "manager_pin": None,
    }
    record = settings.manager_pin
    if record is not None:
        lock = record.lockout
        data["manager_pin"] = {
            "salt": record.salt, "hash": record.hash, "n": record.n, "r": record.r, "p": record.p,
            "lockout": {"failures": lock.failures, "locked_until": lock.locked_until,
                        "level": lock.level, "last_lockout": lock.last_lockout},
        }
    return data


def _from_json(data: object) -> Settings:
    """Settings from the parsed file; ValueError (or a lookup error) when it is not ours."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not a version 1 settings file")
    profiles: list[StoreProfile] = []
    for raw in data.get("profiles") or []:
        # The same rules as the form: a profile edited by hand into nonsense is not half-used.
        profile, errors = validate_profile(raw, other_names=[p.name for p in profiles])
        flags = [f for f in FLAGS if not isinstance(raw.get(f, False), bool)]
        if profile is None or flags:
            raise ValueError(f"a store profile breaks the rules ({', '.join(sorted(errors) or flags)})")
        profiles.append(profile)
    settings = Settings(profiles=tuple(profiles), manager_pin=_pin_from_json(data.get("manager_pin")))
    active = data.get("active")
    if isinstance(active, str) and settings.profile(active) is not None:
        settings = settings.with_active(active)
    elif profiles:
        settings = settings.with_active(profiles[0].name)
    return settings


def _pin_from_json(raw: object) -> ManagerPinRecord | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("manager_pin is not an object")
    lock = raw.get("lockout") or {}
    lockout = PinLockout(
        failures=_int(lock.get("failures", 0)),
        locked_until=_number(lock.get("locked_until", 0.0)),
        level=_int(lock.get("level", 0)),
        last_lockout=_number(lock.get("last_lockout", 0.0)),
    )
    salt, digest = raw["salt"], raw["hash"]
    if not (isinstance(salt, str) and isinstance(digest, str) and salt and digest):
        raise ValueError("manager_pin has no salt or hash")
    return ManagerPinRecord(salt=salt, hash=digest, n=_int(raw["n"]), r=_int(raw["r"]),
                            p=_int(raw["p"]), lockout=lockout)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("expected a whole number")
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError("expected a number")
    return float(value)
