"""Composition root: builds every service once, hands them down, runs the Qt + asyncio loop."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import gc
import logging
import signal
import socket
import sys
from pathlib import Path

# Everything that needs no Qt is imported before PySide6: PySide6 hooks every import after its
# own and reads each new module's source (looking for ``from __feature__``). About 30 ms of
# start-up on a till, for modules that never touch Qt.
import httpx
import PySide6  # noqa: F401  - before qasync, so qasync binds to PySide6
import qasync
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from budtender_app import APP_NAME, __version__
from budtender_app.domain import eligibility, flow, money, receipt, redemption, wallet  # noqa: F401 - see above
from budtender_app.domain.clock import Clock
from budtender_app.domain.consent import CounterInfo
from budtender_app.services.aiq_client import DEFAULT_TIMEOUT, AiqClient, AiqConfig, RateLimiter, default_timeout
from budtender_app.services.consent_log import ConsentLog, ConsentLogError, consent_key, default_consent_path
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.journal import JournalError
from budtender_app.services.journal_guard import JournalGuard, utc_now
from budtender_app.services.logs import setup_logging
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.services.settings_store import SettingsStore
from budtender_app.startup import Mode, StartupError, choose_mode, data_dir, journal_path, log_dir

log = logging.getLogger(__name__)

DEMO_LATENCY = 0.35  # seconds: trainees should see the progress a real call shows


class _PinRelay(QObject):
    """Carries the simulator's "texted" PIN to the training banner."""

    pin_sent = Signal(str, str)


def make_event_loop() -> asyncio.AbstractEventLoop:
    """The Qt event loop asyncio runs on (tests use this one too).

    Its executor (name look-ups, file I/O) is a plain thread pool: qasync's default makes ten
    QThreads whose teardown from another thread makes Qt warn about timers.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app, already_running=False)
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="io"))
    return loop


def build_http(mode: Mode) -> tuple[httpx.AsyncClient, object | None]:
    """The one httpx client; in training mode it talks to an in-process simulator (returned too)."""
    if not mode.training:
        return httpx.AsyncClient(timeout=default_timeout(), follow_redirects=False), None
    from budtender_app.simulator.core import Simulator
    from budtender_app.simulator.transport import SimulatorTransport

    simulator = Simulator(base_url=mode.config.base_url)
    transport = SimulatorTransport(simulator, latency=DEMO_LATENCY)
    return httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT), simulator


def show_texted_pins(simulator, banner) -> _PinRelay:
    """Training: the PIN the simulator "texted" appears in the banner. Keep the relay alive."""
    relay = _PinRelay(banner)
    relay.pin_sent.connect(banner.show_pin)
    simulator.on_pin_sent = lambda digits, pin: relay.pin_sent.emit(f"***-***-{digits[-4:]}", pin)
    return relay


def _close_on_signals(window) -> QTimer:
    """SIGTERM / Ctrl+C close the window without asking about a sale in progress (it is saved
    and offered at the next start); it still refuses while redeeming."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: QTimer.singleShot(0, window.close_without_asking))
    # Python runs signal handlers only between bytecodes: wake it up now and then.
    heartbeat = QTimer(window)
    heartbeat.start(300)
    heartbeat.timeout.connect(lambda: None)
    return heartbeat


# What httpx imports on its first request (anyio's asyncio backend: about 30 modules, 30 ms).
FIRST_REQUEST_MODULES = ("anyio._backends._asyncio", "anyio._core._sockets", "anyio.streams.tls", "anyio.to_thread")


def _import_first_request_modules() -> None:
    import importlib

    from budtender_app.domain.phone import parse_phone

    for name in FIRST_REQUEST_MODULES:
        importlib.import_module(name)
    parse_phone("(555) 010-0000")  # phonenumbers loads a country's rules at its first number


async def warm_up(window=None) -> None:
    """Right after the window shows: what the first sale would otherwise do on the GUI thread,
    freezing its screen. In a worker thread, the imports (httpx's backend, the phone rules);
    then the window draws each screen once, off screen (MainWindow.prepare_screens); then the
    first full garbage collection."""
    try:
        await asyncio.to_thread(_import_first_request_modules)
        if window is not None:
            await window.prepare_screens()
    except Exception:
        log.debug("warm-up failed", exc_info=True)
    # Python's full garbage collection walks every object, and the first one after start-up
    # (15-25 ms on the GUI thread) fell in the first sale, as its PIN went out. Collect now,
    # while the counter is idle, and freeze what start-up built (it lives as long as the app):
    # later collections walk only what the sales make.
    gc.collect()
    gc.freeze()


async def _serve(window, vm, closing: list, crash) -> None:
    asyncio.get_running_loop().set_exception_handler(crash.on_loop_exception)
    closed = asyncio.get_running_loop().create_future()

    def on_window_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_window_closed)
    _close_on_signals(window)
    window.show()
    window.raise_()
    window.activateWindow()
    log.info("window shown")
    vm.start_resume()
    warming = asyncio.ensure_future(warm_up(window))
    await closed
    log.info("closing")
    await warming
    vm.stop_background()
    await vm.wait_idle()
    for close in closing:
        await close()


class ConnectionTester:
    """Settings' "Test connection": one cheap authenticated call to the AIQ being set up.

    Its own httpx client (never the training simulator's), made on first use: building one
    loads the system's CA certificates, about 50 ms that start-up need not wait for.
    """

    def __init__(self) -> None:
        self._http: httpx.AsyncClient | None = None

    async def __call__(self, profile, credentials) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
        await AiqClient(self._http, AiqConfig(profile.base_url, credentials.api_key, credentials.uid)).check_connection()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


