"""Start-up of the terminal, counted and timed across trees: launch to the first "focus" line.

    python tests/benchmarks/count_startup.py --runs 15 /work/wt/base .        # alternating launches
    python tests/benchmarks/count_startup.py --callgrind /work/wt/base .      # instructions, 2 launches each
    python tests/benchmarks/count_startup.py --real ...                       # a till's start (see --real)

Each tree (a checkout's root) is launched as ``python -m budtender_app --demo --debug`` would be
(``cli.main``, offscreen, ``.pyc`` files written, its own throwaway XDG folders kept between its
launches, so the training staff is seeded once, at the warm launch), with a logging handler that
ends the process at the first "focus " line, as the benchmark's start-up figure does.

Default: launches alternate between the trees (a busy moment of a shared machine hits each), and
for each the median and least wall time (launch to the line, seen by this process) and CPU time
(the process's own, all its threads, plus its children's: keyring's macOS probe ran ``ldconfig``
and ``gcc``), which a loaded machine moves far less than wall time.
``--callgrind``: instructions under ``valgrind --tool=callgrind --trace-children=yes``, summed
over the process and its children; the same tree counts the same to within 0.1 %.
``--real``: a till's start instead of training's: each tree gets a store profile of its own whose
AIQ is the simulator (served by this process on 127.0.0.1), its API key in the OS keyring and,
where the tree has staff accounts, a manager, so the sign-in shows as at a till each morning;
launched as ``budtender-app --debug``. It needs a usable keyring: run it as tests run, e.g.
``dbus-run-session -- bash -c 'eval "$(printf x | gnome-keyring-daemon --unlock --components=secrets)";
python tests/benchmarks/count_startup.py --real /work/wt/base .'``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

TO_FOCUS = r"""
import logging, os, resource, sys, time
class AtFocus(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("focus "):
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            print("CPU", time.process_time() + children.ru_utime + children.ru_stime, flush=True)
            os._exit(0)
logging.getLogger().addHandler(AtFocus())
from budtender_app.cli import main
sys.argv = ["budtender-app", *sys.argv[1:]]
main()
"""

#: Run once per tree (its own code, its own folders): the store profile, its key in the keyring,
#: a manager where the tree has staff accounts. argv: store name, the simulator's URL.
REAL_SETUP = r"""
import sys
from budtender_app.domain.settings import validate_profile
from budtender_app.services.credentials import Credentials, CredentialStore
from budtender_app.services.settings_model import Settings
from budtender_app.services.settings_store import SettingsStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
name, url = sys.argv[1:3]
profile, wrong = validate_profile({"name": name, "store_id": "1", "uid": DEMO_UID, "base_url": url,
                                   "brand": "Bench Buds", "country": "US"})
assert profile is not None, wrong
SettingsStore().save(Settings().with_profile(profile))
CredentialStore().save(name, Credentials(DEMO_UID, DEMO_API_KEY))
try:
    from budtender_app.domain.clock import SYSTEM_CLOCK
    from budtender_app.domain.staff import Actor, Role
    from budtender_app.services.paths import folders
    from budtender_app.services.staff import open_staff_store
except ImportError:  # the tree before issue 13: no staff accounts
    sys.exit(0)
open_staff_store(folders(), clock=SYSTEM_CLOCK).add("Morning Manager", Role.MANAGER, "482916",
                                                    by=Actor.first_start_setup())
"""

DEMO_ARGS = ("--demo", "--debug")


def environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    folder = Path(tempfile.mkdtemp(prefix="startup-"))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(folder / name.lower())
    return env


def real_store(tree: Path, env: dict[str, str], url: str) -> tuple[str, ...]:
    """Set ``tree`` up as a till whose AIQ is at ``url``; the app's arguments that start it."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run([sys.executable, "-c", REAL_SETUP, name, url], env=env, cwd=tree, check=True,
                   stdin=subprocess.DEVNULL)
    return ("--debug",)


def launch(tree: Path, env: dict[str, str], prefix: list[str] | None = None,
           args: tuple[str, ...] = DEMO_ARGS) -> tuple[float, float]:
    """(wall ms, CPU ms) of one launch to its first focus line."""
    start = time.perf_counter()
    process = subprocess.Popen([*(prefix or []), sys.executable, "-c", TO_FOCUS, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env, cwd=tree, stdin=subprocess.DEVNULL)
    try:
        for line in process.stdout or ():
            if line.startswith("CPU "):
                return (time.perf_counter() - start) * 1000, float(line.split()[1]) * 1000
        raise RuntimeError(f"{tree} never printed a focus line")
    finally:
        process.wait()


def timed(trees: list[Path], runs: int, url: str | None) -> None:
    envs = {tree: environment(tree) for tree in trees}
    args = {tree: real_store(tree, envs[tree], url) if url else DEMO_ARGS for tree in trees}
    for tree in trees:
        launch(tree, envs[tree], args=args[tree])  # warm: .pyc files, the training staff seeded
    samples: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in trees}
    for _ in range(runs):
        for tree in trees:
            samples[tree].append(launch(tree, envs[tree], args=args[tree]))
    for tree in trees:
        wall, cpu = [w for w, _ in samples[tree]], [c for _, c in samples[tree]]
        print(f"{tree}: wall median {statistics.median(wall):.0f} ms (least {min(wall):.0f}), "
              f"CPU median {statistics.median(cpu):.0f} ms (least {min(cpu):.0f}), {runs} launches")


def counted(trees: list[Path], url: str | None) -> None:
    for tree in trees:
        env = environment(tree)
        args = real_store(tree, env, url) if url else DEMO_ARGS
        launch(tree, env, args=args)
        for n in (1, 2):
            folder = Path(tempfile.mkdtemp(prefix="startup-cg-"))
            launch(tree, env, ["valgrind", "--tool=callgrind", "--trace-children=yes",
                               f"--callgrind-out-file={folder}/cg.%p"], args)
            totals = [int(m.group(1)) for f in folder.iterdir()
                      if (m := re.search(r"^summary: (\d+)", f.read_text(errors="replace"), re.MULTILINE))]
            print(f"{tree} launch {n}: {sum(totals) / 1e6:.0f} million instructions "
                  f"({len(totals)} processes, the largest {max(totals) / 1e6:.0f} million); {folder}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="checkout roots (each has budtender_app/)")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead of timing")
    parser.add_argument("--real", action="store_true", help="a till's start: a store profile, its key in the keyring")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.trees]
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(simulator()) if args.real else None
        if args.callgrind:
            counted(trees, url)
        else:
            timed(trees, args.runs, url)
    return 0


@contextlib.contextmanager
def simulator() -> Iterator[str]:
    """This tree's simulator on 127.0.0.1, answering at once, while the launches run; its URL."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from budtender_app.simulator.server import SimulatorServer

    with SimulatorServer() as server:
        yield server.url


if __name__ == "__main__":
    sys.exit(main())
