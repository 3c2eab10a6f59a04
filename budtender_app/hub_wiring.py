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

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.hub.config import HubConfig
from budtender_app.services.hub.push import Terminal
from budtender_app.services.hub.pusher import HubPusher, PushState
from budtender_app.services.journal import Journal, JournalError, Seal

log = logging.getLogger(__name__)


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
              training: bool, on_state: Callable[[PushState], None] = lambda _s: None) -> HubLink | None:
    """Start pushing this terminal's journal to its hub; None when there is none to push to."""
    if training:
        return None
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
    pusher = HubPusher(Terminal(journal, socket.gethostname()), args, now=now, on_state=on_state)
    pusher.start()
    return HubLink(pusher, journal)
