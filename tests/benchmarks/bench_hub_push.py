"""Push throughput to the store hub (issue 15's scale figure), beside a bare psycopg insert loop.

    .venv/bin/python tests/benchmarks/bench_hub_push.py [--terminals 20] [--redemptions 5000] [--runs 1]
                                                         [--profile]

A throwaway PostgreSQL cluster (tests/helpers/pg.py: initdb, pg_ctl, 127.0.0.1, fsync off) and
``--terminals`` journals of ``--redemptions`` redemptions each (sales of two discounts, each
queued, sent and redeemed: 3 audit events a redemption; tests/helpers/hub_journal.py), built
with the journal API once and copied (each copy pushes as its own terminal: ``Terminal.id`` set
per copy; the rows are alike, their keys are not).

- push: every terminal pushes its whole journal at once, each in its own process with its own
  connection (20 registers are 20 computers), ``services/hub/push.push`` as the background pusher
  calls it (events, redemption rows, the terminal's row, then the chain check of what was pushed);
- reference: the same events, already read into memory, inserted by the same number of processes
  with a bare ``executemany`` of the same INSERT, in transactions of the same batch size
  (``push.BATCH``), into a fresh hub database of the same schema.

Events per second = all events / wall time from the moment every process is ready (a barrier)
to the last one done. ``--profile`` prints where one terminal's push spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import astuple
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg

from budtender_app.services.hub import push as hub_push
from budtender_app.services.hub import schema
from budtender_app.services.journal import Journal
from tests.helpers import hub_journal
from tests.helpers.pg import PASSWORD, Cluster, bin_dir, free_port


class _FastJournal(Journal):
    """The journal API with SQLite's fsync off: building 5,000 redemptions takes seconds, not minutes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._conn.execute("PRAGMA synchronous=OFF")


def build_journals(folder: Path, terminals: int, redemptions: int) -> list[Path]:
    first = folder / "journal-00.sqlite3"
    hub_journal.Journal = _FastJournal  # type: ignore[misc] - the bench's builder only
    hub_journal.write_sales(first, redemptions // 2)
    with Journal.open_read_only(first, hub_journal.SEAL) as journal:
        journal._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file to copy
    paths = [first]
    for n in range(1, terminals):
        paths.append(folder / f"journal-{n:02d}.sqlite3")
        shutil.copyfile(first, paths[-1])
    return paths


def terminal_of(path: Path, n: int) -> hub_push.Terminal:
    terminal = hub_push.Terminal(Journal.open_read_only(path, hub_journal.SEAL), f"Register {n + 1}")
    terminal.id = f"bench-terminal-{n:02d}"  # each copy its own terminal on the hub
    return terminal


def _push_worker(url: dict, path: Path, n: int, barrier, out) -> None:
    terminal = terminal_of(path, n)
    with psycopg.connect(**url) as conn:
        conn.execute("SELECT 1")
        barrier.wait()
        start = time.perf_counter()
        result = hub_push.push(terminal, conn)
        out.put((start, time.perf_counter(), result.pushed, bool(result.chain and result.chain.ok)))
    terminal.journal.close()


def _bare_worker(url: dict, path: Path, n: int, barrier, out) -> None:
    terminal = terminal_of(path, n)
    rows = [(terminal.id, *astuple(r)) for r in terminal.journal.audit.rows(since=1, limit=10**9)]
    terminal.journal.close()
    batch = hub_push.BATCH
    with psycopg.connect(**url) as conn:
        conn.execute("INSERT INTO hub_terminals (terminal_id, name) VALUES (%s, %s)", (terminal.id, terminal.name))
        conn.commit()
        barrier.wait()
        start = time.perf_counter()
        for at in range(0, len(rows), batch):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(hub_push._EVENTS, rows[at:at + batch])
        out.put((start, time.perf_counter(), len(rows), True))


def run_side(worker, url: dict, paths: list[Path]) -> tuple[float, int, bool]:
    """(wall seconds, events, every chain ok) of ``worker`` in one process per journal."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(len(paths)), ctx.Queue()
    processes = [ctx.Process(target=worker, args=(url, p, n, barrier, out)) for n, p in enumerate(paths)]
    for p in processes:
        p.start()
    results = [out.get(timeout=900) for _ in processes]
    for p in processes:
        p.join(60)
    starts, ends, counts, oks = zip(*results, strict=True)
    return max(ends) - min(starts), sum(counts), all(oks)


def fresh_hub(cluster: Cluster) -> tuple[str, dict]:
    name = cluster.new_database()
    args = {"host": "127.0.0.1", "port": cluster.port, "user": "postgres", "password": PASSWORD, "dbname": name}
    with psycopg.connect(**args) as conn:
        schema.migrate(conn)
    return name, args


def profile_one(cluster: Cluster, path: Path) -> str:
    _name, args = fresh_hub(cluster)
    terminal = terminal_of(path, 0)
    profiler = cProfile.Profile()
    with psycopg.connect(**args) as conn:
        profiler.runcall(hub_push.push, terminal, conn)
    terminal.journal.close()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    return text.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terminals", type=int, default=20)
    parser.add_argument("--redemptions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    bindir = bin_dir()
    if bindir is None:
        print("PostgreSQL's initdb/pg_ctl are absent (Debian: apt-get install postgresql)", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    cluster = Cluster(folder, free_port(), bindir)
    cluster._chown(folder)
    cluster.init()
    cluster.start()
    try:
        started = time.perf_counter()
        (folder / "journals").mkdir()
        paths = build_journals(folder / "journals", args.terminals, args.redemptions)
        print(f"{args.terminals} journals of {args.redemptions} redemptions built in "
              f"{time.perf_counter() - started:.1f} s; PostgreSQL {bindir.parent.name}, {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f}")
        if args.profile:
            print(profile_one(cluster, paths[0]))
        push_rates, bare_rates = [], []
        for run in range(args.runs):
            seconds, events, ok = run_side(_push_worker, fresh_hub(cluster)[1], paths)
            assert ok and events == args.terminals * (events // args.terminals)
            push_rates.append(events / seconds)
            bare_seconds, bare_events, _ = run_side(_bare_worker, fresh_hub(cluster)[1], paths)
            assert bare_events == events, (bare_events, events)
            bare_rates.append(bare_events / bare_seconds)
            print(f"run {run + 1}: push {events:,} events in {seconds:.2f} s = {events / seconds:,.0f}/s; "
                  f"bare executemany {bare_seconds:.2f} s = {bare_events / bare_seconds:,.0f}/s; "
                  f"push/bare {seconds / bare_seconds:.2f} x the time")
        push, bare = statistics.median(push_rates), statistics.median(bare_rates)
        print(f"median: push {push:,.0f} events/s, bare {bare:,.0f} events/s, push takes {bare / push:.2f} x")
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
