"""Issue 16's import speed: a 100,000-row inventory file imported against the simulator on
127.0.0.1 with the rate limit off, beside a bare httpx loop posting the same batches.

    .venv/bin/python tests/benchmarks/bench_feed_import.py [--rows 100000] [--runs 3]

Each run starts a fresh simulator (``budtender-app simulator``) in its own process, so its memory
(it keeps every item it receives) is not counted, and runs each side in a process of its own:

- import: ``FeedImporter.check`` (every row read and checked) then ``run`` (the file read again,
  1,000 batches of 100 posted one after another, each answer written to a fresh progress file),
  through ``FeedClient`` with no rate limiter; then the same file again (everything acknowledged:
  nothing is sent);
- bare: the same CSV read with ``csv.DictReader`` into the same item bodies, posted in batches of
  100 with one ``httpx.AsyncClient`` (same headers), checking only ``success``.

Figures: medians of the wall times, and each process's peak RSS (``ru_maxrss``). Goal: peak
memory of the import < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("sku,name,category,brand,salesPrice,quantity,inStock\n")
        for n in range(rows):
            out.write(f"SKU-{n:07d},Item number {n} 3.5g,Flower,Brand {n % 50},{10 + n % 90}.{n % 100:02d},"
                      f"{n % 40},{'yes' if n % 7 else 'no'}\n")


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def child_import(url: str, csv_path: Path, folder: Path) -> dict:
    import httpx

    from budtender_app.domain.clock import Clock
    from budtender_app.domain.feed_mapping import FeedKind
    from budtender_app.services.aiq_config import AiqConfig
    from budtender_app.services.feeds.client import FeedClient
    from budtender_app.services.feeds.importer import FeedImporter, Outcome
    from budtender_app.services.feeds.progress import ProgressStore
    from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID

    clock = Clock.system()
    progress = ProgressStore(folder / "feed-imports.sqlite3", clock)
    async with httpx.AsyncClient(timeout=30.0) as http:
        importer = FeedImporter(FeedClient(http, AiqConfig(url, DEMO_API_KEY, DEMO_UID)), progress, store="Bench",
                                clock=clock)
        start, cpu = time.perf_counter(), time.process_time()
        check = await asyncio.to_thread(importer.check, FeedKind.INVENTORY, csv_path)
        checked, cpu_checked = time.perf_counter(), time.process_time()
        result = await importer.run(check)
        sent, cpu_sent = time.perf_counter(), time.process_time()
        again = await importer.run(await asyncio.to_thread(importer.check, FeedKind.INVENTORY, csv_path))
        rerun = time.perf_counter()
    progress.close()
    assert result.outcome is Outcome.DONE and result.sent_items == check.items, result.message
    assert again.sent_items == 0 and again.skipped_items == check.items, again.message
    return {"check_s": checked - start, "send_s": sent - checked, "total_s": sent - start, "rerun_s": rerun - sent,
            "cpu_check_s": cpu_checked - cpu, "cpu_send_s": cpu_sent - cpu_checked, "cpu_s": cpu_sent - cpu,
            "batches": check.batches, "peak_mb": peak_mb()}


async def child_bare(url: str, csv_path: Path) -> dict:
    import csv

    import httpx

    from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID

    target = f"{url}/api/v1.1/createUpdateInventory/{DEMO_UID}"
    headers = {"X-APIKEY": DEMO_API_KEY, "Accept": "application/json"}
    posts = 0
    start, cpu = time.perf_counter(), time.process_time()
    async with httpx.AsyncClient(timeout=30.0) as http:
        with csv_path.open(encoding="utf-8", newline="") as data:
            batch: list[dict] = []
            for row in csv.DictReader(data):
                price = float(row["salesPrice"])
                batch.append({"sku": row["sku"], "name": row["name"], "category": row["category"],
                              "brand": row["brand"], "salesPrice": int(price) if price.is_integer() else price,
                              "quantity": int(row["quantity"]), "inStock": row["inStock"] == "yes"})
                if len(batch) == 100:
                    posts += await _post(http, target, headers, batch)
                    batch = []
            if batch:
                posts += await _post(http, target, headers, batch)
    return {"total_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu, "batches": posts,
            "peak_mb": peak_mb()}


async def _post(http, target: str, headers: dict, batch: list[dict]) -> int:
    answer = await http.post(target, json=batch, headers=headers)
    assert answer.status_code == 200 and answer.json().get("success") is True
    return 1


def start_simulator() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "budtender_app", "simulator", "--port", "0"],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    return process, url


def run_child(kind: str, url: str, csv_path: Path, folder: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--url", url, "--csv", str(csv_path),
                           "--folder", str(folder)], capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(rows: int, runs: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-feed-"))
    csv_path = folder / "inventory.csv"
    write_file(csv_path, rows)
    results: dict[str, list[dict]] = {"import": [], "bare": []}
    for run in range(runs):
        for kind in ("bare", "import") if run % 2 else ("import", "bare"):
            sim, url = start_simulator()
            try:
                results[kind].append(run_child(kind, url, csv_path, Path(tempfile.mkdtemp(dir=folder))))
            finally:
                sim.terminate()
                sim.wait(timeout=10)
    return {"rows": rows, "file_mb": csv_path.stat().st_size / 1e6, **results}


def report(found: dict) -> None:
    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in found[kind])

    imp = found["import"]
    print(f"{found['rows']:,} rows ({found['file_mb']:.1f} MB), {imp[0]['batches']} batches, "
          f"{len(imp)} runs each, load {os.getloadavg()[0]:.2f}")
    print(f"  bare httpx loop   {med('bare', 'total_s'):6.2f} s (CPU {med('bare', 'cpu_s'):5.2f} s)   "
          f"peak {med('bare', 'peak_mb'):5.1f} MB")
    print(f"  import (total)    {med('import', 'total_s'):6.2f} s (CPU {med('import', 'cpu_s'):5.2f} s)   "
          f"peak {max(r['peak_mb'] for r in imp):5.1f} MB (goal < 150 MB)   "
          f"ratio {med('import', 'total_s') / med('bare', 'total_s'):.2f}")
    print(f"    check pass      {med('import', 'check_s'):6.2f} s (CPU {med('import', 'cpu_check_s'):5.2f} s)")
    send_ratio = med("import", "send_s") / med("bare", "total_s")
    print(f"    send pass       {med('import', 'send_s'):6.2f} s (CPU {med('import', 'cpu_send_s'):5.2f} s)   "
          f"ratio {send_ratio:.2f}")
    print(f"  rerun, all sent   {med('import', 'rerun_s'):6.2f} s (nothing posted)")
    print("  samples: " + json.dumps({k: [round(r['total_s'], 2) for r in v] for k, v in found.items()
                                      if isinstance(v, list)}))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=("import", "bare"))
    parser.add_argument("--url")
    parser.add_argument("--csv")
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.child == "import":
        print(json.dumps(asyncio.run(child_import(args.url, Path(args.csv), Path(args.folder)))))
        return 0
    if args.child == "bare":
        print(json.dumps(asyncio.run(child_bare(args.url, Path(args.csv)))))
        return 0
    found = measure(args.rows, args.runs)
    report(found)
    return 0 if max(r["peak_mb"] for r in found["import"]) < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
