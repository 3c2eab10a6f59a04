"""Staff accounts (issue 13): the store, its sign-in checks, and how the app and IT open it.

``open_staff_store(folders, clock=..., training=...)`` is the one way the app and the CLI open
the staff file: the real one with its lookup key from the OS keyring and the upgrade from the
old manager PIN; training's own file (``Folders.staff(training=True)``) with training's public
key and the demo staff list (domain/staff.TRAINING_STAFF), never touching the real one.
"""

from __future__ import annotations

from budtender_app.domain.clock import Clock
from budtender_app.domain.staff import TRAINING_STAFF, Actor, ActorKind
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.paths import Folders
from budtender_app.services.settings_store import SettingsStore
from budtender_app.services.staff.lookup import TRAINING_LOOKUP_KEY, keyring_lookup_key
from budtender_app.services.staff.schema import StaffStoreError
from budtender_app.services.staff.store import StaffStore

__all__ = ["StaffStore", "StaffStoreError", "open_staff_store"]

_TRAINING = Actor(ActorKind.TRAINING, "training mode")


def open_staff_store(folders: Folders, *, clock: Clock, training: bool = False,
                     credentials: CredentialStore | None = None, settings: SettingsStore | None = None) -> StaffStore:
    """The terminal's staff store (StaffStoreError when it cannot be opened, with IT's next step).

    credentials: where the lookup key lives (default: the OS keyring). settings: the file whose
    old manager PIN becomes the first manager (default: the real settings file).
    """
    path = folders.staff(training=training)
    if training:
        store = StaffStore(path, clock=clock, lookup_key=TRAINING_LOOKUP_KEY)
        store.seed(TRAINING_STAFF, by=_TRAINING)
        return store
    key = keyring_lookup_key(credentials or CredentialStore())
    settings = settings or SettingsStore(folders.settings_file())
    return StaffStore(path, clock=clock, lookup_key=key, read_manager_pin=lambda: settings.read().manager_pin)
