"""What training mode adds to the composition root (app.py): the in-process simulator, the PIN it
"texts" and the sales it receives shown in the banner, the trainer's problems, and training's own settings.

Training never shares a file or a keyring entry with the real store: its journal and consent
record (``Folders.journal`` / ``consents``), its settings and manager PIN
(``Folders.settings_file(training=True)``) and the API keys a trainee saves from F12 (the
keyring service ``TRAINING_KEYRING_SERVICE``) are all its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from PySide6.QtCore import QObject, Signal

from budtender_app.services.aiq_client import DEFAULT_TIMEOUT, default_timeout
from budtender_app.services.credentials import SERVICE, CredentialStore
from budtender_app.services.paths import Folders
from budtender_app.services.settings_store import SettingsStore
from budtender_app.startup import Mode

if TYPE_CHECKING:
    from budtender_app.simulator.core import Simulator
    from budtender_app.ui.counter.banner import TrainingBanner
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.training import TrainingViewModel

DEMO_LATENCY = 0.35  # seconds: trainees should see the progress a real call shows
#: Where a trainee's F12 keeps the API keys it saves: never the real store's entries.
TRAINING_KEYRING_SERVICE = SERVICE + "-training"


class _PinRelay(QObject):
    """Carries the simulator's "texted" PIN, and what its feeds received, to the training banner
    (queued to the banner's thread when the simulator answered on another: the test server's)."""

    pin_sent = Signal(str, str)
    received = Signal(str)


def build_http(mode: Mode) -> tuple[httpx.AsyncClient, Simulator | None]:
    """The one httpx client; in training mode it talks to an in-process simulator (returned too)."""
    if not mode.training:
        return httpx.AsyncClient(timeout=default_timeout(), follow_redirects=False), None
    from budtender_app.simulator.core import Simulator
    from budtender_app.simulator.transport import SimulatorTransport

    simulator = Simulator(base_url=mode.config.base_url)
    transport = SimulatorTransport(simulator, latency=DEMO_LATENCY)
    return httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT), simulator


def show_texted_pins(simulator: Simulator, banner: TrainingBanner) -> _PinRelay:
    """Training: the PIN the simulator "texted" appears in the banner, and so does each sale (or
    member or inventory batch) its feeds receive: "AIQ (simulated) received sale POS-1001,
    $42.00, 1 line", so a trainer sees a checkout's sale arrive. Keep the relay alive."""
    relay = _PinRelay(banner)
    relay.pin_sent.connect(banner.show_pin)
    relay.received.connect(banner.show_received)
    simulator.on_pin_sent = lambda digits, pin: relay.pin_sent.emit(f"***-***-{digits[-4:]}", pin)
    simulator.on_feed_received = relay.received.emit
    return relay


def settings_for(mode: Mode, folders: Folders, real: SettingsStore,
                 credentials: CredentialStore) -> tuple[SettingsStore, CredentialStore]:
    """The settings file (profiles, manager PIN) and the keyring F12 saves API keys in: the real
    store's, or training's own so that a trainee can explore F12 without touching them."""
    if not mode.training or mode.settings_unreadable:
        # Training because the store's own settings cannot be read: manager actions stay refused
        # (as the start-up notice says) rather than open training's, where a manager would set up
        # the store in a file the real terminal never reads.
        return real, credentials
    return (SettingsStore(folders.settings_file(training=True)),
            CredentialStore(service=TRAINING_KEYRING_SERVICE))


def add_trainer_controls(window: MainWindow, simulator: Simulator) -> TrainingViewModel:
    """Training: the banner's "Practise a problem…" button, wired to the simulator's problems."""
    from budtender_app.ui.counter.training_faults import open_training_faults
    from budtender_app.viewmodels.training import TrainingViewModel

    vm = TrainingViewModel(simulator.faults, parent=window)
    banner = window.banner
    vm.changed.connect(lambda: banner.show_practice(vm.status_text()))
    banner.add_practice(lambda: open_training_faults(vm, window))
    return vm
