"""`budtender-app hub release-claim` as IT runs it for a manager (a separate process, a real hub):
a claim held by a register gone for good is released with who and why, on the hub and in this
terminal's own audit trail, with words saying the holder may have redeemed it; a claim its holder's
journal shows redeemed is never released, nor anything while this terminal's journal is in use."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.hub import claims, schema
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal, JournalLock

pytestmark = [pytest.mark.hub, pytest.mark.keyring]
ROOT = Path(__file__).resolve().parents[2]
STORE = "Main St"


def hub(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budtender_app", "hub", *args], cwd=ROOT, env=os.environ,
                          input=password, capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def conn_args(hub_db):
    assert hub("set", "--url", hub_db.url, password=hub_db.password + "\n").returncode == 0
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    yield parse_hub_url(hub_db.url).connect_args(hub_db.password)
    hub("leave")


def register(folder: Path, name: str, sale: str | None = None) -> tuple[Path, str]:
    """A register's journal (closed), and its terminal id; ``sale``: one redemption left unknown."""
    folder.mkdir()
    path = folder / "journal.sqlite3"
    with Journal(path, store=STORE, terminal=name, lock=JournalLock(path).acquire()) as j:
        if sale:
            (entry,) = j.queue(sale, [Discount("d1", "$5 off", "https://x.test/r/TOKEN12345678", 100)],
                               staff=Actor("s-1", "Robin"), shopper_masked="***-***-4567", contact_id="C-1")
            j.mark_sending(entry.id)
            j.mark_unknown(entry.id, "no answer")
        return path, j.seal.journal_id


def hold(args, terminal_id: str, txid: str) -> None:
    """``terminal_id`` claims (txid, d1) and then is silent for an hour."""
    with psycopg.connect(**args) as conn:
        claims.claim_on(conn, terminal_id, "Register 1", [claims.Claim(STORE, txid, "d1")], datetime.now(UTC))
        conn.execute("UPDATE hub_claims SET hub_at = now() - interval '1 hour'")


def claim_by_three(args, txid: str) -> claims.ClaimResult:
    with psycopg.connect(**args) as conn:
        return claims.claim_on(conn, "t-3", "Register 3", [claims.Claim(STORE, txid, "d1")], datetime.now(UTC))


def release(journal: Path, txid: str, *more: str) -> subprocess.CompletedProcess[str]:
    return hub("release-claim", "--transaction", txid, "--discount", "d1", "--manager", "Morgan Manager",
               "--reason", "Register 1 was stolen; AIQ's report shows no redemption", "--journal", str(journal), *more)


def test_a_silent_claim_of_a_register_gone_for_good_is_released_with_who_and_why(conn_args, tmp_path):
    _, gone = register(tmp_path / "one", "Register 1")
    here, _ = register(tmp_path / "two", "Register 2")
    hold(conn_args, gone, "POS-7001")
    blocked = claim_by_three(conn_args, "POS-7001")
    assert blocked.outcome is claims.ClaimOutcome.HELD and blocked.silent, "never taken over on its own"
    done = release(here, "POS-7001")
    assert done.returncode == 0, done.stderr
    assert "Released: the claim Register 1 held on discount d1 of transaction POS-7001" in done.stdout
    assert "may have redeemed this discount" in done.stdout, "the words warn the manager"
    with psycopg.connect(**conn_args) as conn:
        assert conn.execute("SELECT holder_name, released_by, reason FROM hub_claim_releases").fetchall() == [
            ("Register 1", "Morgan Manager", "Register 1 was stolen; AIQ's report shows no redemption")]
    with Journal.open_read_only(here) as j:
        [event] = [r for r in j.audit.rows() if r.event == "claim_released"]
    assert (event.transaction_id, event.approver_name, event.store) == ("POS-7001", "Morgan Manager", STORE)
    assert "held by Register 1" in event.detail and "stolen" in event.detail
    assert claim_by_three(conn_args, "POS-7001").outcome is claims.ClaimOutcome.CLAIMED


def test_a_claim_its_holder_redeemed_is_never_released(conn_args, tmp_path):
    holder_path, holder = register(tmp_path / "one", "Register 1", sale="POS-7002")
    here, _ = register(tmp_path / "two", "Register 2")
    hold(conn_args, holder, "POS-7002")
    with Journal.open_read_only(holder_path) as j, psycopg.connect(**conn_args) as conn:
        push(Terminal(j, "Register 1"), conn)
    refused = release(here, "POS-7002")
    assert refused.returncode == 1 and "Register 1 has this discount in its journal (unknown)" in refused.stderr
    assert claim_by_three(conn_args, "POS-7002").outcome is claims.ClaimOutcome.HELD
    with Journal.open_read_only(here) as j:
        assert not [r for r in j.audit.rows() if r.event == "claim_released"]


def test_nothing_is_released_while_this_terminals_journal_is_in_use_or_without_a_reason(conn_args, tmp_path):
    _, gone = register(tmp_path / "one", "Register 1")
    here, _ = register(tmp_path / "two", "Register 2")
    hold(conn_args, gone, "POS-7003")
    with JournalLock(here):
        running = release(here, "POS-7003")
    assert running.returncode == 3 and "quit it first" in running.stderr
    bare = hub("release-claim", "--transaction", "POS-7003", "--discount", "d1", "--manager", " ", "--reason", "x",
               "--journal", str(here))
    assert bare.returncode == 2 and "manager's name" in bare.stderr
    assert claim_by_three(conn_args, "POS-7003").silent, "still held"
    pasted = hub("release-claim", "--transaction", "POS-7003", "--discount", "d1", "--manager", "Morgan",
                 "--reason", "shopper 555-201-4567 says no", "--journal", str(here))
    assert pasted.returncode == 0, pasted.stderr
    with psycopg.connect(**conn_args) as conn:
        [(reason,)] = conn.execute("SELECT reason FROM hub_claim_releases").fetchall()
    assert "555-201-4567" not in reason, "a phone pasted into the reason never reaches the hub"
    missing = release(here, "POS-0000")
    assert missing.returncode == 1 and "nothing to release" in missing.stderr


def test_hub_status_lists_the_waiting_settlements_and_the_staff_sync(conn_args, tmp_path):
    here, _ = register(tmp_path / "two", "Register 2", sale="POS-7004")
    assert hub("push", "--journal", str(here)).returncode == 0
    status = hub("status", "--journal", str(here))
    assert status.returncode == 0, status.stderr
    assert "Settlements waiting for this terminal: 0; at the whole store: 0." in status.stdout
    assert "Staff accounts shared at this store: 0; this register's last staff sync: never" in status.stdout
