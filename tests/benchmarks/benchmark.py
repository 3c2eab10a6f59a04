"""The app's own share of the wait at the counter: each figure beside its reference, with goals.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/benchmark.py [--runs 5] [--json FILE]
                                                                 [--packaged dist/budtender-app]

Prints one table (medians of ``--runs`` runs; the ratio is app / reference). Figures:

- start-up: ``python -m budtender_app --demo --debug`` launched to its first "focus" line (the
  window is shown, the event loop runs, the cart total, or with staff accounts the sign-in page's
  passcode field, has the keyboard), against a bare PySide6
  window launched the same way (tests/benchmarks/bench_floor_window.py). Goal: at most 1.3 x the floor.
- verify / view wallet / redeem: the real MainWindow, view model and AiqClient, in this process,
  against the simulator served over HTTP on 127.0.0.1 by another process. The clock runs from the
  key press (QTest, as a keyboard would) to the step's page painted and the event loop turned once
  more; the reference is a bare httpx call to the same endpoint. Goal: the app adds <= 5 ms.
- never frozen: the longest gap between ticks of a 5 ms timer on the GUI thread during a full
  keyboard redemption (2 discounts) with 300 ms added to every simulator answer. Goal: < 16 ms.
- big wallet: 1,000 discounts: from the view-wallet answer's last byte to the list painted
  (parse + eligibility + redraw), and a cart total change re-filtering it (keypress to painted).
  Goal: < 50 ms each.
- memory: peak resident memory of a process running a full keyboard redemption (the figure is
  ru_maxrss of that process). Goal: < 150 MB.

Everything runs on Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise. The simulator
runs in its own process so that its work never shows up as the app's. tests/benchmarks/bench_counter.py
drives the app; tests/benchmarks/BENCHMARK.md has the figures of this machine and what misses each goal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools

import httpx
import PySide6
from bench_counter import (
    BENCH_PHONE,
    BIG_COUNT,
    PIN,
    Counter,
    SimulatorProcess,
    open_big_wallet,
    quiet_app_logging,
    redeem_by_keys,
    refilter_big_wallet,
    run_on_qt_loop,
    until_step,
)
from PySide6.QtCore import Qt, QTimer, qVersion

from budtender_app.domain.flow import Step
from budtender_app.simulator.core import DEMO_API_KEY

SLOW_LATENCY = 0.3


# -- figures ---------------------------------------------------------------------------------

@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference: float | None
    goal: float  # the value must stay at or under this (same unit as value)
    goal_text: str
    met: bool
    samples: list[float] = field(default_factory=list)
    reference_samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.reference if self.reference else None


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def print_table(figures: list[Figure]) -> None:
    header = f"{'figure':<34} {'app':>10} {'reference':>10} {'ratio':>7}  {'goal':<30} met"
    print(header)
    print("-" * len(header))
    for f in figures:
        ref = f"{f.reference:.1f}" if f.reference is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        value = f"{f.value:.1f} {f.unit}"
        print(f"{f.name:<34} {value:>10} {ref:>10} {ratio:>7}  {f.goal_text:<30} {'yes' if f.met else 'NO'}")
        if f.note:
            print(textwrap.fill(f.note, width=110, initial_indent=" " * 4, subsequent_indent=" " * 4))


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
              if line.startswith("model name")] if cpuinfo.exists() else []

    return {"cpu": models[0] if models else platform.processor(), "cores": os.cpu_count(),
            "python": platform.python_version(), "pyside6": PySide6.__version__, "qt": qVersion(),
            "platform": platform.platform(), "qpa": os.environ.get("QT_QPA_PLATFORM", "")}


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine makes every figure noisier."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a running process (Linux), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# -- start-up --------------------------------------------------------------------------------

def isolated_env(base: Path) -> dict[str, str]:
    """The app's config, data and logs in a throwaway folder; never the user's."""
    env = dict(os.environ)
    # An installed app runs from compiled bytecode (pip writes the .pyc files when it installs);
    # a shell that forbids writing them would time Python compiling the app at every launch.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(base / name.lower())
    return env


def time_to_line(command: list[str], marker: str, env: dict[str, str],
                 timeout: float = 30.0) -> tuple[float, float | None]:
    """Seconds from launching ``command`` to its first output line containing ``marker``, and
    the process's peak RSS (MB) at that moment."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    try:
        for line in process.stdout:
            if marker in line:
                return time.perf_counter() - start, peak_rss_mb(process.pid)
            if time.perf_counter() - start > timeout:
                break
        raise RuntimeError(f"{command} never printed {marker!r}")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


