"""Issue 15's store-wide export: 1,000,000 audit events on the hub, exported as the auditors' CSV
in a process of its own (peak memory, goal < 150 MB), beside ``COPY (SELECT the same rows) TO
STDOUT`` on the same server (the server's own fastest way out, with no formatting at all).

    .venv/bin/python tests/benchmarks/bench_hub_export.py [--rows 1000000] [--runs 3] [--local]
    .venv/bin/python tests/benchmarks/bench_hub_export.py --rows 1000000 --local-only /work/main  # an older tree

A throwaway PostgreSQL cluster (tests/helpers/pg.py: initdb + pg_ctl on a temporary folder, a free
port on 127.0.0.1, password auth) filled in SQL (``generate_series``, tests/helpers/hub_fill.py),
not through terminals. Each run is ``python -m tests.helpers.export_probe``: peak RSS
(``ru_maxrss``) once connected, and after the export. ``--local`` also measures the local
journal's export (``redemptions export``'s code) of the same number of events, in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg

from budtender_app.services.hub import schema
from tests.helpers import pg
from tests.helpers.hub_fill import fill_events


def _probe(cluster: pg.Cluster, db: str, out: Path, *extra: str) -> dict:
    env = {**os.environ, "PGPASSWORD": pg.PASSWORD, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.helpers.export_probe", "--port", str(cluster.port),
                           "--db", db, "--out", str(out), *extra], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _local(rows: int, folder: Path, tree: Path = ROOT) -> dict:
    """The local journal's export of ``rows`` events by ``tree``'s app, in a process of its own."""
    script = folder / "local_probe.py"
    script.write_text(_LOCAL_PROBE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, str(script), str(rows), str(folder)], capture_output=True, text=True,
                          env=env, cwd=folder, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


#: A journal's audit table filled in SQL (its triggers only refuse UPDATE and DELETE), then exported.
_LOCAL_PROBE = '''
import json, resource, sqlite3, sys, time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo
from budtender_app.services.journal.audit import SCHEMA
from budtender_app.services.journal.export import export_csv
rows, folder = int(sys.argv[1]), Path(sys.argv[2])
db = folder / "local.sqlite3"
db.unlink(missing_ok=True)
conn = sqlite3.connect(db)
conn.executescript(SCHEMA)
conn.execute("ALTER TABLE audit ADD COLUMN entry_id INTEGER NOT NULL DEFAULT 0")
for c in ("state", "phase", "staff_id", "staff_name", "approver_id", "approver_name"):
    conn.execute(f"ALTER TABLE audit ADD COLUMN {c} TEXT NOT NULL DEFAULT ''")
conn.execute("ALTER TABLE audit ADD COLUMN fields_version INTEGER NOT NULL DEFAULT 4")
conn.execute("""WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
    INSERT INTO audit (id, at, event, store, terminal, transaction_id, discount_id, discount_name, pos_discount_id,
        points, detail, prev_hash, hash, staff_id, staff_name)
    SELECT n, strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 1767225600 + n * 30, 'unixepoch'), 'redeemed', 'Main St',
        'till-1', printf('POS-%08d', n / 3), 'd1', '$5 off', 'P-1', 100, '', printf('%064d', n - 1),
        printf('%064d', n), 's-1', 'Robin' FROM g""", (rows,))
conn.commit()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
began = time.perf_counter()
count = export_csv(conn, folder / "local.csv", date(2000, 1, 1), tz=ZoneInfo("America/Denver"))
seconds = time.perf_counter() - began
print(json.dumps({"rows": count, "seconds": round(seconds, 3), "baseline_mb": round(base, 1),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
'''


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--local", action="store_true", help="also the local journal's export of as many events")
    parser.add_argument("--local-only", metavar="TREE", type=Path, default=None,
                        help="only the local journal's export, by the app in TREE (an older checkout: before/after)")
    args = parser.parse_args()
    if args.local_only is not None:
        folder = Path(tempfile.mkdtemp(prefix="bench-local-export-"))
        try:
            local = _local(args.rows, folder, args.local_only.resolve())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"local journal export ({args.local_only}): {local['rows']:,} rows in {local['seconds']:.2f} s, "
              f"peak RSS {local['peak_mb']:.1f} MB (baseline {local['baseline_mb']:.1f} MB)")
        return 0
    bindir = pg.bin_dir()
    if bindir is None:
        print(pg.skip_reason(), file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-hub-export-"))
    cluster = pg.Cluster(folder, pg.free_port(), bindir)
    cluster._chown(folder)
    cluster.init()
    cluster.start()
    try:
        return _run(cluster, folder, args)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _run(cluster: pg.Cluster, folder: Path, args: argparse.Namespace) -> int:
    db = cluster.new_database()
    with psycopg.connect(cluster.url(db), password=pg.PASSWORD) as conn:
        schema.migrate(conn)
        began = time.perf_counter()
        fill_events(conn, args.rows, terminals=20, start=datetime(2026, 1, 1, tzinfo=UTC),
                    step=timedelta(seconds=30))
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE hub_events")  # as a hub that has run a while: statistics known
        print(f"filled {args.rows:,} events on 20 registers in {time.perf_counter() - began:.1f} s")
    out = folder / "export.csv"
    app, ref = [], []
    for _ in range(args.runs):  # interleaved: a busy moment on the machine hits both
        app.append(_probe(cluster, db, out))
        ref.append(_probe(cluster, db, out, "--copy"))
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs, medians")
    print(f"{'':28} {'rows':>10} {'time s':>8} {'peak RSS MB':>12} {'baseline MB':>12}")
    for name, runs in (("store-wide export (app)", app), ("COPY ... TO STDOUT (ref)", ref)):
        print(f"{name:28} {runs[0]['rows']:>10,} {statistics.median(r['seconds'] for r in runs):>8.2f} "
              f"{max(r['peak_mb'] for r in runs):>12.1f} {statistics.median(r['baseline_mb'] for r in runs):>12.1f}")
    ratio = statistics.median(r["seconds"] for r in app) / statistics.median(r["seconds"] for r in ref)
    peak = max(r["peak_mb"] for r in app)
    print(f"time: {ratio:.1f} x COPY; peak memory {peak:.0f} MB (goal < 150 MB: {'met' if peak < 150 else 'NOT met'})")
    if args.local:
        local = _local(args.rows, folder)
        print(f"local journal export: {local['rows']:,} rows in {local['seconds']:.2f} s, peak RSS "
              f"{local['peak_mb']:.1f} MB (baseline {local['baseline_mb']:.1f} MB)")
    return 0 if peak < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
