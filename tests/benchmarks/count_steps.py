"""Instructions, SQL statements and commits per keyboard redemption: figures a shared machine's
load does not move.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        python tests/benchmarks/count_steps.py --sales 3

builds the counter in this process as bench_counter.py does (simulator in another process,
answers at once), runs ``--warm`` sales uncounted, then ``--sales`` counted ones: under callgrind
each step of each sale (the key to its page painted, as the benchmark times it) is one dump
named ``sale<N>-<step>`` (``callgrind_annotate`` reads each; the ``totals:`` line is the
instruction count). Without valgrind it prints the journal's statements and commits per sale
and each step's GUI-thread CPU. ``COUNT_TREE=DIR`` measures the tree in DIR instead, the tree
before issue 11 too (its ``tests/bench_counter.py``).

The busy strip's 200 ms delay is lifted to a minute: under valgrind every step takes seconds,
and the strip would show in every step, which it never does at a real counter.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import ctypes
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The tree measured: this one, or another checkout (COUNT_TREE=/path/to/tree).
ROOT = Path(os.environ.get("COUNT_TREE") or Path(__file__).resolve().parents[2]).resolve()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks" if (ROOT / "tests" / "benchmarks" / "bench_counter.py").exists()
                       else ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import bench_counter as bc
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

import budtender_app
from budtender_app.domain.flow import Step

CG_SOURCE = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


class Callgrind:
    """Callgrind's client requests through a tiny C library (no-ops outside valgrind)."""

    def __init__(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="cgctl-"))
        (folder / "cg.c").write_text(CG_SOURCE)
        subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(folder / "cg.so"), str(folder / "cg.c")], check=True)
        self.lib = ctypes.CDLL(str(folder / "cg.so"))

    def start(self) -> None:
        self.lib.cg_start()

    def dump(self, name: str) -> None:
        self.lib.cg_dump(name.encode())

    def stop(self) -> None:
        self.lib.cg_stop()


def patch_busy_strip() -> None:
    try:
        from budtender_app.ui.common import widgets
    except ImportError:  # the tree before issue 11
        from budtender_app.ui import widgets  # type: ignore[no-redef]
    original = widgets.BusyStrip.__init__

    def init(self, parent=None, *, show_after_ms: int = 0) -> None:
        original(self, parent, show_after_ms=60_000 if show_after_ms else 0)

    widgets.BusyStrip.__init__ = init


def _nothing() -> None:
    pass


class DumpingTransport(bc.TimedTransport):
    """The benchmark's transport, with a dump as each request starts and as its answer is in."""

    on_request = on_answer = staticmethod(_nothing)

    async def handle_async_request(self, request):
        self.on_request()
        response = await super().handle_async_request(request)
        self.on_answer()
        return response


class EventTally(QObject):
    """Which widgets are painted, laid out, resized or polished during a step (counts, summed)."""

    KINDS = (QEvent.Type.Paint, QEvent.Type.LayoutRequest, QEvent.Type.Resize, QEvent.Type.Polish,
             QEvent.Type.StyleChange, QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Move)

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[tuple[str, str, str]] = collections.Counter()

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in self.KINDS and isinstance(watched, QWidget):
            self.counts[(kind.name, type(watched).__name__, watched.objectName())] += 1
        return False

    def report(self, sales: int) -> str:
        return "\n".join(f"{n / sales:6.1f}  {kind:14} {cls:22} {name}" for (kind, cls, name), n
                         in sorted(self.counts.items(), key=lambda item: (item[0][0], -item[1])))


class SqlCount:
    def __init__(self, journal) -> None:
        self.statements = self.commits = 0
        self.seen: list[str] = []
        journal._conn.set_trace_callback(self._on)

    def _on(self, sql: str) -> None:
        self.statements += 1
        self.seen.append(" ".join(sql.split())[:110])
        self.commits += sql.lstrip().upper().startswith(("COMMIT", "END"))


async def step(c, name: str, widget, target, wanted, marks: dict) -> None:
    await asyncio.sleep(marks["pause"])
    cpu = time.thread_time()
    profile = marks.get("profile") if name == marks.get("profiled") else None
    if profile is not None:
        profile.enable()
    tally = marks.get("tally") if name == marks.get("tallied") else None
    if tally is not None:
        QApplication.instance().installEventFilter(tally)
    cg, label = marks["cg"], f"sale{marks['sale']}-{name}"

    def press() -> None:
        QTest.keyClick(widget, Qt.Key.Key_Return)
        cg.dump(f"{label}.1-key")  # the key's own handling, before the loop turns

    c.transport.on_request = lambda: cg.dump(f"{label}.2-to-request")
    c.transport.on_answer = lambda: cg.dump(f"{label}.3-http")
    await bc.press_and_wait(press, bc.Redrawn(c.vm.step_changed, bc.step_is(wanted), target))
    c.transport.on_request = c.transport.on_answer = _nothing
    if profile is not None:
        profile.disable()
    if tally is not None:
        QApplication.instance().removeEventFilter(tally)
    marks["cpu"][name] = (time.thread_time() - cpu) * 1000
    cg.dump(f"{label}.4-drawn")


