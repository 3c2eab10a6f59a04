"""The counter app driven by keys in this process, and the simulator it talks to in another.

Used by tests/benchmarks/benchmark.py. ``python tests/benchmarks/bench_counter.py LATENCY`` serves the simulator
with the
benchmark's shoppers on 127.0.0.1, prints ``URL <url>`` and stops when its standard input closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import PySide6  # noqa: F401 - before qasync (imported by budtender_app.app), as in the app
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from budtender_app.app import make_event_loop, warm_up
from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import DEFAULT_TIMEOUT, AiqClient, AiqConfig, RateLimiter
from budtender_app.services.journal import Journal, JournalLock
from budtender_app.services.logs import setup_logging
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.seed import _alex_discounts
from budtender_app.simulator.server import SimulatorServer
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.operation import until_step as _until_step
from budtender_app.viewmodels.redemption import RedemptionViewModel

BENCH_PHONE = "5550102030"  # the demo shopper's kinds of discount, all reusable, lots of points
BIG_PHONE = "5550101000"  # 1,000 discounts
BIG_COUNT = 1_000
PIN = "4321"


# -- the simulator, in its own process -------------------------------------------------------

def serve_simulator(latency: float) -> int:
    """Child: serve the simulator with the bench shoppers; print its URL; stop when stdin closes."""
    simulator = Simulator(pin_source=lambda: PIN)
    simulator.add_shopper(BENCH_PHONE, first_name="Bench", points=100_000_000, discounts=bench_discounts())
    simulator.add_shopper(BIG_PHONE, first_name="Big", points=1_000_000, discounts=big_wallet())
    with SimulatorServer(simulator, latency=latency) as server:
        print(f"URL {server.url}", flush=True)
        sys.stdin.read()
    return 0


def bench_discounts() -> list[dict]:
    """Like the demo shopper's wallet (one of each rule), but reusable so runs can repeat."""
    return [{**d, "reusable": True} for d in _alex_discounts(time.time())]


def big_wallet() -> list[dict]:
    """1,000 discounts: dollar and percent ones, values spread so a cart change moves many."""
    later = int(time.time()) + 30 * 86_400
    wallet = []
    for i in range(BIG_COUNT):
        percent = i % 10 == 0
        wallet.append({
            "id": f"big{i:04d}",
            "name": f"Deal {i:04d}: " + (f"{5 + i % 20}% off" if percent else f"${1 + i % 120} off"),
            "posDiscountID": f"POS-{i:04d}", "pointsDeduction": 10 + i, "reusable": True,
            "dollarValue": 0 if percent else 1 + i % 120, "percentageValue": 5 + i % 20 if percent else 0,
            "available": i % 50 != 7, "expiration": later,
        })
    return wallet


