"""What the terminal talks to, decided once at start: a real store or training."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import httpx

from budtender_app.domain.settings import DEFAULT_BASE_URL, StoreProfile, check_base_url
from budtender_app.services.aiq_client import AiqConfig
from budtender_app.services.credentials import DEFAULT_STORE, CredentialStore, KeyringUnavailable
from budtender_app.services.paths import folders
from budtender_app.services.settings_store import SettingsStore, SettingsUnreadable
from budtender_app.simulator.seed import DEMO_API_KEY, DEMO_UID  # not core: a till never loads the simulator

TRAINING_STORE = "training"
DEMO_SHOPPERS = "Shoppers to try: (555) 123-4567, 987-6543, 222-3333"
DEMO_PHONES_HINT = "Training · shoppers (555) 123-4567, 987-6543, 222-3333"
SETTINGS_HINT = "A manager sets up the store under Settings (F12)."


class StartupError(Exception):
    """The terminal cannot start as asked; the message is for a manager."""


@dataclass
class Mode:
    training: bool
    config: AiqConfig
    store: str
    location: str
    skip_pin: bool = False
    notice: str = ""  # said once at start (why we are in training mode, for instance)
    profile: StoreProfile | None = None
    #: Training only because the store's settings file cannot be read: manager actions stay off.
    settings_unreadable: bool = False


def journal_path(mode: Mode) -> Path:
    """Training redemptions never share a journal (or an auditor's export) with real ones."""
    return folders().journal(training=mode.training)


def training_mode(notice: str = "", *, settings_unreadable: bool = False) -> Mode:
    return Mode(True, AiqConfig("https://simulator.invalid", DEMO_API_KEY, DEMO_UID), TRAINING_STORE,
                DEMO_PHONES_HINT, notice=notice, settings_unreadable=settings_unreadable)


def choose_mode(args: argparse.Namespace, settings: SettingsStore | None = None,
                credentials: CredentialStore | None = None) -> Mode:
    """The active store profile (or ``--store``) with its key from the keyring; training with
    ``--demo``, with nothing set up, or with no usable keyring (saying why)."""
    if args.demo:
        return training_mode()
    settings = settings or SettingsStore()
    credentials = credentials or CredentialStore()
    try:
        loaded = settings.read()
    except SettingsUnreadable as exc:  # the store profiles are in there: say so, not "set one up"
        return training_mode(f"{exc} Until then the terminal runs in training mode.", settings_unreadable=True)
    profile = loaded.profile(args.store) if args.store else loaded.active_profile
    name = profile.name if profile else (args.store or DEFAULT_STORE)
    try:
        stored = credentials.load(name)
    except KeyringUnavailable as exc:
        return training_mode(f"{exc} Until then the terminal runs in training mode.")
    if stored is None:
        if profile is not None:
            return training_mode(f"Store {name} has no AIQ API key in this computer's keyring, so the "
                                 f"terminal runs in training mode. {SETTINGS_HINT}")
        return training_mode(f"No store is set up, so the terminal runs in training mode. {SETTINGS_HINT}")
    try:
        base_url = check_base_url(args.base_url or (profile.base_url if profile else DEFAULT_BASE_URL))
    except ValueError as exc:
        raise StartupError(f"--base-url: {exc}") from None
    uid = profile.uid if profile else stored.uid
    return Mode(False, AiqConfig(base_url, stored.api_key, uid), name,
                f"Store {name} · AIQ {httpx.URL(base_url).host}", skip_pin=bool(profile and profile.skip_pin),
                profile=profile)
