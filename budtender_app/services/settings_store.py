"""The settings file: store profiles, the active store and the manager PIN's hash, as JSON.

It lives in the platform's config folder (platformdirs). It never holds an API key (the OS
keyring does), a PIN (only its scrypt hash) or a phone number: only the dataclasses below are
written, and none of them has a field for one.

Writes are atomic (temp file in the same folder, fsync, os.replace) and private (0600 on POSIX),
so a crash or a full disk leaves the old file whole. A file that cannot be read is moved aside
(settings.json.corrupt-<time>) and the terminal starts empty: a manager sets it up again, and
IT still has the old file to look at.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from budtender_app.domain.settings import FIELDS, StoreProfile, same_name, validate_profile

log = logging.getLogger(__name__)

APP_DIR_NAME = "budtender-app"
FILE_NAME = "settings.json"
VERSION = 1


def default_settings_path() -> Path:
    """settings.json in this user's config folder (XDG_CONFIG_HOME, %APPDATA%, ~/Library/...)."""
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)) / FILE_NAME


class SettingsWriteError(Exception):
    """The settings file could not be written; the old one, if any, is untouched."""


@dataclass(frozen=True, slots=True)
class PinLockout:
    """Wrong manager PINs so far and the lock they earned; kept in the file to survive a restart.

    level: how many lockouts in a row (sets the next lock's length); last_lockout: when the
    latest began (epoch seconds), so the level can cool down.
    """

    failures: int = 0
    locked_until: float = 0.0
    level: int = 0
    last_lockout: float = 0.0


@dataclass(frozen=True, slots=True)
class ManagerPinRecord:
    """The manager PIN as stored: an scrypt hash and its parameters (base64), never the PIN."""

    salt: str
    hash: str
    n: int
    r: int
    p: int
    lockout: PinLockout = field(default_factory=PinLockout)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything in the settings file. Immutable: the with_* helpers return a changed copy."""

    profiles: tuple[StoreProfile, ...] = ()
    active: str | None = None
    manager_pin: ManagerPinRecord | None = None

    def profile(self, name: str | None) -> StoreProfile | None:
        """The profile with this name (case ignored), or None."""
        if name is None:
            return None
        return next((p for p in self.profiles if same_name(p.name, name)), None)

    @property
    def active_profile(self) -> StoreProfile | None:
        return self.profile(self.active)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    def with_profile(self, profile: StoreProfile) -> Settings:
        """Add the profile, or replace the one with its name in place; the first becomes active."""
        profiles = list(self.profiles)
        index = next((i for i, p in enumerate(profiles) if same_name(p.name, profile.name)), None)
        if index is None:
            profiles.append(profile)
        else:
            profiles[index] = profile
        active = self.active
        if active is None or (index is not None and same_name(active, profile.name)):
            active = profile.name  # follows a change of case in the active store's name
        return replace(self, profiles=tuple(profiles), active=active)

    def without_profile(self, name: str) -> Settings:
        """Drop the profile; when it was the active one the next left (if any) takes over."""
        profiles = tuple(p for p in self.profiles if not same_name(p.name, name))
        active = self.active
        if active is not None and same_name(active, name):
            active = profiles[0].name if profiles else None
        return replace(self, profiles=profiles, active=active)

    def with_active(self, name: str) -> Settings:
        """Make the named profile active; KeyError when there is none by that name."""
        profile = self.profile(name)
        if profile is None:
            raise KeyError(name)
        return replace(self, active=profile.name)

    def with_manager_pin(self, record: ManagerPinRecord | None) -> Settings:
        return replace(self, manager_pin=record)


class SettingsStore:
    """Reads and writes the settings file. path=None: the user's config folder."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_settings_path()

    def load(self) -> Settings:
        """The saved settings; empty ones when there is no file or it cannot be read."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            # Unreadable (permissions...): start empty but leave the file for IT to look at.
            log.warning("Cannot read the settings file %s (%s); starting with no settings",
                        self.path, type(exc).__name__)
            return Settings()
        try:
            return _from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self._move_aside(exc)
            return Settings()

    def save(self, settings: Settings) -> None:
        """Write the settings atomically; SettingsWriteError (old file untouched) when it fails."""
        text = json.dumps(_to_json(settings), indent=2, ensure_ascii=False) + "\n"
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{FILE_NAME}.", suffix=".tmp")
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

    def _move_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{FILE_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
        except OSError:
            aside = self.path  # could not move it: it stays, and the next save replaces it
        # Only the error's kind: its text could quote the file, and the file is not ours to log.
        log.warning("The settings file could not be read (%s); it was kept as %s and the terminal "
                    "starts with no settings", type(exc).__name__, aside)


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
        if profile is None or not isinstance(raw.get("skip_pin", False), bool):
            raise ValueError(f"a store profile breaks the rules ({', '.join(sorted(errors)) or 'skip_pin'})")
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
