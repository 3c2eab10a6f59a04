"""What a claim adds to checkout on 127.0.0.1 (issue 15's scale goal: at most 5 ms beside the
bare round trip). Printed for tests/benchmarks/BENCHMARK.md; asserted loosely (a shared machine)."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.claimer import HubClaimer
from budtender_app.services.hub.claims import ClaimOutcome
from budtender_app.services.hub.config import parse_hub_url

pytestmark = pytest.mark.hub
RUNS = 40


def now() -> datetime:
    return datetime(2026, 12, 2, 14, 3, tzinfo=UTC)


@pytest.mark.asyncio
async def test_a_claim_adds_a_few_milliseconds_beside_the_bare_round_trip(hub_db, capsys):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    claimer = HubClaimer(args, store="Main St", terminal_id="t1", terminal_name="Register 1", now=now)

    def bare() -> None:  # what any claim costs at least: a connection and one query
        with psycopg.connect(**args) as conn:
            conn.execute("SELECT 1").fetchone()

    bare_ms, claim_ms = [], []
    for n in range(RUNS):  # interleaved: the machine's load falls on both alike
        start = time.perf_counter()
        await asyncio.to_thread(bare)
        bare_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        result = await claimer.claim(f"POS-{n:08d}", ["101", "102"])
        claim_ms.append((time.perf_counter() - start) * 1000)
        assert result.outcome is ClaimOutcome.CLAIMED
    with psycopg.connect(**args) as conn:  # the query alone, on a connection kept open
        query_ms = []
        for _ in range(RUNS):
            start = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            query_ms.append((time.perf_counter() - start) * 1000)
    bare_med, claim_med = statistics.median(bare_ms), statistics.median(claim_ms)
    with capsys.disabled():
        print(f"\nclaim of 2 discounts {claim_med:.2f} ms median (min {min(claim_ms):.2f}); bare connect+SELECT 1 "
              f"{bare_med:.2f} ms (min {min(bare_ms):.2f}); added {claim_med - bare_med:.2f} ms; "
              f"SELECT 1 on an open connection {statistics.median(query_ms):.3f} ms")
    assert claim_med - bare_med < 25  # the goal is 5 ms (BENCHMARK.md); loose here: other sessions share the cores
