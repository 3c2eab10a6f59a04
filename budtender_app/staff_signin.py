"""What staff sign-in adds to the composition root (app.py), issue 13.

- ``open_staff(mode, folders, clock)``: the terminal's staff store (training's own demo list in
  training), or None with the words that say why it cannot open (no keyring, a damaged file).
- ``add_sign_in(window, services)``: the StaffSession over the counter (sign-in screen, first-start
  setup on a real terminal with no manager, the demo passcodes in the training banner); its
  ``actor`` is then who acts on every journal, consent and settings event.

Decision (for now): when the staff store cannot open, the counter still starts, without sign-in,
as the shared "Counter" (attribution as before sign-in existed), with a red line in the status
bar saying sign-in is off and why, and the same at ERROR in the log. Refusing to start would stop
every sale of a store over a keyring problem; redemptions still need the shopper's PIN. A later
change may let a store choose to refuse instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from budtender_app.domain.actor import Acting, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.settings import DEFAULT_IDLE_MINUTES, StoreProfile
from budtender_app.services.paths import Folders
from budtender_app.services.staff import StaffStore, StaffStoreError, open_staff_store
from budtender_app.startup import Mode

if TYPE_CHECKING:
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.profile_switch import ProfileSwitch
    from budtender_app.viewmodels.staff_session import StaffSession

log = logging.getLogger(__name__)

NO_SIGN_IN = "Staff sign-in is off, so everything is recorded as \"Counter\": {why}"


def open_staff(mode: Mode, folders: Folders, clock: Clock) -> tuple[StaffStore | None, str]:
    """The staff store for this mode, or (None, why sign-in is off)."""
    try:
        return open_staff_store(folders, clock=clock, training=mode.training), ""
    except StaffStoreError as exc:
        log.error("staff sign-in is off: %s", exc)  # noqa: TRY400 - its words say it all (no traceback)
        return None, NO_SIGN_IN.format(why=exc)


def staff_session(store: StaffStore | None, clock: Clock, profile: StoreProfile | None = None) -> StaffSession | None:
    """The session that says who acts (None: no staff store, the shared Counter acts), locking
    after the store's idle time (its profile's; 10 minutes with no profile)."""
    if store is None:
        return None
    from budtender_app.viewmodels.staff_session import StaffSession

    return StaffSession(store, clock, idle_seconds=profile.idle_seconds if profile else DEFAULT_IDLE_MINUTES * 60)


def follow_idle_time(session: StaffSession, switch: ProfileSwitch) -> None:
    """A store's idle time saved in F12 applies without a restart, when the counter switches to the
    saved profile (at once, or when the sale in progress ends: viewmodels/profile_switch.py)."""

    def on_switched() -> None:
        session.idle_seconds = switch.current.idle_seconds

    switch.switched.connect(on_switched)


def acting_of(session: StaffSession | None) -> Acting:
    return session.actor if session is not None else acting_counter


def add_sign_in(window: MainWindow, session: StaffSession | None, *, training: bool, notice: str,
                switch: ProfileSwitch | None = None) -> None:
    """Cover the counter with sign-in (and first-start setup when needed); or say sign-in is off."""
    from budtender_app.ui.counter.staff_wiring import StaffWiring, training_staff_note, warn_no_sign_in
    from budtender_app.viewmodels.first_setup import FirstSetup

    if session is None:
        if notice:
            warn_no_sign_in(window, notice)
        return
    store = session.store
    setup = FirstSetup(store) if not training and FirstSetup.needed(store) else None
    StaffWiring(window, session, setup=setup)
    if switch is not None:
        follow_idle_time(session, switch)
    if training:
        window.banner.show_staff(training_staff_note())