async def sale(c, marks: dict) -> None:
    """bench_counter.redeem_by_keys, one pick, with a dump after each timed step."""
    win, vm, cg = c.win, c.vm, marks["cg"]
    await bc.type_cart_and_phone(c, bc.BENCH_PHONE)
    cg.dump(f"sale{marks['sale']}-cart-phone")
    await step(c, "verify", win.phone_page.phone_edit, lambda: win.pin_dialog, Step.PIN, marks)
    QTest.keyClicks(win.pin_dialog.pin_edit, bc.PIN)
    await step(c, "view-wallet", win.pin_dialog.pin_edit, lambda: win.wallet_page.offer_list, Step.WALLET, marks)
    offers = win.wallet_page.offer_list
    QTest.keyClick(offers, Qt.Key.Key_Space)
    QTest.keyClick(offers, Qt.Key.Key_Return)
    QTest.keyClick(win.apply_page.checkout_button, Qt.Key.Key_F9)
    await bc.until_step(vm, Step.CHECKOUT)
    c.sale += 1
    QTest.keyClicks(win.checkout_dialog.transaction_edit, f"COUNT-{os.getpid()}-{c.sale}")
    cg.dump(f"sale{marks['sale']}-pick-apply-f9")
    await step(c, "redeem", win.checkout_dialog.transaction_edit, lambda: win.done_page, Step.DONE, marks)
    if not vm.outcomes or not all(o.status.name == "REDEEMED" for o in vm.outcomes):
        raise RuntimeError(f"the redemption did not go through: {vm.message}")
    await asyncio.sleep(marks["pause"])
    QTest.keyClick(win.done_page.new_sale_button, Qt.Key.Key_Return)
    await bc.until_step(vm, Step.CART)
    cg.dump(f"sale{marks['sale']}-new-sale")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=3)
    parser.add_argument("--warm", type=int, default=2)
    parser.add_argument("--no-sql", action="store_true", help="no statement count (its callback costs)")
    parser.add_argument("--show-sql", action="store_true", help="print the last sale's statements")
    parser.add_argument("--profile", metavar="STEP",
                        help="cProfile this step (verify, view-wallet, redeem) of the counted sales")
    parser.add_argument("--events", metavar="STEP", help="tally the paints, layouts, resizes of this step")
    parser.add_argument("--profile-out", default="/tmp/count_steps.pstats")
    parser.add_argument("--pause", type=float, default=0.6, help="seconds before each request (rate limiter)")
    args = parser.parse_args()
    print(f"measuring {Path(budtender_app.__file__).parent}", flush=True)
    patch_busy_strip()
    bc.TimedTransport = DumpingTransport
    folder = Path(tempfile.mkdtemp(prefix="count-steps-"))
    bc.quiet_app_logging(folder)
    cg = Callgrind()
    profile = cProfile.Profile() if args.profile else None
    tally = EventTally() if args.events else None

    async def run() -> list[tuple[int, int, dict]]:
        c = await bc.Counter(url, folder).ready()
        sql = _NoSql() if args.no_sql else SqlCount(c.journal)
        out = []
        for n in range(args.warm + args.sales):
            counted = n >= args.warm
            if counted and n == args.warm:
                cg.start()
            marks = {"pause": args.pause, "cpu": {}, "cg": cg if counted else _NoDumps(), "sale": n - args.warm + 1}
            if counted:
                marks.update(profile=profile, profiled=args.profile, tally=tally, tallied=args.events)
            before = (sql.statements, sql.commits)
            if args.show_sql:
                sql.seen = []
            await sale(c, marks)
            out.append((sql.statements - before[0], sql.commits - before[1], marks["cpu"]))
        cg.stop()
        if args.show_sql:
            print("\n".join(sql.seen))
        await c.close()
        return out

    with bc.SimulatorProcess(0.0) as url:
        results = bc.run_on_qt_loop(run)
    if profile is not None:
        profile.dump_stats(args.profile_out)
    if tally is not None:
        print(tally.report(args.sales))
    for n, (statements, commits, cpu) in enumerate(results):
        steps = " ".join(f"{k} {v:.1f}" for k, v in cpu.items())
        print(f"sale {n + 1}{' (warm)' if n < args.warm else ''}: {statements} SQL statements, "
              f"{commits} commits; GUI CPU ms: {steps}", flush=True)
    return 0


class _NoSql:
    statements = commits = 0
    seen: list[str] = []  # noqa: RUF012 - never written


class _NoDumps:
    def dump(self, name: str) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