STARTUP_RSS: dict[str, list[float]] = {}  # peak RSS at "window ready", per program: memory's reference


def measure_startup(runs: int, packaged: Path | None) -> list[Figure]:
    env = isolated_env(Path(tempfile.mkdtemp(prefix="bench-startup-")))
    candidates = {
        # The first widget given the keyboard: the cart total, or, on a counter with staff
        # accounts (training has them), the passcode field of the sign-in page.
        "app": ([sys.executable, "-m", "budtender_app", "--demo", "--debug"], "focus "),
        "floor": ([sys.executable, str(ROOT / "tests" / "benchmarks" / "bench_floor_window.py")], "focus edit"),
    }
    if packaged is not None:
        candidates["packaged"] = ([str(packaged / "budtender-app"), "--demo", "--debug"], "focus ")
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for command, marker in candidates.values():  # warm the disk cache and the .pyc files
        time_to_line(command, marker, env)
    for _ in range(runs):  # interleaved, so a busy moment on the machine hits both
        for name, (command, marker) in candidates.items():
            seconds, rss = time_to_line(command, marker, env)
            samples[name].append(ms(seconds))
            if rss is not None:
                STARTUP_RSS.setdefault(name, []).append(rss)
    floor_ms = median(samples["floor"])
    figures = []
    for name, label in (("app", "start-up"), ("packaged", "start-up (packaged app)")):
        if name in samples:
            value = median(samples[name])
            note = ("python -m budtender_app --demo --debug to its first 'focus' line; "
                    "reference: tests/benchmarks/bench_floor_window.py")
            if name == "packaged":
                note = f"{packaged}/budtender-app --demo --debug; same reference"
            figures.append(Figure(label, value, "ms", floor_ms, round(1.3 * floor_ms, 1),
                                  "<= 1.3 x bare PySide6 window",
                                  value <= 1.3 * floor_ms, samples[name], samples["floor"], note))
    return figures


# -- bare httpx: the references for the per-step figures ------------------------------------

async def bare_httpx_calls(url: str, runs: int) -> dict[str, list[float]]:
    """ms per call of the three requests the app makes (same bodies and headers), by plain httpx
    on whatever loop runs this: a plain asyncio loop for the reference, Qt's for comparison."""
    headers = {"X-APIKEY": DEMO_API_KEY, "Accept": "application/json"}
    out: dict[str, list[float]] = {"verify": [], "view wallet": [], "redeem": []}

    async def timed(name: str, send, keep: bool):
        start = time.perf_counter()
        response = await send()
        if keep:
            out[name].append(ms(time.perf_counter() - start))
        if response.status_code != 200:
            raise RuntimeError(f"bare {name} failed: {response.text}")
        return response

    async with httpx.AsyncClient() as http:
        for i in range(runs + 1):  # the first round warms the connection, as the app's is warm
            await timed("verify", lambda: http.post(f"{url}/api/v2/verify/contact/wallet",
                                                    json={"phone": BENCH_PHONE}, headers=headers), i > 0)
            wallet = await timed("view wallet", lambda: http.post(f"{url}/api/v2/view/contact/wallet",
                                 json={"phone": BENCH_PHONE, "code": PIN}, headers=headers), i > 0)
            redeem_url = wallet.json()["data"]["discountTemplates"][0]["redemptionURL"]
            await timed("redeem", lambda url=redeem_url: http.put(f"{url}/BARE-{os.getpid()}-{time.time_ns()}",
                                                                  headers=headers), i > 0)
    return out


