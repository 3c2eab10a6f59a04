"""The composition root's part in switching the running counter to a saved store profile.

app.py builds the services once; when a manager saves in F12 (``viewmodels/profile_switch.py``
decides when), this module reads the profile the way a restart would (``startup.choose_mode``,
the same command-line ``--store`` / ``--base-url``), and re-points the one AiqClient to it over
a new httpx client. Training keeps its simulator: a trainee's profile changes the store name on
receipts and slips, the brand and the PIN setting, never what the counter talks to.
"""

from __future__ import annotations

import argparse
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.settings import DEFAULT_IDLE_MINUTES
from budtender_app.domain.transaction_pattern import ANY, parse_pattern
from budtender_app.services.aiq_client import default_timeout
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.logs import RedactingFilter
from budtender_app.services.settings_store import SettingsStore, SettingsUnreadable
from budtender_app.startup import Mode, choose_mode
from budtender_app.viewmodels.profile_switch import ProfileSwitch, Target

if TYPE_CHECKING:
    from budtender_app.app import Services
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.redemption import RedemptionViewModel

log = logging.getLogger(__name__)


def counter_info(mode: Mode) -> CounterInfo:
    """Who this counter is on receipts, slips and consent records."""
    profile = mode.profile
    return CounterInfo(brand=profile.brand if profile else "Training Dispensary",
                       country=profile.country if profile else "US",
                       store=profile.name if profile else mode.store,
                       store_id=profile.store_id if profile else "", terminal=socket.gethostname())


def target_of(mode: Mode) -> Target:
    """What the counter uses of ``mode``."""
    profile = mode.profile
    return Target(store=mode.store, location=mode.location, config=mode.config, skip_pin=mode.skip_pin,
                  counter=counter_info(mode),
                  receipt_links=(profile.wallet_url, profile.signup_url) if profile else ("", ""),
                  idle_seconds=profile.idle_seconds if profile else DEFAULT_IDLE_MINUTES * 60,
                  transaction_ids=parse_pattern(profile.transaction_pattern) if profile else ANY,
                  send_sales=bool(profile and profile.send_sales))


def with_training_profile(mode: Mode, settings: SettingsStore) -> Mode | str:
    """Training with the trainee's active profile (training's own settings) for names and the PIN
    setting; the simulator, its journal store and location stay. A sentence when unreadable."""
    try:
        profile = settings.read().active_profile
    except SettingsUnreadable as exc:
        return str(exc)
    return Mode(True, mode.config, mode.store, mode.location, skip_pin=bool(profile and profile.skip_pin),
                notice=mode.notice, profile=profile, settings_unreadable=mode.settings_unreadable)


def reader(args: argparse.Namespace, mode: Mode, settings: SettingsStore, keys: CredentialStore,
           redactor: RedactingFilter) -> Callable[[], Target | str]:
    """What a restart would use now, as a Target (or why the running counter cannot use it)."""

    def read() -> Target | str:
        if mode.training:
            changed = with_training_profile(mode, settings)
            return changed if isinstance(changed, str) else target_of(changed)
        new = choose_mode(args, settings, keys)
        if new.training:  # no key, no keyring, or no store any more: not something to switch to live
            return (f"The counter keeps using {mode.store} until the terminal is started again, "
                    f"when this applies: {new.notice}")
        redactor.add_secret(new.config.api_key)  # before any request carries it
        return target_of(new)

    return read


def rebinder(services: Services) -> Callable[[Target], Callable[[], Awaitable[None]] | None]:
    """Re-point the AiqClient to a target over a new httpx client; returns the old one's closer.
    Training keeps its simulator's client: a trainee's profile never reaches a real AIQ."""

    def rebind(target: Target) -> Callable[[], Awaitable[None]] | None:
        if services.mode.training:
            return None
        http = httpx.AsyncClient(timeout=default_timeout(), follow_redirects=False)
        old = services.client.switch_to(http, target.config)
        services.http = http  # the one app.py closes at quit
        return old.aclose

    return rebind


def add_profile_switch(services: Services, vm: RedemptionViewModel, pending_vm: PendingViewModel,
                       read: Callable[[], Target | str]) -> ProfileSwitch:
    """The counter's profile switch, keeping ``services`` (mode, counter) in step with it."""
    switch = ProfileSwitch(target_of(services.mode), vm, services.journal, read_target=read,
                           rebind=rebinder(services), idle=(vm.wait_idle, pending_vm.wait_idle),
                           stores=lambda: _store_names(services.settings), parent=vm)

    def on_switched() -> None:
        current = switch.current
        services.counter = current.counter  # the next loyalty window's consent record names it
        services.mode.store, services.mode.location = current.store, current.location
        services.mode.config, services.mode.skip_pin = current.config, current.skip_pin

    switch.switched.connect(on_switched)
    return switch


def _store_names(settings: SettingsStore) -> set[str]:
    try:
        return {p.name for p in settings.read().profiles}
    except SettingsUnreadable:
        return set()
