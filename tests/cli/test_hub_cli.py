"""`budtender-app hub ...` as IT runs it, against a real PostgreSQL and the real OS keyring:
two terminals in separate processes pushing to one hub, and what `set` refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.hub.schema import SCHEMA_VERSION
from budtender_app.services.journal import Journal, JournalLock
from tests.helpers.pg import free_port

pytestmark = [pytest.mark.hub, pytest.mark.keyring]
ROOT = Path(__file__).resolve().parents[2]


def hub(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budtender_app", "hub", *args], cwd=ROOT, env=os.environ,
                          input=password, capture_output=True, text=True, timeout=30, check=False)


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "budtender_app", "hub", *args], cwd=ROOT, env=os.environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def joined(hub_db):
    done = hub("set", "--url", hub_db.url, password=hub_db.password + "\n")
    assert done.returncode == 0, done.stderr
    assert hub_db.password not in Path(os.environ["XDG_CONFIG_HOME"], "budtender-app", "hub.json").read_text()
    yield hub_db
    hub("leave")


def journal_with_sales(folder: Path, sales: int) -> Path:
    folder.mkdir()
    path = folder / "journal.sqlite3"
    with Journal(path, store="Main St", terminal=folder.name, lock=JournalLock(path).acquire()) as j:
        for n in range(sales):
            (entry,) = j.queue(f"POS-{n:08d}", [Discount("d1", "$5 off", "https://x.test/r/TOKEN12345678", 100)],
                               staff=Actor("s-1", "Robin"), shopper_masked="***-***-4567", contact_id="C-1")
            j.mark_sending(entry.id)
            j.mark_redeemed(entry.id, "aiq-1")
    return path


def test_two_terminals_in_separate_processes_push_to_one_hub(joined, tmp_path):
    first = hub("init")
    assert first.returncode == 0 and f"version {SCHEMA_VERSION} (was 0)" in first.stdout
    assert "(it already was)" in hub("init").stdout
    a, b = journal_with_sales(tmp_path / "till-1", 40), journal_with_sales(tmp_path / "till-2", 25)
    runs = [spawn("push", "--journal", str(a)), spawn("push", "--journal", str(b))]
    outs = [p.communicate(timeout=30) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    assert "Pushed 120 events" in outs[0][0] and "Pushed 75 events" in outs[1][0]
    again = hub("push", "--journal", str(a))
    assert "Pushed 0 events" in again.stdout and "0 events behind" in again.stdout
    status = hub("status", "--journal", str(b))
    assert status.returncode == 0, status.stderr
    assert f"reachable (schema {SCHEMA_VERSION}, 2 terminals)" in status.stdout and "0 events behind" in status.stdout


def test_status_of_an_unreachable_hub_says_so_quickly():
    url = f"postgresql://budtender@127.0.0.1:{free_port()}/hub"
    assert hub("set", "--url", url, password="secret\n").returncode == 0
    try:
        started = time.monotonic()
        status = hub("status")
        assert status.returncode == 1 and "unreachable" in status.stderr
        assert time.monotonic() - started < 10
    finally:
        assert hub("leave").returncode == 0
    assert "joined no hub" in hub("status").stderr


@pytest.mark.parametrize(("url", "reason"), [
    ("postgresql://budtender@db.example.com/hub", "TLS is required"),
    ("postgresql://budtender@db.example.com/hub?sslmode=prefer", "TLS is required"),
    ("postgresql://budtender:hunter2@127.0.0.1/hub", "Leave the password out of the URL"),
    ("mysql://budtender@127.0.0.1/hub", "starts with postgresql://"),
    ("postgresql://127.0.0.1/hub", "needs a user"),
])
def test_set_refuses_a_url_it_cannot_use_and_saves_nothing(url, reason):
    done = hub("set", "--url", url, password="pw\n")
    assert done.returncode == 2 and reason in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert not Path(os.environ["XDG_CONFIG_HOME"], "budtender-app", "hub.json").exists()


def test_set_refuses_a_password_on_the_command_line():
    done = hub("set", "--url", "postgresql://u@127.0.0.1/hub", "--password", "hunter2")
    assert done.returncode == 2 and "never given on the command line" in done.stderr


def test_a_remote_url_with_tls_is_taken():
    done = hub("set", "--url", "postgresql://u@db.example.com:6432/hub?sslmode=verify-full", password="pw\n")
    try:
        assert done.returncode == 0, done.stderr
    finally:
        hub("leave")


def test_status_flags_a_chain_edited_on_the_hub(joined, tmp_path):
    import psycopg

    hub("init")
    path = journal_with_sales(tmp_path / "till-1", 3)
    assert hub("push", "--journal", str(path)).returncode == 0
    with psycopg.connect(joined.url, password=joined.password) as conn:
        conn.execute("UPDATE hub_events SET hash = repeat('0', 64) WHERE seq = 2")
    status = hub("status", "--journal", str(path))
    assert status.returncode == 1 and "WARNING: the audit chain of" in status.stdout, status.stdout