STEPS = ("verify", "view wallet", "redeem")
PARTS = ("key to request", "http", "answer to drawn", "cpu")


def measure_steps_and_big_wallet(url: str, runs: int) -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="bench-steps-"))
    quiet_app_logging(folder)
    bare = asyncio.run(bare_httpx_calls(url, max(runs, 10)))

    async def main():
        c = await Counter(url, folder).ready()
        on_qt_loop = await bare_httpx_calls(url, max(runs, 10))
        steps = await app_steps(c, runs)
        big = await big_wallet_figures(c, runs)
        await c.close()
        return on_qt_loop, steps, big

    on_qt_loop, steps, (shown, refilter) = run_on_qt_loop(main)
    figures = []
    for name in STEPS:
        samples = [ms(run[name]["total"]) for run in steps]
        app_ms, ref = median(samples), median(bare[name])
        parts = " · ".join(f"{part} {median([ms(run[name][part]) for run in steps]):.1f}" for part in PARTS)
        note = (f"app adds {app_ms - ref:.1f} ms. Split: {parts} (GUI thread). Bare httpx on the app's "
                f"Qt loop: {median(on_qt_loop[name]):.1f}")
        figures.append(Figure(name, app_ms, "ms", ref, round(ref + 5, 2), "app adds <= 5 ms",
                              app_ms - ref <= 5, samples, bare[name], note))
    figures.append(Figure("big wallet: answer to list drawn", median(shown), "ms", None, 50, "< 50 ms",
                          median(shown) < 50, shown, note=f"{BIG_COUNT} discounts: parse, eligibility, redraw"))
    figures.append(Figure("big wallet: re-filter on cart change", median(refilter), "ms", None, 50, "< 50 ms",
                          median(refilter) < 50, refilter,
                          note="one key and Enter in the cart total to the lists redrawn"))
    return figures


async def app_steps(c: Counter, runs: int) -> list[dict[str, dict[str, float]]]:
    await redeem_by_keys(c, BENCH_PHONE, picks=1, pause=1.0)  # warm: connection, first paints
    return [await redeem_by_keys(c, BENCH_PHONE, picks=1, pause=1.0) for _ in range(runs)]


async def big_wallet_figures(c: Counter, runs: int) -> tuple[list[float], list[float]]:
    shown, refilter = [], []
    for run in range(runs + 1):  # the first is a warm-up, as for the steps
        seconds = await open_big_wallet(c)
        for key in (Qt.Key.Key_0, Qt.Key.Key_Backspace):  # $42 -> $420 -> $42
            refilter_seconds = await refilter_big_wallet(c, key)
            if run:
                refilter.append(ms(refilter_seconds))
        if run:
            shown.append(ms(seconds))
        c.vm.abandon()  # Esc in the wallet only steps back to the phone now
        await until_step(c.vm, Step.CART)
    return shown, refilter


# -- a full redemption with 300 ms per answer, in a child process: gaps and memory -----------

def full_redemption_child(url: str) -> int:
    """Child: a 5 ms timer ticking while the window sits idle for 2 s (the reference: the loop's and
    the machine's own jitter), during the first full keyboard redemption after start, and during a
    second, warm one; prints the gaps of each and the process's peak RSS as JSON."""
    folder = Path(tempfile.mkdtemp(prefix="bench-flow-"))
    quiet_app_logging(folder)

    async def main():
        c = await Counter(url, folder).ready()
        await asyncio.sleep(0.2)  # the window's first paints are start-up, not a redemption
        idle = await ticked(c, asyncio.sleep(2.0))
        first = await ticked(c, redeem_by_keys(c, BENCH_PHONE, picks=2, pause=0.6, typing=0.03, timed=False))
        warm = await ticked(c, redeem_by_keys(c, BENCH_PHONE, picks=2, pause=0.6, typing=0.03, timed=False))
        await c.close()
        return idle, first, warm

    idle, first, warm = run_on_qt_loop(main)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"idle": idle, "first": first, "warm": warm, "peak_rss_mb": round(peak_kb / 1024, 1)}))
    return 0


