"""What staff sign-in adds to the composition root (app.py), issue 13.

- ``open_staff(mode, folders, clock)``: the terminal's staff store (training's own demo list in
  training), or None with the words that say why it cannot open (no keyring, a damaged file).
- ``manager_approval(session, pin)``: with sign-in, managers approve with their own passcode
  (viewmodels/manager_approval.py); without, the shared manager PIN of before is asked.
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
from collections.abc import Callable
from typing import TYPE_CHECKING

from budtender_app.domain.actor import Acting, Actor, Approving, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.settings import DEFAULT_IDLE_MINUTES, StoreProfile
from budtender_app.services.paths import Folders
from budtender_app.services.staff import StaffStore, StaffStoreError, open_staff_store
from budtender_app.startup import Mode

if TYPE_CHECKING:
    from budtender_app.services.journal import Journal
    from budtender_app.services.manager_pin import ManagerPinGuard
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.manager_approval import ManagerApproval, Prompt
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


def staff_session(store: StaffStore | None, clock: Clock, journal: Journal | None = None,
                  profile: StoreProfile | None = None) -> StaffSession | None:
    """The session that says who acts (None: no staff store, the shared Counter acts); each
    sign-in and sign-out an audit event in ``journal`` (the shift report's shifts); locking after
    the store's idle time (its profile's; 10 minutes with no profile)."""
    if store is None:
        return None
    from budtender_app.viewmodels.staff_session import StaffSession

    return StaffSession(store, clock, on_shift=shift_recorder(journal) if journal is not None else None,
                        idle_seconds=profile.idle_seconds if profile else DEFAULT_IDLE_MINUTES * 60)


def shift_recorder(journal: Journal) -> Callable[[str, Actor, str], None]:
    """Sign-ins and sign-outs as the journal's audit events ("signed_in", "signed_out")."""
    def record(event: str, actor: Actor, detail: str) -> None:
        journal.record_event(event, staff=actor, detail=detail, verbatim=True)

    return record


def follow_idle_time(session: StaffSession, switch: ProfileSwitch) -> None:
    """A store's idle time saved in F12 applies without a restart, when the counter switches to the
    saved profile (at once, or when the sale in progress ends: viewmodels/profile_switch.py)."""

    def on_switched() -> None:
        session.idle_seconds = switch.current.idle_seconds

    switch.switched.connect(on_switched)


def acting_of(session: StaffSession | None) -> Acting:
    return session.actor if session is not None else acting_counter


def manager_approval(session: StaffSession | None, pin: ManagerPinGuard, *, settings_unreadable: bool = False,
                     ) -> tuple[ManagerApproval | None, Callable[[], Prompt], Approving | None]:
    """Who approves a manager's act, the prompt that asks it, and what the view models ask before
    each act (None: no sign-in, a typed name approves): with sign-in, a manager's own passcode (or
    a signed-in manager, asked nothing); without, the terminal's shared manager PIN.

    An unreadable settings file keeps manager actions off, with sign-in too (the manager-PIN prompt
    refuses and says what IT does): the store's settings cannot be changed safely, and the file
    may hold the PIN of a terminal that was never upgraded."""
    from budtender_app.viewmodels.manager_approval import ApprovalPrompt, ManagerApproval
    from budtender_app.viewmodels.manager_pin import ManagerPinViewModel

    if session is None:
        return None, lambda: ManagerPinViewModel(pin), None
    if settings_unreadable:  # the prompt refuses; the view models refuse too, on every path
        return None, lambda: ManagerPinViewModel(pin), _nobody_approves
    approval = ManagerApproval(session)
    return approval, lambda: ApprovalPrompt(approval), approval.approver


def _nobody_approves() -> Actor | None:
    return None


def add_sign_in(window: MainWindow, session: StaffSession | None, *, training: bool, notice: str,
                switch: ProfileSwitch | None = None) -> None:
    """Cover the counter with sign-in (and first-start setup when needed); or say sign-in is off."""
    from budtender_app.startup import DEMO_SHOPPERS
    from budtender_app.ui.counter.staff_wiring import StaffWiring, show_training_hints, warn_no_sign_in
    from budtender_app.viewmodels.first_setup import FirstSetup

    if session is None:
        if notice:
            warn_no_sign_in(window, notice)
        return
    store = session.store
    setup = FirstSetup(store) if not training and FirstSetup.needed(store) else None
    StaffWiring(window, session, setup=setup)
    window.closed.connect(session.quit)  # before the journal closes (app.py closes it after the window)
    if switch is not None:
        follow_idle_time(session, switch)
    if training:
        show_training_hints(window, session, shoppers=DEMO_SHOPPERS)
