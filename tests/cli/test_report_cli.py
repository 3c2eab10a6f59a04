"""`budtender-app report` as IT or a manager types it, in its own process: the table, the CSV,
exit codes, and the check against the simulator over HTTP."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from budtender_app.startup import TRAINING_STORE
from tests.helpers import make_journal
from tests.helpers.shift_journal import ANA, BO, MovableClock, discount, redeem, sign_in, sign_out, skip_pin

ROOT = Path(__file__).resolve().parents[2]
DENVER = ZoneInfo("America/Denver")


def report(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": "America/Denver"}
    return subprocess.run([sys.executable, "-m", "budtender_app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def journal_file(tmp_path) -> Path:
    clock = MovableClock(datetime(2026, 11, 22, 9, tzinfo=DENVER))
    with make_journal(tmp_path, store=TRAINING_STORE, clock=clock) as journal:
        redeem(journal, clock, datetime(2026, 11, 22, 10, tzinfo=DENVER), "t1", [discount(1)], staff=ANA)
        redeem(journal, clock, datetime(2026, 11, 22, 23, 30, tzinfo=DENVER), "t2", [discount(2)], staff=BO)
        skip_pin(journal, clock, datetime(2026, 11, 22, 12, tzinfo=DENVER), staff=BO)
        return journal.path


def test_the_table_for_a_local_day(journal_file):
    done = report("report", "--demo", "--date", "2026-11-22", "--journal", str(journal_file))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "TRAINING - no real points"
    ana = next(line for line in lines if line.startswith(ANA.name))
    assert ana.split()[2:6] == ["1", "100", "$5.00", "0"]
    assert next(line for line in lines if line.startswith("Total")).split()[1:3] == ["2", "200"]
    assert "outside opening hours (08:00-22:00): 23:30" in done.stdout
    other_day = report("report", "--demo", "--date", "2026-11-23", "--journal", str(journal_file))
    assert other_day.returncode == 0 and "Total" in other_day.stdout and ANA.name not in other_day.stdout


def test_csv_is_written_once_and_bad_input_exits_2(tmp_path, journal_file):
    target = tmp_path / "day.csv"
    done = report("report", "--demo", "--date", "2026-11-22", "--journal", str(journal_file), "--csv", str(target))
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(target.open(encoding="utf-8", newline="")))
    assert rows[0][0].startswith("TRAINING") and rows[3][0] == ANA.name
    again = report("report", "--demo", "--date", "2026-11-22", "--journal", str(journal_file), "--csv", str(target))
    assert again.returncode == 2 and "already there" in again.stderr
    bad = report("report", "--demo", "--date", "22/11/2026", "--journal", str(journal_file))
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    missing = report("report", "--demo", "--date", "2026-11-22", "--journal", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 1 and "cannot be read" in missing.stderr


def test_check_aiq_against_the_simulator_over_http(journal_file, server):
    done = report("--base-url", server.url, "report", "--demo", "--date", "2026-11-22", "--journal",
                  str(journal_file), "--check-aiq")
    assert done.returncode == 0, done.stderr
    # The simulator never saw these test redemptions: both are "only here".
    assert "AIQ's report: 0 matched, 2 only here, 0 only at AIQ" in done.stdout


@pytest.fixture
def shift_file(tmp_path) -> Path:
    clock = MovableClock(datetime(2026, 11, 22, 9, tzinfo=DENVER))
    with make_journal(tmp_path, store=TRAINING_STORE, clock=clock) as journal:
        sign_in(journal, clock, datetime(2026, 11, 22, 9, 2, tzinfo=DENVER), ANA)
        redeem(journal, clock, datetime(2026, 11, 22, 10, tzinfo=DENVER), "t1", [discount(1)], staff=ANA)
        sign_out(journal, clock, datetime(2026, 11, 22, 13, 15, tzinfo=DENVER), ANA)
        sign_in(journal, clock, datetime(2026, 11, 22, 13, 20, tzinfo=DENVER), BO)
        skip_pin(journal, clock, datetime(2026, 11, 22, 14, tzinfo=DENVER), staff=BO)
        redeem(journal, clock, datetime(2026, 11, 22, 15, tzinfo=DENVER), "t2", [discount(2)], staff=BO)
        sign_out(journal, clock, datetime(2026, 11, 22, 17, tzinfo=DENVER), BO, "idle")
        return journal.path


def test_list_shifts_then_one_shifts_report_and_its_csv(tmp_path, shift_file):
    listed = report("report", "--demo", "--date", "2026-11-22", "--journal", str(shift_file), "--list-shifts")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"1. {ANA.name}, 09:02–13:15 (switched)",
                                          f"2. {BO.name}, 13:20–17:00 (idle)"]
    target = tmp_path / "bo.csv"
    done = report("report", "--demo", "--date", "2026-11-22", "--journal", str(shift_file), "--shift", "2",
                  "--csv", str(target))
    assert done.returncode == 0, done.stderr
    assert f"Shift report 2026-11-22: Shift of {BO.name}, 13:20–17:00" in done.stdout
    assert ANA.name not in done.stdout
    bo = next(line for line in done.stdout.splitlines() if line.startswith(BO.name))
    assert bo.split()[2:4] == ["1", "100"]
    rows = list(csv.reader(target.open(encoding="utf-8", newline="")))
    assert rows[1][1] == f"2026-11-22: Shift of {BO.name}, 13:20–17:00"


def test_a_shift_the_day_does_not_have_exits_2_with_what_it_has(shift_file):
    for bad in ("3", "0", "two"):
        done = report("report", "--demo", "--date", "2026-11-22", "--journal", str(shift_file), "--shift", bad)
        assert done.returncode == 2 and "2026-11-22 has shifts 1 to 2. See them with --list-shifts." in done.stderr
    none = report("report", "--demo", "--date", "2026-11-23", "--journal", str(shift_file), "--list-shifts")
    assert none.returncode == 0 and "No sign-ins on 2026-11-23" in none.stdout
    both = report("report", "--demo", "--date", "2026-11-22", "--journal", str(shift_file), "--list-shifts",
                  "--shift", "1")
    assert both.returncode == 2