class SimulatorProcess:
    def __init__(self, latency: float) -> None:
        self.latency = latency

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(self.latency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.process.stdout.readline()
        if not line.startswith("URL "):
            self.process.kill()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        return line.split()[1]

    def __exit__(self, *exc_info) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- the app in this process, driven by keys ------------------------------------------------

class Counter:
    """The real MainWindow + RedemptionViewModel + AiqClient (with its rate limiter and journal),
    built as app.run_app builds them, talking HTTP to ``url``."""

    def __init__(self, url: str, folder: Path) -> None:
        self.transport = TimedTransport()
        self.http = httpx.AsyncClient(transport=self.transport, timeout=DEFAULT_TIMEOUT, follow_redirects=False)
        path = folder / "journal.sqlite3"
        self.journal = Journal(path, store="bench", terminal="till-1", lock=JournalLock(path).acquire())
        client = AiqClient(self.http, AiqConfig(url, DEMO_API_KEY, DEMO_UID), limiter=RateLimiter())
        self.vm = RedemptionViewModel(client, self.journal)
        self.win = MainWindow(self.vm, training=False, location="Store bench · AIQ 127.0.0.1")
        self.win.show()
        self.win.activateWindow()
        self.sale = 0

    async def ready(self) -> Counter:
        """Once the window is exposed and active: window shortcuts (F2, F9) work only then.
        Then, as the app does once its window shows, the first request's imports in a thread."""
        for _ in range(500):
            if self.win.isActiveWindow() and self.win.windowHandle().isExposed():
                await warm_up(self.win)
                return self
            await asyncio.sleep(0.01)
        raise RuntimeError("the window never became active")

    async def close(self) -> None:
        await self.vm.wait_idle()
        await self.http.aclose()
        self.journal.close()
        self.win.close()


class TimedTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, noting when each request starts and its answer's last byte is in."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.calls: list[tuple[float, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.calls.append((start, time.perf_counter()))
        return response

    @property
    def last_answer(self) -> float:
        return self.calls[-1][1]

    async def aclose(self) -> None:
        await self.inner.aclose()


class _PaintFilter(QObject):
    """Calls ``on_painted`` (on the next loop turn) once ``target`` or a child of it paints."""

    def __init__(self, on_painted) -> None:
        super().__init__()
        self.target: QWidget | None = None
        self._on_painted = on_painted

    def eventFilter(self, obj, event) -> bool:
        target = self.target
        if (target is not None and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                and (obj is target or target.isAncestorOf(obj))):
            self.target = None
            QTimer.singleShot(0, self._on_painted)
        return False


class Redrawn:
    """A future for "``signal`` said so, then ``target()`` painted, then the loop turned once more".

    Armed before the key press; resolves with (perf_counter, thread_time) at that next loop turn.
    """

    def __init__(self, signal, accept, target) -> None:
        self.future = asyncio.get_running_loop().create_future()
        self._signal, self._accept, self._target_of = signal, accept, target
        self._filter = _PaintFilter(self._done)
        self._armed = False
        self._watched: list[QWidget] = []
        signal.connect(self._on_signal)

    def _on_signal(self, *args) -> None:
        if not self._armed and self._accept(*args):
            self._armed = True
            target = self._target_of()
            self._filter.target = target
            # Only from here on, and only on the target and its children: a filter on every
            # event of the application put each one through Python, slowing the app measured.
            self._watched = [target, *target.findChildren(QWidget)]
            for widget in self._watched:
                widget.installEventFilter(self._filter)

    def _done(self) -> None:
        if not self.future.done():
            self.future.set_result((time.perf_counter(), time.thread_time()))

    async def wait(self, timeout: float = 15.0) -> tuple[float, float]:
        try:
            return await asyncio.wait_for(self.future, timeout)
        except TimeoutError:
            raise RuntimeError(f"no redraw (signal seen: {self._armed}, waiting for {self._filter.target!r})") from None
        finally:
            for widget in self._watched:
                widget.removeEventFilter(self._filter)
            self._signal.disconnect(self._on_signal)


async def press_and_wait(press, redrawn: Redrawn, transport=None) -> dict[str, float]:
    """Seconds from the key press to the redraw ``redrawn`` watches for ("total"), the GUI
    thread's CPU time in between ("cpu": steadier than wall time on a shared machine), and with
    the transport, the total split at the first request's start and the last answer's end."""
    if transport is not None:
        transport.calls.clear()
    start, cpu_start = time.perf_counter(), time.thread_time()
    press()
    end, cpu_end = await redrawn.wait()
    times = {"total": end - start, "cpu": cpu_end - cpu_start}
    if transport is not None and transport.calls:
        first, last = transport.calls[0][0], transport.calls[-1][1]
        times.update({"key to request": first - start, "http": last - first, "answer to drawn": end - last})
    return times


def step_is(step):
    return lambda now: now is step


async def until_step(vm, step, timeout: float = 15.0) -> None:
    await _until_step(vm, step, timeout)  # the app's own wait (viewmodels/operation.py)


async def type_text(widget, text: str, typing: float) -> None:
    """Key by key; with ``typing`` seconds between keys the loop runs between them, as it does
    for a person typing (one burst of keys would read as a freeze that no cashier causes)."""
    if not typing:
        QTest.keyClicks(widget, text)
        return
    for char in text:
        QTest.keyClicks(widget, char)
        await asyncio.sleep(typing)


async def type_cart_and_phone(c: Counter, phone: str, cart: str = "42", typing: float = 0.0) -> None:
    Key = Qt.Key
    c.win.cart_edit.clear()
    await type_text(c.win.cart_edit, cart, typing)
    QTest.keyClick(c.win.cart_edit, Key.Key_F2)
    await asyncio.sleep(typing)
    await type_text(c.win.phone_page.phone_edit, phone, typing)


async def redeem_by_keys(c: Counter, phone: str, picks: int, pause: float = 0.0,
                         typing: float = 0.0, timed: bool = True) -> dict[str, dict[str, float]]:
    """One whole sale by keyboard; for each timed key, the seconds to a redrawn screen, split.

    ``pause`` before each request-sending key lets the rate limiter (2 calls/s) refill, as the
    seconds a shopper takes to read out a PIN do at the counter. ``timed=False`` waits on the
    view model's steps only: the paint watch puts every event through Python, and the first event
    of each kind costs PySide6 tens of ms to set up its Python type, which is the benchmark's own
    work and no part of the app's (the step timings run warm, so they never see it).
    """
    Key = Qt.Key
    win, vm = c.win, c.vm

    async def key(name: str, widget, step, target) -> None:
        await asyncio.sleep(pause)
        press = lambda: QTest.keyClick(widget, Key.Key_Return)  # noqa: E731 - read as one keystroke
        if timed:
            times[name] = await press_and_wait(press, Redrawn(vm.step_changed, step_is(step), target), c.transport)
        else:
            press()
            await until_step(vm, step)

    times: dict[str, dict[str, float]] = {}
    await type_cart_and_phone(c, phone, typing=typing)
    await key("verify", win.phone_page.phone_edit, Step.PIN, lambda: win.pin_dialog)
    await type_text(win.pin_dialog.pin_edit, PIN, typing)
    await key("view wallet", win.pin_dialog.pin_edit, Step.WALLET, lambda: win.wallet_page.offer_list)
    offers = win.wallet_page.offer_list
    for i in range(picks):
        if i:
            QTest.keyClick(offers, Key.Key_Down)
            await asyncio.sleep(typing)
        QTest.keyClick(offers, Key.Key_Space)
        await asyncio.sleep(typing)
    QTest.keyClick(offers, Key.Key_Return)
    await asyncio.sleep(typing)
    QTest.keyClick(win.apply_page.checkout_button, Key.Key_F9)
    await until_step(vm, Step.CHECKOUT)
    c.sale += 1
    await type_text(win.checkout_dialog.transaction_edit, f"BENCH-{os.getpid()}-{c.sale}", typing)
    await key("redeem", win.checkout_dialog.transaction_edit, Step.DONE, lambda: win.done_page)
    if not vm.outcomes or not all(o.status.name == "REDEEMED" for o in vm.outcomes):
        raise RuntimeError(f"the redemption did not go through: {vm.message}")
    await asyncio.sleep(typing)
    QTest.keyClick(win.done_page.new_sale_button, Key.Key_Return)
    await until_step(vm, Step.CART)
    return times


async def open_big_wallet(c: Counter) -> float:
    """Opens the 1,000-discount wallet; seconds from the answer's last byte to the list painted."""
    Key = Qt.Key
    win, vm = c.win, c.vm
    await type_cart_and_phone(c, BIG_PHONE)
    await asyncio.sleep(1.0)
    QTest.keyClick(win.phone_page.phone_edit, Key.Key_Return)
    await until_step(vm, Step.PIN)
    QTest.keyClicks(win.pin_dialog.pin_edit, PIN)
    await asyncio.sleep(1.0)
    redrawn = Redrawn(vm.step_changed, step_is(Step.WALLET), lambda: win.wallet_page.offer_list)
    QTest.keyClick(win.pin_dialog.pin_edit, Key.Key_Return)
    drawn, _ = await redrawn.wait()
    if win.wallet_page.offer_list.count() + win.wallet_page.unusable_list.count() != BIG_COUNT:
        raise RuntimeError("the big wallet did not show all its discounts")
    return drawn - c.transport.last_answer


async def refilter_big_wallet(c: Counter, key) -> float:
    """Seconds from a key and Enter in the cart total (wallet open) to the re-filtered list painted:
    with a wallet open the total counts once its edit is done (Enter), not at each key."""
    win = c.win

    def key_and_enter() -> None:
        QTest.keyClick(win.cart_edit, key)
        QTest.keyClick(win.cart_edit, Qt.Key.Key_Return)

    times = await press_and_wait(key_and_enter,
                                 Redrawn(c.vm.offers_changed, lambda *a: True, lambda: win.wallet_page))
    return times["total"]


def run_on_qt_loop(coro_factory):
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        return runner.run(coro_factory())


def quiet_app_logging(folder: Path) -> None:
    """The app's own logging set-up (its cost counts), with the console copy sent nowhere."""
    setup_logging(debug=False, log_dir=folder / "logs")
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process


if __name__ == "__main__":
    sys.exit(serve_simulator(float(sys.argv[1])))