async def ticked(c: Counter, work) -> dict:
    """The longest gaps between ticks of a 5 ms PreciseTimer while ``work`` runs, each with the
    step the app was at when the gap ended. Keys are typed 30 ms apart: a person typing lets the
    loop run between keys, and a burst of keys in one go would read as a freeze nobody causes."""
    ticks: list[tuple[float, str]] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), c.vm.step.name)))
    timer.start(5)
    await work
    timer.stop()
    gaps = sorted(((round((b[0] - a[0]) * 1000, 2), b[1]) for a, b in itertools.pairwise(ticks)), reverse=True)
    return {"max_gap_ms": gaps[0][0], "gaps": gaps[:5], "ticks": len(ticks)}


def measure_full_redemptions(url: str, runs: int) -> list[Figure]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--full-redemption", url],
                             capture_output=True, text=True, cwd=ROOT, timeout=120,
                             env=isolated_env(Path(tempfile.mkdtemp(prefix="bench-child-"))))
        if out.returncode != 0:
            raise RuntimeError(f"the full-redemption child failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    warm, first, idle = ([r[k]["max_gap_ms"] for r in results] for k in ("warm", "first", "idle"))
    rss = [r["peak_rss_mb"] for r in results]

    def worst(kind: str) -> str:
        gaps = max(results, key=lambda r: r[kind]["max_gap_ms"])[kind]["gaps"][:3]
        return ", ".join(f"{g} {step}" for g, step in gaps)

    gap_note = (f"warm redemption, 300 ms per answer; its longest gaps (ms, step at the gap's end): {worst('warm')}. "
                f"The first redemption after start: median {median(first):.1f} ms ({worst('first')}). "
                f"Reference: the same timer with the window idle")
    floor_rss = STARTUP_RSS.get("floor")
    rss_note = ("the process after 2 redemptions (Python, Qt, window, httpx, journal); "
                "reference: the bare PySide6 window")
    return [
        Figure("never frozen: longest tick gap", median(warm), "ms", median(idle), 16, "< 16 ms (one frame)",
               median(warm) < 16, warm, idle, gap_note),
        Figure("memory: peak RSS, full redemption", median(rss), "MB", median(floor_rss) if floor_rss else None,
               150, "< 150 MB", median(rss) < 150, rss, floor_rss or [], rss_note),
    ]


# -- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (medians are reported)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--packaged", metavar="DIR", type=Path,
                        help="also time the start-up of the built app in DIR (dist/budtender-app)")
    parser.add_argument("--full-redemption", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.full_redemption:
        return full_redemption_child(args.full_redemption)

    load_before = load_average()
    if load_before and load_before > 0.5:
        print(f"Note: the machine is busy (load average {load_before}); figures will be noisier.", file=sys.stderr)
    figures = measure_startup(args.runs, args.packaged)
    with SimulatorProcess(0.0) as url:
        figures += measure_steps_and_big_wallet(url, args.runs)
    with SimulatorProcess(SLOW_LATENCY) as url:
        figures += measure_full_redemptions(url, args.runs)
    info = {**machine(), "load_average_before": load_before, "load_average_after": load_average()}
    print(f"\n{info['cpu']}, {info['cores']} cores · Python {info['python']} · PySide6 {info['pyside6']} "
          f"(Qt {info['qt']}) · QPA {info['qpa']} · load {load_before} -> {info['load_average_after']} · "
          f"medians of {args.runs} runs\n")
    print_table(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": info, "runs": args.runs,
             "figures": [{**asdict(f), "ratio": f.ratio} for f in figures]}, indent=2) + "\n")
    return 0 if all(f.met for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