def found_at_start(entries) -> str:
    """What the journal held from before, in a sentence for the cashier (empty when nothing)."""
    if not entries:
        return ""
    unknown = sum(1 for e in entries if e.needs_manager)
    unsent = len(entries) - unknown
    parts = []
    if unsent:
        parts.append(f"{unsent} redemption(s) from before never reached AIQ: sending them now")
    if unknown:
        parts.append(f"{unknown} redemption(s) have no answer from AIQ: a manager must check them (F11)")
    return ". ".join(parts) + "."


def _refuse_to_start(message: str) -> int:
    """Say why the terminal will not start (stderr, the log and a dialog); the exit code."""
    from PySide6.QtWidgets import QMessageBox

    print(message, file=sys.stderr, flush=True)
    log.error("refused to start: %s", message.replace("\n", " "))
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, message)
    box.setObjectName("refusal_box")
    box.exec()  # before the event loop runs: nothing else is waiting on it
    return 1


def _logging(args: argparse.Namespace):
    """Logging to stderr and the log folder; (redactor, why the log folder is unusable or "")."""
    try:
        return setup_logging(debug=args.debug, log_dir=log_dir()), ""
    except OSError as exc:
        return setup_logging(debug=args.debug, log_dir=None), (
            f"The terminal cannot write its log in {log_dir()} ({exc.strerror or exc}), so it will not start: "
            "what it does at the counter must be on record.\n\nIT: make that folder writable for this "
            "computer user, check the disk is not full, then start the terminal again.")


def open_journal(mode: Mode, credentials: CredentialStore, clock=utc_now):
    """The checked journal for this mode and what to tell the manager about it; JournalError
    (JournalRefused, JournalLocked) when the terminal must not start (``journal_guard``)."""
    guard = JournalGuard(journal_path(mode), credentials, training=mode.training)
    journal = guard.open(store=mode.store, terminal=socket.gethostname(), clock=clock)
    return journal, guard.notices


def run_app(args: argparse.Namespace) -> int:
    from budtender_app.ui.common.crash import CrashReporter
    from budtender_app.ui.common.style import apply_style
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.loyalty import LoyaltyViewModel
    from budtender_app.viewmodels.manager_pin import ManagerPinViewModel
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.redemption import RedemptionViewModel
    from budtender_app.viewmodels.settings import SettingsViewModel

    redactor, unloggable = _logging(args)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    apply_style(app)  # the one style sheet (ui/common/style.py), before the first window
    app.setQuitOnLastWindowClosed(False)  # we quit after the loop's clean-up, not before
    icon = Path(__file__).with_name("resources") / "icon.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    if unloggable:
        return _refuse_to_start(unloggable)
    clock = Clock.system()  # the one clock: everything below that reads the time gets it
    settings_store, credentials = SettingsStore(), CredentialStore()
    try:
        mode = choose_mode(args, settings_store, credentials)
    except StartupError as exc:
        return _refuse_to_start(str(exc))
    redactor.add_secret(mode.config.api_key)
    log.info("starting %s %s in %s mode", APP_NAME, __version__, "training" if mode.training else "real")
    try:
        journal, journal_notices = open_journal(mode, credentials, clock=clock)
        found = journal.recover_after_restart()
    except JournalError as exc:
        return _refuse_to_start(str(exc))

    http, simulator = build_http(mode)
    tester = ConnectionTester()
    client = AiqClient(http, mode.config, limiter=RateLimiter(clock=clock.monotonic), clock=clock)
    vm = RedemptionViewModel(client, journal, clock=clock, skip_pin=mode.skip_pin)
    pending_vm = PendingViewModel(journal, client, RedemptionSender(client, journal), clock=clock)
    guard = ManagerPinGuard(settings_store, clock=clock.epoch)
    settings_vm = SettingsViewModel(settings_store, credentials, tester)
    profile = mode.profile
    where = CounterInfo(brand=profile.brand if profile else "Training Dispensary",
                        country=profile.country if profile else "US", store=mode.store,
                        store_id=profile.store_id if profile else "", terminal=socket.gethostname())
    try:
        # Training consents get a throwaway key: nothing of a pretend shopper needs finding later.
        consents = (ConsentLog(data_dir() / "training-consents.sqlite3", clock=clock) if mode.training
                    else ConsentLog(default_consent_path(), key=consent_key(credentials), clock=clock))
    except ConsentLogError as exc:  # sign-up needs its consent record; redeeming does not
        log.error("no consent record, so no sign-up: %s", exc)
        consents = None
    window = MainWindow(vm, training=mode.training, location=mode.location,
                        settings_vm=settings_vm, make_pin_vm=lambda: ManagerPinViewModel(guard),
                        pending_vm=pending_vm, counter=where,
                        make_loyalty_vm=(lambda: LoyaltyViewModel(client, consents, where)) if consents else None,
                        receipt_links=(profile.wallet_url, profile.signup_url) if profile else ("", ""))
    if simulator is not None:
        show_texted_pins(simulator, window.banner)
    notice = " ".join(filter(None, [*journal_notices, found_at_start(found), mode.notice]))
    if notice:
        log.warning("told the cashier: %s", notice)
        alarming = journal_notices or any(e.needs_manager for e in found)
        window.message_label.show_message("error" if alarming else "info", notice)

    async def close_journal() -> None:
        journal.close()
        if consents is not None:
            consents.close()

    crash = CrashReporter(window, str(log_dir() / "budtender.log"))
    crash.install()
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(_serve(window, vm, [pending_vm.wait_idle, http.aclose, tester.aclose, close_journal], crash))
    return 0
