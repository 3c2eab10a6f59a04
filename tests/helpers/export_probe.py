"""The store-wide export in a process of its own, measured: its peak memory and its time.

    python -m tests.helpers.export_probe --port P --db DB --out FILE [--since YYYY-MM-DD] [--copy]

The password comes from ``PGPASSWORD`` (libpq reads it), never the command line. Prints one JSON
line: ``rows``, ``seconds``, ``baseline_mb`` (peak RSS once imported and connected, before the
export) and ``peak_mb`` (``ru_maxrss`` after it). ``--copy`` times the reference instead:
``COPY (SELECT the same rows) TO STDOUT`` written to the file, the server's own fastest way out.
Used by tests/services/hub/test_hub_export.py and tests/benchmarks/bench_hub_export.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from zoneinfo import ZoneInfo

import psycopg

from budtender_app.services.hub.export import export_hub_csv, hub_query

ZONE = ZoneInfo("America/Denver")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _copy(conn: psycopg.Connection, out: str, since: date) -> int:
    query, params = hub_query(since, None, ZONE, None)
    rows = 0
    bound = psycopg.ClientCursor(conn).mogrify(query, params)  # COPY takes no parameters
    with conn.cursor() as cursor, open(out, "wb") as handle, \
            cursor.copy(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
        for data in copy:
            handle.write(data)
            rows += bytes(data).count(b"\n")
    return rows - 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--out", required=True)
    parser.add_argument("--since", default="2000-01-01")
    parser.add_argument("--copy", action="store_true")
    args = parser.parse_args(argv)
    since = date.fromisoformat(args.since)
    with psycopg.connect(host="127.0.0.1", port=args.port, user=args.user, dbname=args.db) as conn:
        conn.execute("SELECT 1").fetchone()
        baseline = _peak_mb()
        began = time.perf_counter()
        if args.copy:
            rows = _copy(conn, args.out, since)
        else:
            rows = export_hub_csv(conn, args.out, since, None, ZONE, replace=True).count
        seconds = time.perf_counter() - began
    print(json.dumps({"rows": rows, "seconds": round(seconds, 3), "baseline_mb": round(baseline, 1),
                      "peak_mb": round(_peak_mb(), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
