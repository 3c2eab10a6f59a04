"""The store-wide auditors' export from a real PostgreSQL hub: every register in one file, the
store's own days, no formula and no secret in a cell, memory flat however many rows."""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from budtender_app.domain.wallet import Discount
from budtender_app.services.hub import schema
from budtender_app.services.hub.export import HUB_CSV_COLUMNS, export_hub_csv
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal, JournalLock, Seal
from budtender_app.services.journal.export import CSV_COLUMNS
from tests.helpers.hub_fill import add_terminal, fill_events
from tests.helpers.hub_journal import CASHIER, SEAL, TOKEN, url_of, write_sales

pytestmark = pytest.mark.hub

DENVER = ZoneInfo("America/Denver")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def conn(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password, connect_timeout=5) as c:
        schema.migrate(c)
        yield c


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def push_journal(conn, path: Path, seal: Seal, name: str) -> None:
    result = push(Terminal(Journal.open_read_only(path, seal), name), conn)
    assert result.problem == ""


def add_event(conn, terminal_id: str, seq: int, at: datetime, *, detail: str = "", name: str = "$5 off") -> None:
    conn.execute(
        "INSERT INTO hub_events (terminal_id, seq, at, event, store, terminal, transaction_id, discount_id, "
        "discount_name, pos_discount_id, points, detail, prev_hash, hash, entry_id, state, phase, fields_version, "
        "staff_id, staff_name, approver_id, approver_name) VALUES (%s, %s, %s, 'redeemed', 'Main St', %s, "
        "'POS-1', 'd1', %s, 'P-1', 100, %s, %s, %s, 1, 'redeemed', '', 4, 's-1', 'Robin', '', '')",
        (terminal_id, seq, at.astimezone(UTC).isoformat(timespec="microseconds"), terminal_id, name, detail,
         f"{seq - 1:064d}", f"{seq:064d}"))
    conn.commit()


def test_two_registers_events_arrive_in_one_export_with_the_local_exports_columns(conn, tmp_path):
    write_sales(tmp_path / "one.sqlite3", 2)
    write_sales(tmp_path / "two.sqlite3", 1, seal=Seal("journal-two", b"t" * 32))
    push_journal(conn, tmp_path / "one.sqlite3", SEAL, "Register 1")
    push_journal(conn, tmp_path / "two.sqlite3", Seal("journal-two", b"t" * 32), "Register 2")
    out = tmp_path / "store.csv"
    today = datetime.now(UTC).astimezone(DENVER).date()
    result = export_hub_csv(conn, out, today - timedelta(days=1), today + timedelta(days=1), DENVER)
    rows = read(out)
    assert result.count == len(rows) == 12 + 6 and result.flagged == ()
    assert tuple(rows[0]) == HUB_CSV_COLUMNS == (*CSV_COLUMNS, "register")
    by_register = {r: [row for row in rows if row["register"] == r] for r in ("Register 1", "Register 2")}
    assert [len(v) for v in by_register.values()] == [12, 6]
    # each register's own numbers, from 1, each following the one before (the auditor's check)
    for events in by_register.values():
        numbers = [int(e["event_number"]) for e in events]
        assert numbers == list(range(1, len(events) + 1))
        assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(events))
    assert {r["staff"] for r in rows} == {CASHIER.name} and all(r["time"].endswith("-07:00") for r in rows)
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)  # the store's events in time order


def test_days_are_the_stores_own_midnight_to_midnight(conn, tmp_path):
    add_terminal(conn, "till-1", "Register 1")
    midnight = datetime(2026, 11, 22, tzinfo=DENVER)  # 07:00 UTC
    for seq, at in enumerate((midnight - timedelta(microseconds=1), midnight,
                              midnight + timedelta(hours=23, minutes=59, seconds=59), midnight + timedelta(days=1)), 1):
        add_event(conn, "till-1", seq, at)
    out = tmp_path / "day.csv"
    assert export_hub_csv(conn, out, date(2026, 11, 22), date(2026, 11, 22), DENVER).count == 2
    assert [r["time"] for r in read(out)] == ["2026-11-22T00:00:00-07:00", "2026-11-22T23:59:59-07:00"]
    assert export_hub_csv(conn, out, date(2026, 11, 21), date(2026, 11, 21), DENVER, replace=True).count == 1
    assert export_hub_csv(conn, out, date(2026, 11, 22), None, DENVER, replace=True).count == 3
    # the same instants for a store in another zone: its own day holds others
    assert export_hub_csv(conn, out, date(2026, 11, 22), date(2026, 11, 22), UTC, replace=True).count == 2
    assert [r["time"] for r in read(out)] == ["2026-11-22T06:59:59+00:00", "2026-11-22T07:00:00+00:00"]


def test_a_range_across_daylight_saving_shows_each_event_at_its_own_offset(conn, tmp_path):
    add_terminal(conn, "till-1", "Register 1")
    add_event(conn, "till-1", 1, datetime(2026, 10, 31, 12, tzinfo=DENVER))  # MDT
    add_event(conn, "till-1", 2, datetime(2026, 11, 1, 23, 30, tzinfo=DENVER))  # MST, the change's day (25 h)
    add_event(conn, "till-1", 3, datetime(2026, 11, 2, 0, 30, tzinfo=DENVER))
    out = tmp_path / "dst.csv"
    assert export_hub_csv(conn, out, date(2026, 10, 31), date(2026, 11, 1), DENVER).count == 2
    assert [r["time"] for r in read(out)] == ["2026-10-31T12:00:00-06:00", "2026-11-01T23:30:00-07:00"]


