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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.journal import Journal, JournalError, Seal

if TYPE_CHECKING:  # psycopg loads with the hub, after the window shows: not at start-up
    from budtender_app.services.hub.pusher import HubPusher, PushState
    from budtender_app.services.hub.staff_loop import HubStaffSync
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.checkout import Checkout
    from budtender_app.viewmodels.staff_session import StaffSession

log = logging.getLogger(__name__)


class HubLink:
    """A running background push and the read-only journal connection it reads; and the staff
    accounts' sync (``staff``, None without a staff store)."""

    def __init__(self, pusher: HubPusher, journal: Journal, staff: HubStaffSync | None = None) -> None:
        self.pusher = pusher
        self.staff = staff
        self._journal = journal

    def stop(self) -> None:
        """At quit (a push in flight ends in its thread; its batch commits or rolls back whole)."""
        self.pusher.stop()
        if self.staff is not None:
            self.staff.stop()
        self._journal.close()


def start_hub(journal_path: Path, seal: Seal, keys: CredentialStore, now: Callable[[], datetime], *,
              training: bool, on_state: Callable[[PushState], None] = lambda _s: None,
              checkout: Checkout | None = None, staff: StaffSession | None = None) -> HubLink | None:
    """Start pushing this terminal's journal to its hub, claim ``checkout``'s discounts on it
    (services/hub/claimer.py) and share the accounts of ``staff``'s store with the store's other
    registers (services/hub/staff_loop.py; a session whose account was removed elsewhere ends);
    None when there is no hub to push to."""
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
    pusher = HubPusher(terminal, args, now=now, on_state=on_state)
    pusher.start()
    if checkout is not None:
        checkout.claimer = HubClaimer(args, store=checkout.store, terminal_id=terminal.id, terminal_name=terminal.name,
                                      now=now)
    return HubLink(pusher, journal, _start_staff_sync(staff, args, checkout, terminal.id, now))


def _start_staff_sync(session: StaffSession | None, args: dict[str, Any], checkout: Checkout | None,
                      terminal_id: str, now: Callable[[], datetime]) -> HubStaffSync | None:
    if session is None:
        return None
    from budtender_app.services.hub.staff_loop import HubStaffSync

    sync = HubStaffSync(session.store, args, store=checkout.store if checkout is not None else "",
                        terminal_id=terminal_id, now=now, on_changed=lambda _applied: session.recheck())
    sync.start()
    return sync


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
