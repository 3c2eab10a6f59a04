"""Start-up of the terminal, counted and timed across trees: launch to the first "focus" line.

    python tests/benchmarks/count_startup.py --runs 15 /work/wt/base .        # alternating launches
    python tests/benchmarks/count_startup.py --callgrind /work/wt/base .      # instructions, 2 launches each

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
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
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
sys.argv = ["budtender-app", "--demo", "--debug"]
main()
"""


def environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    folder = Path(tempfile.mkdtemp(prefix="startup-"))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(folder / name.lower())
    return env


def launch(tree: Path, env: dict[str, str], prefix: list[str] | None = None) -> tuple[float, float]:
    """(wall ms, CPU ms) of one launch to its first focus line."""
    start = time.perf_counter()
    process = subprocess.Popen([*(prefix or []), sys.executable, "-c", TO_FOCUS], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env, cwd=tree, stdin=subprocess.DEVNULL)
    try:
        for line in process.stdout or ():
            if line.startswith("CPU "):
                return (time.perf_counter() - start) * 1000, float(line.split()[1]) * 1000
        raise RuntimeError(f"{tree} never printed a focus line")
    finally:
        process.wait()


def timed(trees: list[Path], runs: int) -> None:
    envs = {tree: environment(tree) for tree in trees}
    for tree in trees:
        launch(tree, envs[tree])  # warm: .pyc files, the training staff seeded
    samples: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in trees}
    for _ in range(runs):
        for tree in trees:
            samples[tree].append(launch(tree, envs[tree]))
    for tree in trees:
        wall, cpu = [w for w, _ in samples[tree]], [c for _, c in samples[tree]]
        print(f"{tree}: wall median {statistics.median(wall):.0f} ms (least {min(wall):.0f}), "
              f"CPU median {statistics.median(cpu):.0f} ms (least {min(cpu):.0f}), {runs} launches")


def counted(trees: list[Path]) -> None:
    for tree in trees:
        env = environment(tree)
        launch(tree, env)
        for n in (1, 2):
            folder = Path(tempfile.mkdtemp(prefix="startup-cg-"))
            launch(tree, env, ["valgrind", "--tool=callgrind", "--trace-children=yes",
                               f"--callgrind-out-file={folder}/cg.%p"])
            totals = [int(m.group(1)) for f in folder.iterdir()
                      if (m := re.search(r"^summary: (\d+)", f.read_text(errors="replace"), re.MULTILINE))]
            print(f"{tree} launch {n}: {sum(totals) / 1e6:.0f} million instructions "
                  f"({len(totals)} processes, the largest {max(totals) / 1e6:.0f} million); {folder}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="checkout roots (each has budtender_app/)")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead of timing")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.trees]
    if args.callgrind:
        counted(trees)
    else:
        timed(trees, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
