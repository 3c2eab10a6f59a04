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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Everything that needs no Qt is imported before PySide6: PySide6 hooks every import after its
# own and reads each new module's source (looking for ``from __feature__``). About 30 ms of
# start-up on a till, for modules that never touch Qt (keyring, the journal, the services).
import httpx

# isort: split
from budtender_app import APP_NAME, __version__, before_qt  # noqa: F401 - before_qt: see above
from budtender_app.domain.clock import Clock
from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.messages import Level
from budtender_app.services.aiq_client import RateLimiter
from budtender_app.services.connection_tester import ConnectionTester
from budtender_app.services.consent_log import ConsentLog, ConsentLogError, consent_key
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.journal import Journal, JournalEntry, JournalError
from budtender_app.services.journal.guard import JournalGuard, utc_now
from budtender_app.services.logs import RedactingFilter, setup_logging
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.paths import Folders, folders
from budtender_app.services.profile_switch import SwitchableAiqClient
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.services.resend_loop import ResendLoop
from budtender_app.services.settings_store import SettingsStore
from budtender_app.staff_signin import acting_of, add_sign_in, manager_approval, open_staff, staff_session
from budtender_app.startup import Mode, StartupError, choose_mode, journal_path

# isort: split
import PySide6  # noqa: F401  - before qasync, so qasync binds to PySide6
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from budtender_app.feed_wiring import add_feed_import, stop_feed_import
from budtender_app.hub_wiring import HubControl, counter_side, hub_reports, manager_settings, show_hub
from budtender_app.live_profile import add_profile_switch, counter_info, reader, target_of, with_training_profile
from budtender_app.sale_feed_wiring import add_sale_feed
from budtender_app.training_mode import add_trainer_controls, build_http, settings_for, show_texted_pins
from budtender_app.viewmodels.lazy_feed_import import made_feed_import

if TYPE_CHECKING:
    from budtender_app.services.staff import StaffStore
    from budtender_app.simulator.core import Simulator
    from budtender_app.ui.common.crash import CrashReporter
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.profile_switch import ProfileSwitch, Target
    from budtender_app.viewmodels.redemption import RedemptionViewModel
    from budtender_app.viewmodels.staff_session import StaffSession

log = logging.getLogger(__name__)

