"""`budtender-app report --hub ...` as IT or an auditor runs it: against a real PostgreSQL hub
that two registers pushed to, with the real OS keyring, in processes of their own."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.test_hub_cli import journal_with_sales

pytestmark = [pytest.mark.hub, pytest.mark.keyring]
ROOT = Path(__file__).resolve().parents[2]


def app(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": "UTC"}  # the store's zone is the app's clock's: this computer's
    return subprocess.run([sys.executable, "-m", "budtender_app", *args], cwd=ROOT, env=env, input=password,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def pushed(hub_db, tmp_path):
    """A hub two registers pushed to: till-1 with 4 sales, till-2 with 3."""
    assert app("hub", "set", "--url", hub_db.url, password=hub_db.password + "\n").returncode == 0
    assert app("hub", "init").returncode == 0
    for name, sales in (("till-1", 4), ("till-2", 3)):
        done = app("hub", "push", "--journal", str(journal_with_sales(tmp_path / name, sales)))
        assert done.returncode == 0, done.stderr
    yield hub_db
    app("hub", "leave")


def test_the_auditors_export_of_every_register_and_the_shift_report(pushed, tmp_path):
    today = datetime.now(UTC).date()
    out = tmp_path / "store.csv"
    done = app("report", "--hub", "--store", "Main St", "--since", str(today - timedelta(days=1)), "--csv", str(out))
    assert done.returncode == 0, done.stderr
    assert "Wrote 21 audit events of store Main St" in done.stdout  # 7 sales x 3 events
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # both registers pushed from this computer: its name, and each journal's own terminal name
    assert len(rows) == 21 and {r["register"] for r in rows} == {socket.gethostname()}
    assert sorted(r["terminal"] for r in rows) == ["till-1"] * 12 + ["till-2"] * 9
    assert "TOKEN12345678" not in out.read_text()
    again = app("report", "--hub", "--all-stores", "--since", str(today), "--csv", str(out))
    assert again.returncode == 2 and "already there" in again.stderr
    shift = app("report", "--hub", "--all-stores", "--date", str(today), "--csv", str(tmp_path / "shift.csv"))
    assert shift.returncode == 0, shift.stderr
    per_register = shift.stdout.split("Per register:")[1].splitlines()
    assert sorted(line.split()[1] for line in per_register if line.startswith(socket.gethostname())) == ["3", "4"]
    assert "Robin" in shift.stdout.split("Per register:")[0]
    assert "Per register" in (tmp_path / "shift.csv").read_text()


@pytest.mark.parametrize(("argv", "why"), [
    (["--demo", "report", "--hub", "--date", "2026-11-22"], "Training never reads the store hub"),
    (["report", "--hub", "--all-stores", "--since", "2026-11-22"], "needs --csv FILE"),
    (["report", "--hub", "--all-stores"], "give --since"),
    (["report", "--hub", "--all-stores", "--date", "2026-11-22", "--since", "2026-11-22"], "give --since"),
    (["report", "--hub", "--all-stores", "--since", "2026-11-22", "--until", "2026-11-01", "--csv", "x.csv"],
     "is before --since"),
    (["report", "--hub", "--all-stores", "--date", "22/11/2026"], "is not a date"),
    (["report", "--hub", "--store", "A", "--all-stores", "--date", "2026-11-22"], "give one of them"),
    (["report"], "--date YYYY-MM-DD is required"),
])
def test_what_it_refuses_says_why(argv, why):
    done = app(*argv)
    assert done.returncode == 2 and why in done.stderr, done.stderr


def test_no_hub_joined_says_so():
    done = app("report", "--hub", "--all-stores", "--date", "2026-11-22")
    assert done.returncode == 1 and "joined no hub" in done.stderr
