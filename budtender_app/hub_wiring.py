"""The store hub's background push, as the composition root (app.py) starts it: one call after
the window shows, one at quit. Training never joins a hub (its redemptions are not real).

    hub = start_hub(services.journal.path, services.journal.seal, credentials, clock, training=...)
    ...
    if hub: hub.stop()

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
    from budtender_app.domain.clock import Clock
    from budtender_app.services.hub.carry_out import HubSettler, Sender
    from budtender_app.services.hub.push import Terminal
    from budtender_app.services.hub.pusher import HubPusher, PushState
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.checkout import Checkout
    from budtender_app.viewmodels.pending import PendingViewModel, ReportApi
    from budtender_app.viewmodels.redemption import RedemptionViewModel

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
    """A running background push and the read-only journal connection it reads."""

    def __init__(self, pusher: HubPusher, journal: Journal) -> None:
        self.pusher = pusher
        self._journal = journal

    def stop(self) -> None:
        """At quit (a push in flight ends in its thread; its batch commits or rolls back whole)."""
        self.pusher.stop()
        self._journal.close()


def start_hub(journal_path: Path, seal: Seal, keys: CredentialStore, now: Callable[[], datetime], *,
              training: bool, on_state: Callable[[PushState], None] = lambda _s: None,
              checkout: Checkout | None = None, counter: CounterSide | None = None) -> HubLink | None:
    """Start pushing this terminal's journal to its hub, and claim ``checkout``'s discounts on it
    (services/hub/claimer.py); with ``counter``, carry out the settlements addressed to it and
    give its Redemptions window the whole store's view; None when there is no hub to push to."""
    if training:
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
                       settler=join_counter(counter, args, terminal) if counter is not None else None)
    pusher.start()
    if checkout is not None:
        checkout.claimer = HubClaimer(args, store=checkout.store, terminal_id=terminal.id, terminal_name=terminal.name,
                                      now=now)
    return HubLink(pusher, journal)


def hub_starter(services: Services, vm: RedemptionViewModel,
                pending: PendingViewModel) -> Callable[[Callable[[PushState], None]], HubLink | None]:
    """``show_hub``'s start for the app (app.py): the push, the claims, the settlements and the
    whole store's view in the Redemptions window, all from the counter's own services."""
    s = services
    return lambda on_state: start_hub(
        s.journal.path, s.journal.seal, s.credentials, s.clock.now, training=s.mode.training, on_state=on_state,
        checkout=vm.till, counter=CounterSide(s.journal, s.sender, s.client, s.clock, vm.may_send_queued, pending,
                                              after=vm.refresh_pending))


def join_counter(counter: CounterSide, args: dict[str, Any], terminal: Terminal) -> HubSettler:
    """The store-wide view in the Redemptions window, and the settler of this terminal's rows."""
    from budtender_app.services.hub.carry_out import HubSettler
    from budtender_app.services.hub.desk import HubDesk
    from budtender_app.viewmodels.store_redemptions import StoreWideViewModel

    pending = counter.pending
    desk = HubDesk(args, terminal_id=terminal.id, terminal_name=terminal.name)
    pending.store_wide = StoreWideViewModel(desk, counter.api, lambda: counter.journal.store, counter.clock,
                                            pending, acting=pending.acting, approving=pending.approving)
    return HubSettler(counter.journal, counter.sender, may_send=counter.may_send, after=counter.after)


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


def show_hub(window: MainWindow, start: Callable[[Callable[[PushState], None]], HubLink | None],
             local: Callable[[datetime], datetime]) -> None:
    """Start the push once the window is up (psycopg's import stays out of start-up) and show its
    state quietly at the status bar's left; stopped when the window closes. No hub: nothing shown."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel

    label = QLabel(window)
    label.setObjectName("hub_state_label")
    label.hide()

    def on_state(state: PushState) -> None:
        label.setText(state_text(state, local))
        label.show()

    def begin() -> None:
        link = start(on_state)
        if link is None:
            return
        window.statusBar().addWidget(label)
        window.closed.connect(link.stop)

    QTimer.singleShot(0, window, begin)