def make_event_loop() -> asyncio.AbstractEventLoop:
    """The Qt event loop asyncio runs on (tests use this one too).

    Its executor (name look-ups, file I/O) is a plain thread pool: qasync's default makes ten
    QThreads whose teardown from another thread makes Qt warn about timers.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app, already_running=False)
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="io"))
    return loop


def _close_on_signals(window: MainWindow) -> QTimer:
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
# What the first sale's screens load on first use, not at start (the slip's drawing: receipt_view.py).
FIRST_SALE_MODULES = ("budtender_app.ui.receipt.receipt_paint",)


def _import_first_request_modules() -> None:
    import importlib

    from budtender_app.domain.phone import parse_phone

    for name in FIRST_REQUEST_MODULES + FIRST_SALE_MODULES:
        importlib.import_module(name)
    parse_phone("(555) 010-0000")  # phonenumbers loads a country's rules at its first number


async def warm_up(window: MainWindow | None = None) -> None:
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
    gc.enable()  # off while start-up built the window (cli/__init__.py main)


def _listen_for_handoffs(window: MainWindow, *, training: bool) -> None:
    # Once the window is up: QtNetwork's import (~10 ms) stays out of start-up (issue 14).
    from budtender_app.handoff_server import listen_for_handoffs

    listen_for_handoffs(window, training=training)


async def _serve(window: MainWindow, vm: RedemptionViewModel, resend: ResendLoop,
                 closing: Sequence[Callable[[], Awaitable[None]]], crash: CrashReporter, *, training: bool) -> None:
    asyncio.get_running_loop().set_exception_handler(crash.on_loop_exception)
    closed = asyncio.get_running_loop().create_future()

    def on_window_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_window_closed)
    _close_on_signals(window)
    window.showMaximized()  # the counter's whole screen; un-maximised it keeps a 1024x768 size (main_window.py)
    window.raise_()
    window.activateWindow()
    log.info("window shown")
    QTimer.singleShot(0, window, lambda: _listen_for_handoffs(window, training=training))
    vm.start_resume()
    resend.start()
    warming = asyncio.ensure_future(warm_up(window))
    await closed
    log.info("closing")
    await warming
    resend.stop()
    await vm.wait_idle()
    for close in closing:
        await close()


def found_at_start(entries: Sequence[JournalEntry]) -> str:
    """What the journal held from before, in a sentence for the cashier (empty when nothing)."""
    if not entries:
        return ""
    unknown = sum(1 for e in entries if e.needs_manager)
    unsent = len(entries) - unknown
    parts = []
    if unsent:
        parts.append(f"{unsent} redemption{'' if unsent == 1 else 's'} from before never reached AIQ: "
                     "sending now, nothing for you to do")
    if unknown:
        parts.append(f"{unknown} redemption{' has' if unknown == 1 else 's have'} no answer from AIQ: "
                     "a manager must check (F11)")
    return ". ".join(parts) + "."


def _refuse_to_start(message: str) -> int:
    """Say why the terminal will not start (stderr, the log and a dialog); the exit code."""
    from PySide6.QtWidgets import QMessageBox

    print(message, file=sys.stderr, flush=True)  # noqa: T201 - IT starting it from a shell reads this
    log.error("refused to start: %s", message.replace("\n", " "))
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, message)
    box.setObjectName("refusal_box")
    box.exec()  # before the event loop runs: nothing else is waiting on it
    return 1


def _logging(args: argparse.Namespace, logs: Path) -> tuple[RedactingFilter, str]:
    """Logging to stderr and the log folder; (redactor, why the log folder is unusable or "")."""
    try:
        return setup_logging(debug=args.debug, log_dir=logs), ""
    except OSError as exc:
        return setup_logging(debug=args.debug, log_dir=None), (
            f"The terminal cannot write its log in {logs} ({exc.strerror or exc}), so it will not start: "
            "what it does at the counter must be on record.\n\nIT: make that folder writable for this "
            "computer user, check the disk is not full, then start the terminal again.")


def open_journal(mode: Mode, credentials: CredentialStore, clock: Clock | None = None) -> tuple[Journal, list[str]]:
    """The checked journal for this mode and what to tell the manager about it; JournalError
    (JournalRefused, JournalLocked) when the terminal must not start (``services/journal/guard.py``)."""
    guard = JournalGuard(journal_path(mode), credentials, training=mode.training)
    journal = guard.open(store=mode.store, terminal=socket.gethostname(), clock=clock or utc_now)
    return journal, guard.notices


class Refused(Exception):
    """The terminal must not start; the message says why, for a manager or IT."""


@dataclass
class Services:
    """Everything the terminal talks to, built once by ``build_services`` and handed down.

    The composition root: view models and windows get what they need from here in their
    constructors; nothing looks a service up anywhere else.
    """

    clock: Clock
    folders: Folders
    mode: Mode
    settings: SettingsStore  # training's own in training (training_mode.settings_for)
    credentials: CredentialStore  # the journal's and the consent record's keys
    profile_keys: CredentialStore  # where F12 saves API keys: training's own service in training
    journal: Journal
    journal_notices: list[str]
    found_at_start: list[JournalEntry]
    http: httpx.AsyncClient  # the one in use: a saved profile replaces it (live_profile.py)
    simulator: Simulator | None
    client: SwitchableAiqClient
    sender: RedemptionSender
    manager_pin: ManagerPinGuard
    tester: ConnectionTester
    counter: CounterInfo
    consents: ConsentLog | None
    read_profile: Callable[[], Target | str] | None = None  # what a restart would use now
    profile_switch: ProfileSwitch | None = None  # built with the window (build_window)
    hub: HubControl | None = None  # the store hub's push (issue 15): built with the window, started after it shows
    staff: StaffStore | None = None  # None: no sign-in (tests; or it cannot open: staff_notice says why)
    staff_notice: str = ""
    session: StaffSession | None = None  # who is signed in (built with the window); shared through the hub

    def close_journals(self) -> None:
        self.journal.close()
        for other in (self.consents, self.staff):
            if other is not None:
                other.close()


def _consent_log(mode: Mode, folders: Folders, credentials: CredentialStore, clock: Clock) -> ConsentLog | None:
    """The consent record sign-ups need (none when it cannot open: redeeming does not need it).

    Training consents get a throwaway key: nothing of a pretend shopper needs finding later."""
    try:
        if mode.training:
            return ConsentLog(folders.consents(training=True), clock=clock)
        return ConsentLog(folders.consents(), key=consent_key(credentials), clock=clock)
    except ConsentLogError as exc:
        log.error("no consent record, so no sign-up: %s", exc)  # noqa: TRY400 - its words say it all
        return None


def build_services(args: argparse.Namespace, folders: Folders, clock: Clock, redactor: RedactingFilter) -> Services:
    """Every service, once, for the mode the settings (or ``--demo``) choose; ``Refused`` when
    the terminal must not start (a bad ``--base-url``, a journal that cannot be trusted)."""
    real_settings, credentials = SettingsStore(folders.settings_file()), CredentialStore()
    try:
        mode = choose_mode(args, real_settings, credentials)  # the real settings choose the mode
    except StartupError as exc:
        raise Refused(str(exc)) from None
    settings, profile_keys = settings_for(mode, folders, real_settings, credentials)
    if mode.training and not mode.settings_unreadable:  # the trainee's own store, as F12 switches to it
        trained = with_training_profile(mode, settings)
        mode = trained if isinstance(trained, Mode) else mode
    redactor.add_secret(mode.config.api_key)
    log.info("starting %s %s in %s mode", APP_NAME, __version__, "training" if mode.training else "real")
    try:
        journal, notices = open_journal(mode, credentials, clock=clock)
        found = journal.recover_after_restart()
    except JournalError as exc:
        raise Refused(str(exc)) from None
    http, simulator = build_http(mode)
    client = SwitchableAiqClient(http, mode.config, limiter=RateLimiter(clock=clock.monotonic), clock=clock)
    return Services(
        clock=clock, folders=folders, mode=mode, settings=settings, credentials=credentials, profile_keys=profile_keys,
        journal=journal, journal_notices=notices, found_at_start=found, http=http, simulator=simulator,
        client=client, sender=RedemptionSender(client, journal),
        manager_pin=ManagerPinGuard(settings, clock=clock.epoch), tester=ConnectionTester(),
        counter=counter_info(mode), consents=_consent_log(mode, folders, credentials, clock),
        read_profile=reader(args, mode, settings, profile_keys, redactor))


def build_window(services: Services) -> tuple[MainWindow, RedemptionViewModel, PendingViewModel]:
    """The counter window and its view models, each given the services it uses."""
    from budtender_app.ui.counter.profile_view import follow_profile_switch
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.loyalty import LoyaltyViewModel
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.redemption import RedemptionViewModel

    s = services
    session = s.session = staff_session(s.staff, s.clock, s.journal, s.mode.profile)
    acting = acting_of(session)  # who acts at this terminal (domain/actor.py): the signed-in person
    # A manager's own passcode, or (no sign-in) the shared PIN.
    approval, make_prompt, approving = manager_approval(session, s.manager_pin,
                                                        settings_unreadable=s.mode.settings_unreadable)
    vm = RedemptionViewModel(s.client, s.journal, clock=s.clock, skip_pin=s.mode.skip_pin, acting=acting,
                             approving=approving)
    vm.transaction_ids = target_of(s.mode).transaction_ids  # the store's POS ID shape; a profile switch updates it
    pending_vm = PendingViewModel(s.journal, s.client, s.sender, clock=s.clock, training=s.mode.training,
                                  acting=acting, approving=approving)
    add_feed_import(s, pending_vm, acting, approving)  # the Redemptions window's "Import files" tab
    pending_vm.hub_reports = hub_reports(s, approving)  # the store-wide reports from the hub (issue 15)
    consents, profile = s.consents, s.mode.profile
    switch = s.profile_switch = add_profile_switch(s, vm, pending_vm, s.read_profile) if s.read_profile else None
    settings_vm, s.hub = manager_settings(s, vm.till, acting, approving, switch, session)  # with the Store hub page
    window = MainWindow(
        vm, training=s.mode.training, location=s.mode.location, settings_vm=settings_vm,
        make_pin_vm=make_prompt, approval=approval, pending_vm=pending_vm, counter=s.counter,
        make_loyalty_vm=(lambda: LoyaltyViewModel(s.client, consents, s.counter, acting=acting)) if consents else None,
        receipt_links=(profile.wallet_url, profile.signup_url) if profile else ("", ""))
    if switch is not None:
        follow_profile_switch(window, switch)
    add_sign_in(window, session, training=s.mode.training, notice=s.staff_notice, switch=switch)
    if s.simulator is not None:  # training only: a real store has no simulator to make fail
        add_trainer_controls(window, s.simulator)
    return window, vm, pending_vm


def _tell_at_start(window: MainWindow, services: Services) -> None:
    """What the journal found and why the mode is what it is, said once in the message band."""
    found, notices = services.found_at_start, services.journal_notices
    notice = " ".join(filter(None, [*notices, found_at_start(found), services.mode.notice]))
    if notice:
        log.warning("told the cashier: %s", notice)
        alarming = notices or any(e.needs_manager for e in found)
        window.message_label.show_message(Level.ERROR if alarming else Level.INFO, notice)


def _application() -> QApplication:
    from budtender_app.ui.common.style import apply_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)  # the terminal makes no other kind
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # we quit after the loop's clean-up, not before
    apply_style(app)  # the one style sheet: colours and sizes of every screen
    icon = Path(__file__).with_name("resources") / "icon.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_app(args: argparse.Namespace) -> int:
    """Start the terminal: logging, the services, the window, the Qt + asyncio loop; the exit code."""
    from budtender_app.ui.common.crash import CrashReporter

    where = folders()
    redactor, unloggable = _logging(args, where.log)
    _application()
    if unloggable:
        return _refuse_to_start(unloggable)
    try:
        services = build_services(args, where, Clock.system(), redactor)  # the one clock
    except Refused as exc:
        return _refuse_to_start(str(exc))
    # Staff sign-in (staff_signin.py): the app's own; a window built without it (tests) has none.
    services.staff, services.staff_notice = open_staff(services.mode, where, services.clock)
    window, vm, pending_vm = build_window(services)
    sales = add_sale_feed(services, vm, pending_vm)  # issue 16: checkouts' sales to AIQ, where the store says so
    resend = ResendLoop(vm.redemption_sender, services.journal, may_send=vm.may_send_queued,
                        after_send=vm.refresh_pending)  # redemptions never sent: retried by themselves, not mid-sale
    if services.simulator is not None:
        show_texted_pins(services.simulator, window.banner)
    if services.hub is not None:  # the store hub (issue 15): pushes, settles, shows the whole store
        show_hub(window, services.hub, services.clock.local, counter_side(services, vm, pending_vm))
    _tell_at_start(window, services)

    async def close_journals() -> None:
        services.close_journals()

    crash = CrashReporter(window, str(where.log_file))
    crash.install()
    async def close_http() -> None:  # the client in use at quit (a saved profile may have replaced it)
        if services.profile_switch is not None:
            await services.profile_switch.wait_idle()
        await services.http.aclose()

    closing = [sales.stop, lambda: stop_feed_import(made_feed_import(pending_vm)), pending_vm.wait_idle, close_http,
               services.tester.aclose, close_journals]
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(_serve(window, vm, resend, closing, crash, training=services.mode.training))
    return 0
