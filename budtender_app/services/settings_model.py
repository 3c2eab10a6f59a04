"""What the settings file holds, as immutable values: store profiles, the active store, the manager PIN.

Pure data (no I/O): SettingsStore (settings_store.py) reads and writes it. None of these has a
field for an API key, a PIN or a phone number, so none can reach the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.settings import StoreProfile, same_name

__all__ = ["ManagerPinRecord", "PinLockout", "Settings"]


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
