"""`budtender-app manager-pin reset` and `budtender-app settings check|reset`: IT's way back.

An unreadable settings file is never written over by the app (it holds the manager PIN and its
lockout), so the manager's F11/F12 stay refused until IT either puts the file back from a backup
(`settings check` then says it reads) or runs `settings reset`, which moves it aside for a
fresh setup. `settings reset` does nothing to a file that reads: `manager-pin reset` is for a
forgotten PIN, and the store profiles are the manager's to change.

Exit codes: 0 done / readable, 1 nothing to do / unreadable, 2 could not write.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.settings_store import (
    SettingsStore,
    SettingsUnreadable,
    SettingsWriteError,
)

EXIT_OK, EXIT_NOTHING, EXIT_FAILED = 0, 1, 2


def run_manager_pin(args: argparse.Namespace, *, store: SettingsStore | None = None) -> int:
    """`manager-pin reset`: forget the PIN and its lockout; refused over an unreadable file."""
    store = store or SettingsStore()
    try:
        ManagerPinGuard(store).reset()
    except SettingsUnreadable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_NOTHING
    except SettingsWriteError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    print("The manager PIN is forgotten. The next manager to open the settings chooses a new one.")
    return EXIT_OK


def run_settings(args: argparse.Namespace, *, store: SettingsStore | None = None,
                 clock: Callable[[], datetime] = SYSTEM_CLOCK) -> int:
    """`settings check` or `settings reset` (args.action)."""
    store = store or SettingsStore()
    if args.action == "check":
        return _check(store)
    try:
        aside = store.reset_unreadable(clock)
    except SettingsWriteError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    if aside is None:
        print(f"{store.path} can be read (or does not exist): nothing was reset. A forgotten manager PIN: "
              "budtender-app manager-pin reset.", file=sys.stderr)
        return EXIT_NOTHING
    print(f"The unreadable settings file was moved to {aside}. Start the terminal: a manager chooses a new "
          "manager PIN at F12 and enters the stores again.")
    return EXIT_OK


def _check(store: SettingsStore) -> int:
    try:
        settings = store.read()
    except SettingsUnreadable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_NOTHING
    pin = "a manager PIN is set" if settings.manager_pin else "no manager PIN yet"
    stores = ", ".join(f"{p.name} (locks after {p.idle_minutes} min idle)" for p in settings.profiles) or "no store"
    print(f"{store.path} reads: {stores}; {pin}.")
    return EXIT_OK
