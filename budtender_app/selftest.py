"""``budtender-app --self-test``: does this build (frozen or not) work on this computer?

Frozen apps lose what their tools cannot see: data files, Qt plugins, keyring backends (found
through package metadata), phonenumbers' per-country modules, certifi's CA file. Each check below
uses the very code path the app uses, prints one line, and the run ends with PASSED or FAILED:

1. Qt starts on its platform plugin (offscreen unless QT_QPA_PLATFORM says otherwise) and the
   app's icon loads from the package resources;
2. a phone number parses (phonenumbers' data modules are in the build);
3. the keyring: the backend keyring chose, whether it is a real OS keyring, and that it answers
   one read of an entry that does not exist (never a write, so never a password prompt);
4. a demo redemption end to end: the simulated AIQ served on 127.0.0.1, the real AiqClient over
   httpx (built as in real mode, so certifi's CA file loads), the real view model and journal (in
   a throwaway folder) and the real counter window, drawn offscreen.

The keyring check fails the run only with ``require_keyring`` (a till with no keyring runs in
training mode, which is not a broken build). Touches no store setting, journal or credential.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from budtender_app import APP_NAME, __version__

RESOURCES = Path(__file__).with_name("resources")
PROBE_SERVICE = "budtender-app-selftest"  # read once, never written
DEMO_CART = "42.00"
TIMEOUT = 60.0


class Report:
    """The lines the self-test prints, and whether everything required passed."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self._out = out
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str, *, required: bool = True) -> None:
        mark = "ok  " if ok else ("FAIL" if required else "warn")
        self._out(f"{mark}  {name}: {detail}")
        if required and not ok:
            self.failed.append(name)


def run_self_test(require_keyring: bool = False, out: Callable[[str], None] | None = None) -> int:
    """Run every check, print a line each and a verdict; 0 when all required checks passed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    say = out or (lambda line: print(line, flush=True))
    report = Report(say)
    frozen = "frozen (PyInstaller)" if getattr(sys, "frozen", False) else "from source"
    say(f"{APP_NAME} {__version__} self-test · {frozen} · Python {sys.version.split()[0]} · {sys.platform}")
    app = _start_qt(report)
    if app is not None:
        _check_icon(report)
    _check_phone(report)
    _check_keyring(report, require_keyring)
    if app is not None:
        _check_redemption(report)
    say("self-test PASSED" if not report.failed else f"self-test FAILED: {', '.join(report.failed)}")
    return 0 if not report.failed else 1


def _start_qt(report: Report):
    try:
        import PySide6  # noqa: F401 - before qasync, as everywhere
        from PySide6.QtCore import qVersion
        from PySide6.QtWidgets import QApplication

        _quiet_offscreen_notes()
        found = QApplication.instance()
        app = found if isinstance(found, QApplication) else QApplication(sys.argv[:1])
        app.setQuitOnLastWindowClosed(False)
    except Exception as exc:  # noqa: BLE001 - a missing plugin or library is the finding
        report.check("Qt", False, f"{type(exc).__name__}: {exc}")
        return None
    report.check("Qt", True, f"Qt {qVersion()} on the {app.platformName()} platform")
    return app


def _quiet_offscreen_notes() -> None:
    """The offscreen plugin says "does not support propagateSizeHints()" for every window; the
    tests ignore that line too. Every other Qt message still reaches stderr."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _check_icon(report: Report) -> None:
    from PySide6.QtGui import QIcon, QPixmap
    from PySide6.QtWidgets import QApplication

    path = RESOURCES / "icon.png"
    pixmap = QPixmap(str(path))
    if pixmap.isNull():
        report.check("icon", False, f"cannot load {path}")
        return
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setWindowIcon(QIcon(pixmap))
    report.check("icon", True, f"{pixmap.width()}x{pixmap.height()} px from {path}")


def _check_phone(report: Report) -> None:
    try:
        from budtender_app.domain.phone import parse_phone

        phone = parse_phone("(555) 123-4567")
    except Exception as exc:  # noqa: BLE001 - missing data modules show up here
        report.check("phone numbers", False, f"{type(exc).__name__}: {exc}")
        return
    report.check("phone numbers", phone.digits == "5551234567", f"(555) 123-4567 read as {phone.masked}")


