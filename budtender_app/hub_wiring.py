"""The store hub's background push, as the composition root (app.py) starts it: one call after
the window shows, one at quit. Training never joins a hub (its redemptions are not real).

    hub = HubControl(services.journal.path, services.journal.seal, credentials, clock.now, training=..., checkout=...)
    show_hub(window, hub, clock.local, counter_side(services, vm, pending))  # starts it once the window is up

Manager settings' Store hub page (viewmodels/hub_settings.py) restarts it after a join and stops it
after a leave (``HubControl.restart``/``stop``): the pusher's thread is awaited before its journal
connection closes, and the settings cannot be opened mid-sale, so no checkout's claim is in flight.

Nothing here can stop the terminal from starting: no hub joined, no keyring, or a journal that
will not open read-only all mean "no hub push this run", logged for IT.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.journal import Journal, JournalError, Seal

if TYPE_CHECKING:  # psycopg loads with the hub, after the window shows: not at start-up
    from budtender_app.app import Services
    from budtender_app.domain.actor import Acting, Approving
    from budtender_app.domain.clock import Clock
    from budtender_app.services.hub.carry_out import HubSettler, Sender
    from budtender_app.services.hub.push import Terminal
    from budtender_app.services.hub.pusher import HubPusher, PushState
    from budtender_app.services.hub.staff_loop import HubStaffSync
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.checkout import Checkout
    from budtender_app.viewmodels.hub_reports import HubReports
    from budtender_app.viewmodels.hub_settings import HubSettingsViewModel
    from budtender_app.viewmodels.pending import PendingViewModel, ReportApi
    from budtender_app.viewmodels.profile_switch import ProfileSwitch
    from budtender_app.viewmodels.redemption import RedemptionViewModel
    from budtender_app.viewmodels.settings import SettingsViewModel
    from budtender_app.viewmodels.staff_session import StaffSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CounterSide:
    """What the store-wide Redemptions window and the settlements need of the running counter:
    its own (writable) journal and sender, which carry out other registers' managers' decisions
    (services/hub/carry_out.py), its AIQ client (AIQ's report), its clock, whether it may send
    now (never mid-checkout), and the Redemptions window's view model (it gets ``store_wide``)."""

    journal: Journal
    sender: Sender
    api: ReportApi
    clock: Clock
    may_send: Callable[[], bool]
    pending: PendingViewModel
    after: Callable[[], None] = lambda: None


class HubLink:
    """A running background push and the read-only journal connection it reads; and the staff
    accounts' sync (``staff``, None without sign-in)."""

    def __init__(self, pusher: HubPusher, journal: Journal, checkout: Checkout | None = None,
                 counter: CounterSide | None = None, staff: HubStaffSync | None = None) -> None:
        self.pusher = pusher
        self.staff = staff
        self._journal = journal
        self._checkout = checkout
        self._counter = counter

    def stop(self) -> None:
        """At quit (a push in flight ends in its thread; its batch commits or rolls back whole)."""
        self._unhook()
        self.pusher.stop()
        self._journal.close()

    async def aclose(self) -> None:
        """While the counter runs on (a manager left the hub): the push in flight ends first."""
        self._unhook()
        await self.pusher.aclose()
        self._journal.close()

    def _unhook(self) -> None:
        if self.staff is not None:  # a sync in flight ends in its thread; each write whole or not at all
            self.staff.stop()
        if self._checkout is not None:  # the counter claims and nudges no more
            self._checkout.claimer = None
            self._checkout.nudge = None
        if self._counter is not None:  # no whole-store view without the hub
            self._counter.pending.store_wide = None


def start_hub(journal_path: Path, seal: Seal, keys: CredentialStore, now: Callable[[], datetime], *,
              training: bool, on_state: Callable[[PushState], None] = lambda _s: None,
              checkout: Checkout | None = None, counter: CounterSide | None = None,
              staff: StaffSession | None = None) -> HubLink | None:
    """Start pushing this terminal's journal to its hub, and claim ``checkout``'s discounts on it
    (services/hub/claimer.py); with ``counter``, carry out the settlements addressed to it and
    give its Redemptions window the whole store's view; with ``staff``, share its store's accounts
    with the other registers (services/hub/staff_loop.py); None when there is no hub to push to."""
    if training or not hub_joined():
        return None
    from budtender_app.services.hub.claimer import HubClaimer
    from budtender_app.services.hub.config import HubConfig
    from budtender_app.services.hub.push import Terminal
    from budtender_app.services.hub.pusher import HubPusher

    try:
        args = HubConfig(keys).connect_args()
    except KeyringUnavailable:
        log.info("no keyring: the store hub is not used this run")
        return None
    if args is None:
        return None
    try:
        journal = Journal.open_read_only(journal_path, seal)
    except JournalError as exc:
        log.warning("the store hub push is off this run: %s", exc)
        return None
    terminal = Terminal(journal, socket.gethostname())
    pusher = HubPusher(terminal, args, now=now, on_state=on_state,
                       settler=_join_counter(counter, args, terminal, keys) if counter is not None else None)
    pusher.start()
    if checkout is not None:
        checkout.claimer = HubClaimer(args, store=checkout.store, terminal_id=terminal.id, terminal_name=terminal.name,
                                      now=now)
        checkout.nudge = pusher.nudge  # a checkout journaled: the hub hears of it now, not in a round
    return HubLink(pusher, journal, checkout, counter, _start_staff_sync(staff, args, checkout, terminal.id, now))


def _start_staff_sync(session: StaffSession | None, args: dict[str, Any], checkout: Checkout | None,
                      terminal_id: str, now: Callable[[], datetime]) -> HubStaffSync | None:
    """The staff accounts' own small loop; a session whose account was removed elsewhere ends."""
    if session is None:
        return None
    from budtender_app.services.hub.staff_loop import HubStaffSync

    sync = HubStaffSync(session.store, args, store=checkout.store if checkout is not None else "",
                        terminal_id=terminal_id, now=now, on_changed=lambda _applied: session.recheck())
    sync.start()
    return sync


def _join_counter(counter: CounterSide, args: dict[str, Any], terminal: Terminal,
                  keys: CredentialStore) -> HubSettler | None:
    """``join_counter`` with the store's key (the staff lookup key, which seals settlements); None
    when the keyring cannot give it: no settlement is filed or carried out unsealed."""
    from budtender_app.services.staff.lookup import keyring_lookup_key
    from budtender_app.services.staff.schema import StaffStoreError

    try:
        key = keyring_lookup_key(keys)
    except StaffStoreError as exc:
        log.warning("the store's settlements are off this run: %s", exc)
        return None
    return join_counter(counter, args, terminal, key)


def join_counter(counter: CounterSide, args: dict[str, Any], terminal: Terminal, key: bytes) -> HubSettler:
    """The store-wide view in the Redemptions window, and the settler of this terminal's rows;
    ``key``, the store's, seals each request filed here and checks each one carried out."""
    from budtender_app.services.hub.carry_out import HubSettler
    from budtender_app.services.hub.desk import HubDesk
    from budtender_app.viewmodels.store_redemptions import StoreWideViewModel

    pending = counter.pending
    desk = HubDesk(args, terminal_id=terminal.id, terminal_name=terminal.name, key=key)
    pending.store_wide = StoreWideViewModel(desk, counter.api, lambda: counter.journal.store, counter.clock,
                                            pending, acting=pending.acting, approving=pending.approving,
                                            record=counter.journal.record_event)
    return HubSettler(counter.journal, counter.sender, key=key, may_send=counter.may_send, after=counter.after)


class HubControl:
    """The running counter's hub: started once the window shows, restarted or stopped from Manager
    settings. ``on_state`` hears each push's state, and None once the push is stopped."""

    def __init__(self, journal_path: Path, seal: Seal, keys: CredentialStore, now: Callable[[], datetime], *,
                 training: bool, checkout: Checkout | None = None, staff: StaffSession | None = None) -> None:
        self.journal_path, self.seal, self.keys, self.now = journal_path, seal, keys, now
        self.training = training
        self._checkout = checkout
        self._staff = staff
        self.counter: CounterSide | None = None  # set by app.py once the Redemptions window's model exists
        self.link: HubLink | None = None
        self.on_state: Callable[[PushState | None], None] = lambda _s: None

    @property
    def running(self) -> bool:
        return self.link is not None

    def start(self) -> bool:
        """Start pushing to the hub joined now, if any (and none runs); True when a push runs."""
        if self.link is None:
            self.link = start_hub(self.journal_path, self.seal, self.keys, self.now, training=self.training,
                                  on_state=self._tell, checkout=self._checkout, counter=self.counter,
                                  staff=self._staff)
        return self.link is not None

    def _tell(self, state: PushState) -> None:
        self.on_state(state)  # the callable of the moment: show_hub sets it once the window is up

    async def restart(self) -> bool:
        """After a join: the push (and claims) move to the hub joined now."""
        await self.stop()
        return self.start()

    async def stop(self) -> None:
        """After a leave: no push, no claims; the push in flight ends in its thread first."""
        link, self.link = self.link, None
        if link is not None:
            await link.aclose()
            self.on_state(None)

    def close(self) -> None:
        """At quit."""
        link, self.link = self.link, None
        if link is not None:
            link.stop()

    def settings_page(self, *, approving: Approving | None, audit: Callable[[str], None] | None,
                      local: Callable[[datetime], datetime] | None = None) -> Callable[[], HubSettingsViewModel]:
        """Manager settings' Store hub page, made when the settings open (psycopg loads then)."""
        def make() -> HubSettingsViewModel:
            from budtender_app.services.hub.config import HubConfig
            from budtender_app.viewmodels.hub_settings import HubSettingsViewModel

            return HubSettingsViewModel(HubConfig(self.keys), self.journal_path, self.seal, training=self.training,
                                        runner=self, approving=approving, audit=audit, local=local)
        return make


def manager_settings(s: Services, checkout: Checkout, acting: Acting, approving: Approving | None,
                     switch: ProfileSwitch | None, session: StaffSession | None = None,
                     ) -> tuple[SettingsViewModel, HubControl]:
    """Manager settings' view model, its Store hub page and the counter's hub push (app.py's
    build_window): each saved change, a hub's join or leave among them, on the audit trail."""
    from budtender_app.viewmodels.settings import SettingsViewModel

    def audit(note: str) -> None:
        s.journal.record_event("settings_changed", staff=acting(), detail=note,
                               approver=approving() if approving is not None else None)

    settings_vm = SettingsViewModel(s.settings, s.profile_keys, s.tester, approving=approving, audit=audit,
                                    after_change=switch.settings_saved if switch else None,
                                    keyring_when_opened=True)  # two keyring reads fewer at start
    hub = HubControl(s.journal.path, s.journal.seal, s.credentials, s.clock.now, training=s.mode.training,
                     checkout=checkout, staff=session)
    settings_vm.hub_page = hub.settings_page(approving=approving, audit=audit, local=s.clock.local)
    return settings_vm, hub


def state_text(state: PushState, local: Callable[[datetime], datetime]) -> str:
    """The hub's state in the status bar's few words; never blocks, never alarms a cashier."""
    if state.unreachable_since is not None:
        return f"Hub unreachable since {local(state.unreachable_since):%H:%M}"
    if not state.chain_ok:
        return "Hub: this terminal's history does not match (IT: hub status)"
    if state.problem:
        return "Hub: not in sync (IT: hub status)"
    if state.waiting is None:
        return "Hub: connecting…"
    return "Hub: in sync" if state.in_sync else f"Hub: {state.waiting:,} events waiting"


def counter_side(services: Services, vm: RedemptionViewModel, pending: PendingViewModel) -> CounterSide:
    """The running counter's part in settlements and the whole store's view (app.py)."""
    s = services
    return CounterSide(s.journal, s.sender, s.client, s.clock, vm.may_send_queued, pending,
                       after=after_settlement(vm, pending))


def after_settlement(vm: RedemptionViewModel, pending: PendingViewModel) -> Callable[[], None]:
    """What the counter does once it carried out a settlement decided at another register: the
    Redemptions window's Pending tab (open or not) re-reads the journal, and the count updates."""
    def after() -> None:
        pending.refresh()
        vm.refresh_pending()
    return after


def show_hub(window: MainWindow, control: HubControl, local: Callable[[datetime], datetime],
             counter: CounterSide | None = None) -> None:
    """Start the push once the window is up (psycopg's import stays out of start-up) and show its
    state quietly at the status bar's left; stopped when the window closes. No hub: nothing shown.
    With ``counter``, this register carries out settlements and shows the whole store's view."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel

    label = QLabel(window)
    label.setObjectName("hub_state_label")
    label.hide()

    def on_state(state: PushState | None) -> None:
        if state is None:  # a manager left the hub
            label.hide()
            return
        label.setText(state_text(state, local))
        label.show()

    def begin() -> None:
        window.statusBar().addWidget(label)  # hidden until a push says something
        control.on_state = on_state
        control.counter = counter
        control.start()
        window.closed.connect(control.close)

    QTimer.singleShot(0, window, begin)


def hub_joined() -> bool:
    """Whether this terminal joined a hub (its file is there): asked before the hub's modules and
    psycopg load (~45 ms a start) or the keyring is read, so a till with no hub loads neither.
    With no file HubConfig.connect_args is None anyway: this changes when, not whether."""
    from budtender_app.services.paths import folders

    return folders().hub_file.exists()


class JoinedHub:
    """The hub as the manager's store-wide reports reach it (viewmodels/hub_reports.py ``HubAccess``):
    joined when its file is there (no keyring, no psycopg: asked when a window opens); the
    password is read from the keyring only when a report runs."""

    def __init__(self, keys: CredentialStore) -> None:
        self._keys = keys

    def joined(self) -> bool:
        return hub_joined()

    def connect_args(self) -> dict[str, object] | None:
        from budtender_app.services.hub.config import HubConfig

        return HubConfig(self._keys).connect_args()


def hub_reports(services: Services, approving: Approving | None) -> HubReports | None:
    """The store-wide reports of the Redemptions window, of the journal's store (its profile's, as
    a switch leaves it); None in training (it never reads a real hub)."""
    if services.mode.training:
        return None
    from budtender_app.viewmodels.hub_reports import HubReports

    return HubReports(JoinedHub(services.credentials), services.clock, approving=approving,
                      store=lambda: services.journal.store)