def test_one_store_or_the_whole_chain(conn, tmp_path):
    fill_events(conn, 30, terminals=3, start=datetime(2026, 11, 22, 15, tzinfo=UTC))
    conn.execute("UPDATE hub_events SET store = 'Elm St' WHERE terminal_id = 'till-3'")
    conn.commit()
    out = tmp_path / "x.csv"
    assert export_hub_csv(conn, out, date(2026, 11, 22), None, DENVER).count == 30
    assert export_hub_csv(conn, out, date(2026, 11, 22), None, DENVER, store="Elm St", replace=True).count == 10
    assert {r["register"] for r in read(out)} == {"Register 3"}
    assert export_hub_csv(conn, out, date(2026, 11, 22), None, DENVER, store="Nowhere", replace=True).count == 0
    assert list(read(out)) == [] and out.read_text().startswith("time,event,")


def test_a_formula_in_a_discount_name_is_neutralised_and_no_secret_reaches_the_file(conn, tmp_path):
    path = tmp_path / "j.sqlite3"
    formula = '=cmd|" /C calc"!A0'
    with Journal(path, store="Main St", terminal="till-1", seal=SEAL, lock=JournalLock(path).acquire()) as j:
        (entry,) = j.queue("POS-1", [Discount(id="d1", name=formula, points=100, redemption_url=url_of(1))],
                           staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-77")
        j.mark_sending(entry.id)
        j.mark_rejected(entry.id, f"AIQ said no to 555-123-4567 at {url_of(1)}")
    push_journal(conn, path, SEAL, "Register 1")
    add_event(conn, "journal-one", 4, datetime.now(UTC), name="+SUM(A1)",
              detail=f"echoed 555-123-4567 and {TOKEN} and shopper@example.com")
    conn.execute("UPDATE hub_terminals SET name = '@SUM(1+1)*cmd'")  # a register named by someone hostile
    conn.commit()
    out = tmp_path / "store.csv"
    today = datetime.now(UTC).astimezone(DENVER).date()
    export_hub_csv(conn, out, today - timedelta(days=1), None, DENVER)
    rows = read(out)
    assert {r["discount"] for r in rows} == {"'" + formula, "'+SUM(A1)"}
    assert {r["register"] for r in rows} == {"'@SUM(1+1)*cmd"}
    for row in rows:
        assert all(cell.lstrip()[:1] not in set("=+-@\t\r") for cell in row.values()), row
    text = out.read_text()
    for secret in (TOKEN, "555-123-4567", "5551234567", "C-77", "https://", "shopper@"):
        assert secret not in text


def test_a_file_that_is_there_is_kept_unless_replacing_was_asked_and_a_failure_leaves_no_file(conn, tmp_path):
    fill_events(conn, 3000, start=datetime(2026, 11, 22, 15, tzinfo=UTC), step=timedelta(seconds=1))
    out = tmp_path / "store.csv"
    out.write_text("last month's export\n")
    with pytest.raises(FileExistsError):
        export_hub_csv(conn, out, date(2026, 11, 22), None, DENVER)
    assert out.read_text() == "last month's export\n"
    seen: list[int] = []

    def stop(count: int) -> None:
        seen.append(count)
        if count >= 2000:
            raise KeyboardInterrupt  # the manager closed the window mid-export

    with pytest.raises(KeyboardInterrupt):
        export_hub_csv(conn, out, date(2026, 11, 22), None, DENVER, replace=True, on_progress=stop)
    assert seen == [1000, 2000] and out.read_text() == "last month's export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.csv"]  # no temporary file left
    assert conn.execute("SELECT count(*) FROM hub_events").fetchone() == (3000,)  # the connection still works
    conn.commit()
    with pytest.raises(ValueError):
        export_hub_csv(conn, tmp_path / "new.csv", date(2026, 11, 22), date(2026, 11, 21), DENVER)
    assert not (tmp_path / "new.csv").exists()


def probe(hub_db, out: Path, *extra: str) -> dict:
    env = {**os.environ, "PGPASSWORD": hub_db.password, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.helpers.export_probe", "--port", str(hub_db.cluster.port),
                           "--db", hub_db.name, "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=240, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(300)
def test_memory_stays_flat_however_many_rows(conn, hub_db, tmp_path):
    fill_events(conn, 200_000, terminals=4, start=datetime(2026, 1, 1, tzinfo=UTC), step=timedelta(seconds=20))
    figures = probe(hub_db, tmp_path / "big.csv")
    assert figures["rows"] == 200_000
    # 200,000 rows held as dicts would be hundreds of MB; streamed, one FETCH batch is held at a time
    assert figures["peak_mb"] - figures["baseline_mb"] < 15, figures
    assert sum(1 for _ in (tmp_path / "big.csv").open(encoding="utf-8")) == 200_001
