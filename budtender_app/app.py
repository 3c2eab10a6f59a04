"""Composition root: builds every service once, hands them down, runs the Qt + asyncio loop."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import PySide6  # noqa: F401  - before qasync, so qasync binds to PySide6
import httpx
import platformdirs
import qasync
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from budtender_app import APP_NAME, __version__
from budtender_app.services.aiq_client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, AiqClient, AiqConfig, RateLimiter
from budtender_app.services.logs import setup_logging

log = logging.getLogger(__name__)

DEMO_LATENCY = 0.35  # seconds: trainees should see the progress a real call shows


@dataclass
class Mode:
    """What the terminal talks to, decided once at start."""

    training: bool
    config: AiqConfig
    location: str
    notice: str = ""  # said once at start (why we are in training mode, for instance)


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


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir("budtender-app", appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("budtender-app", appauthor=False))


def choose_mode(args: argparse.Namespace) -> Mode:
    """Real mode with stored credentials; training mode with --demo or nothing stored."""
    from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID

    demo = Mode(True, AiqConfig("https://simulator.invalid", DEMO_API_KEY, DEMO_UID),
                "Training · try (555) 123-4567, (555) 987-6543 or (555) 222-3333")
    if args.demo:
        return demo
    from budtender_app.services.credentials import CredentialStore, KeyringUnavailable

    store = args.store or "default"
    try:
        credentials = CredentialStore().load(store)
    except KeyringUnavailable as exc:
        demo.notice = f"{exc} Until then the terminal runs in training mode."
        return demo
    if credentials is None:
        demo.notice = ("No AIQ credentials are set up, so the terminal runs in training mode. "
                       "IT: budtender-app credentials set --uid UID")
        return demo
    base_url = args.base_url or DEFAULT_BASE_URL
    return Mode(False, AiqConfig(base_url, credentials.api_key, credentials.uid),
                f"Store {store} · AIQ {httpx.URL(base_url).host}")


def build_http(mode: Mode) -> tuple[httpx.AsyncClient, object | None]:
    """The one httpx client; in training mode it talks to an in-process simulator (returned too)."""
    if not mode.training:
        return httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False), None
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
    """SIGTERM / Ctrl+C close the window the normal way (it refuses while redeeming)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: QTimer.singleShot(0, window.close))
    # Python runs signal handlers only between bytecodes: wake it up now and then.
    heartbeat = QTimer(window)
    heartbeat.start(300)
    heartbeat.timeout.connect(lambda: None)
    return heartbeat


async def _serve(window, vm, http: httpx.AsyncClient, crash) -> None:
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
    await closed
    log.info("closing")
    await vm.wait_idle()
    await http.aclose()


def run_app(args: argparse.Namespace) -> int:
    from budtender_app.ui.crash import CrashReporter
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.redemption import RedemptionViewModel

    redactor = setup_logging(debug=args.debug, log_dir=log_dir())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # we quit after the loop's clean-up, not before
    icon = Path(__file__).with_name("resources") / "icon.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    mode = choose_mode(args)
    redactor.add_secret(mode.config.api_key)
    log.info("starting %s %s in %s mode", APP_NAME, __version__, "training" if mode.training else "real")
    http, simulator = build_http(mode)
    client = AiqClient(http, mode.config, limiter=RateLimiter())
    vm = RedemptionViewModel(client)
    window = MainWindow(vm, training=mode.training, location=mode.location)
    if simulator is not None:
        show_texted_pins(simulator, window.banner)
    if mode.notice:
        window.message_label.show_message("info", mode.notice)
    crash = CrashReporter(window, str(log_dir() / "budtender.log"))
    crash.install()
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(_serve(window, vm, http, crash))
    return 0