def _check_keyring(report: Report, required: bool) -> None:
    import keyring

    from budtender_app.services.credentials import CredentialStore, KeyringUnavailable

    try:
        chosen = type(keyring.get_keyring())
        chosen_name = f"{chosen.__module__}.{chosen.__name__}"
    except Exception as exc:  # noqa: BLE001 - reported, the store's verdict follows
        chosen_name = f"none ({type(exc).__name__}: {exc})"
    store = CredentialStore(service=PROBE_SERVICE)
    try:
        name = store.backend_name
        store.load("probe")  # one read over the real channel (D-Bus, Credential Manager, Keychain)
    except KeyringUnavailable as exc:
        detail = getattr(exc, "detail", "") or str(exc)
        report.check("keyring", False, f"no real keyring usable (keyring chose {chosen_name}): {detail}",
                     required=required)
        return
    report.check("keyring", True, f"{name}, a real OS keyring, answered (keyring chose {chosen_name})")


def _check_redemption(report: Report) -> None:
    from budtender_app.app import make_event_loop

    try:
        with (tempfile.TemporaryDirectory(prefix="budtender-selftest-") as folder,
              asyncio.Runner(loop_factory=make_event_loop) as runner):
            detail = runner.run(asyncio.wait_for(_demo_redemption(Path(folder)), TIMEOUT))
    except Exception as exc:  # noqa: BLE001 - whatever stops it is the finding
        report.check("demo redemption", False, f"{type(exc).__name__}: {exc}")
        return
    report.check("demo redemption", True, detail)


async def _demo_redemption(folder: Path) -> str:
    import httpx

    from budtender_app.domain.clock import Clock
    from budtender_app.services.aiq_client import AiqClient, AiqConfig
    from budtender_app.services.journal import Journal, JournalLock
    from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
    from budtender_app.simulator.server import SimulatorServer
    from budtender_app.ui.main_window import MainWindow
    from budtender_app.viewmodels.redemption import RedemptionViewModel

    clock = Clock.system()
    simulator = Simulator()
    path = folder / "journal.sqlite3"
    journal = Journal(path, store="self-test", terminal=socket.gethostname(),
                      lock=JournalLock(path).acquire(), clock=clock)
    # As real mode builds it (certificate checks on): a build without certifi's CA file fails here.
    http = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
    with SimulatorServer(simulator) as server:
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), journal, clock=clock)
        window = MainWindow(vm, training=True, location="self-test")
        window.show()
        try:
            detail = await _walk(vm, simulator)
            drawn = window.grab()
            if drawn.isNull():
                raise RuntimeError("the counter window did not draw")
            return f"{detail} over HTTP at {server.url}; window drawn {drawn.width()}x{drawn.height()}"
        finally:
            await vm.wait_idle()
            window.close()
            window.deleteLater()
            await http.aclose()
            journal.close()


async def _walk(vm, simulator) -> str:
    """The counter flow through the view model, as the keys drive it; says what was redeemed."""
    from budtender_app.domain.flow import Step
    from budtender_app.simulator.core import DEMO_PHONE

    vm.set_cart_text(DEMO_CART)
    vm.start()
    vm.submit_phone(DEMO_PHONE)
    await _until(vm, Step.PIN)
    vm.submit_pin(simulator.last_pin(DEMO_PHONE))
    await _until(vm, Step.WALLET)
    usable = [offer.discount for offer in vm.offers if offer.usable]
    if not usable:
        raise RuntimeError(f"the demo wallet offered nothing for a ${DEMO_CART} cart")
    vm.toggle(usable[0].id)
    vm.apply_selection()
    vm.start_checkout()
    transaction = f"SELFTEST-{uuid.uuid4().hex[:12]}"  # unique: no time needed
    vm.confirm_checkout(transaction)
    await _until(vm, Step.DONE)
    statuses = [outcome.status.name for outcome in vm.outcomes]
    if statuses != ["REDEEMED"] or len(simulator.redemptions) != 1:
        raise RuntimeError(f"the redemption did not go through: {statuses}, {vm.message[1]}")
    return f"'{usable[0].name}' redeemed for {vm.points_deducted:,} points on {transaction}"


async def _until(vm, step, timeout: float = 20.0) -> None:  # noqa: ASYNC109 - names where it stuck
    """Until the view model reaches ``step`` (by its signal); says where it stuck otherwise."""
    from budtender_app.viewmodels.operation import until_step

    try:
        await until_step(vm, step, timeout)
    except TimeoutError as exc:
        raise RuntimeError(str(exc)) from None
