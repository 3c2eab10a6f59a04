"""Registers as separate processes on one store hub (issue 15, "Tests with a real server"): each
its own data folders and journal, all on the test's one OS keyring, the real PostgreSQL hub of
tests/helpers/pg.py and the AIQ simulator over HTTP. What a store would notice: every sale on the
hub exactly once with its chain checked, a hub that goes away and comes back, two registers racing
one discount, a hub restored from an older backup, a journal someone edited."""

from __future__ import annotations

import re
import time

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.config import KEYRING_ENTRY
from budtender_app.simulator.core import Simulator
from budtender_app.simulator.seed import make_template
from budtender_app.simulator.server import SimulatorServer
from tests.helpers.registers import RegisterProcess, keyring, quit_all

# Processes start side by side on a shared 2-core machine: more than the default minute a test.
pytestmark = [pytest.mark.hub, pytest.mark.keyring, pytest.mark.timeout(180)]
SHOPPER = "5551230042"
DISCOUNT = "901"


@pytest.fixture
def server():
    simulator = Simulator(pin_source=lambda: "1234")
    simulator.add_shopper(SHOPPER, first_name="Dana", points=1_000_000, discounts=[
        make_template(DISCOUNT, "$5 off", points=100, dollar=5, pos_id="POS-5OFF", reusable=True)])
    with SimulatorServer(simulator) as srv:
        yield srv


@pytest.fixture
def hub(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return hub_db


@pytest.fixture
def registers(tmp_path, server, hub, store_with_credentials):
    """register(n): Register n's process, joined to the hub, started and ready for commands."""
    made: list[RegisterProcess] = []

    def register(n: int, *, joined: bool = True) -> RegisterProcess:
        process = RegisterProcess(tmp_path / f"register-{n}", f"Register {n}", store=store_with_credentials,
                                  base_url=server.url, phone=SHOPPER, hub_url=hub.url if joined else "",
                                  hub_password=hub.password)
        made.append(process)
        return process

    yield register
    quit_all(made)
    keyring().forget_secret(KEYRING_ENTRY)  # the one keyring's hub password, as `hub leave`


def started(*processes: RegisterProcess) -> None:
    """Until each register is up (they start side by side)."""
    for p in processes:
        assert "started" in p.answer(), p.stderr


def puts(server, txid: str = "") -> list[str]:
    return [f"{r.path}?{r.query} {r.json}" for r in server.simulator.requests if r.method == "PUT"
            and txid in f"{r.path}?{r.query} {r.json}"]


def on_hub(hub, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(hub.url, password=hub.password) as conn:
        return conn.execute(sql, params).fetchall()


def events_of(hub) -> dict[str, tuple[int, int, int]]:
    """Each terminal's (name: events, lowest, highest number) on the hub."""
    rows = on_hub(hub, "SELECT t.name, count(*), min(e.seq), max(e.seq) FROM hub_events e JOIN hub_terminals t "
                       "USING (terminal_id) GROUP BY t.name")
    return {name: (count, low, high) for name, count, low, high in rows}


def test_three_registers_in_their_own_processes_push_every_sale_once(registers, server, hub):
    tills = [registers(n) for n in (1, 2, 3)]
    started(*tills)
    for k in range(3):
        for n, till in enumerate(tills, start=1):
            till.send(f"sale R{n}-{k:04d}")
        for till in tills:
            done = till.answer()
            assert done["outcomes"] == ["redeemed"], (done, till.stderr)
    synced = [till.ask("sync") for till in tills]
    assert all(s["in_sync"] and s["chain_ok"] for s in synced), synced
    assert len(puts(server)) == 9
    events = events_of(hub)
    assert sorted(events) == ["Register 1", "Register 2", "Register 3"]
    assert all(count == high and low == 1 for count, low, high in events.values()), events  # each once, none missing
    sales = on_hub(hub, "SELECT r.transaction_id, r.state, t.name FROM hub_redemptions r JOIN hub_terminals t "
                        "USING (terminal_id) ORDER BY 1")
    assert sales == [(f"R{n}-{k:04d}", "redeemed", f"Register {n}") for n in (1, 2, 3) for k in range(3)]
    claims = on_hub(hub, "SELECT transaction_id, terminal_name FROM hub_claims ORDER BY 1")
    assert claims == [(t, name) for t, _state, name in sales]  # claimed at checkout, by the register that sold
    again = tills[0].cli("hub", "push")  # a retry: nothing doubles
    assert again.returncode == 0 and "Pushed 0 events" in again.stdout, again.stderr
    status = tills[1].cli("hub", "status")  # its whole chain checked on the hub, with its journal's key
    assert status.returncode == 0 and "0 events behind" in status.stdout, status.stdout + status.stderr
    assert "WARNING" not in status.stdout  # no chain flagged by any push
    assert events_of(hub) == events


def sold(till: RegisterProcess, txid: str) -> None:
    done = till.ask(f"sale {txid}")
    assert done["outcomes"] == ["redeemed"], (done, till.stderr)


def test_the_hub_stopped_mid_day_registers_keep_selling_and_all_arrives_once(registers, server, hub, pg_cluster):
    one, two = registers(1), registers(2)
    started(one, two)
    sold(one, "R1-0000")
    sold(two, "R2-0000")
    assert one.ask("sync")["in_sync"] and two.ask("sync")["in_sync"]
    pg_cluster.stop()  # the hub's server goes down mid-day
    try:
        for k in (1, 2):
            sold(one, f"R1-{k:04d}")
            sold(two, f"R2-{k:04d}")
        sold(one, "BOTH-0001")  # both registers redeem one sale's discount: no hub to stop the second
        sold(two, "BOTH-0001")
        away = two.ask("push")
        assert away["unreachable"] and "unreachable" in away["problem"], away
    finally:
        pg_cluster.start()
    assert one.ask("sync")["in_sync"]
    assert two.ask("sync")["in_sync"]
    assert len(puts(server)) == 8
    events = events_of(hub)
    assert all(count == high and low == 1 for count, low, high in events.values()), events
    assert events["Register 1"] == events["Register 2"] == (16, 1, 16)  # 4 sales of 4 events each, once
    claims = on_hub(hub, "SELECT transaction_id, terminal_name FROM hub_claims ORDER BY 1")
    assert claims == [("BOTH-0001", "Register 1"), *((f"R{n}-{k:04d}", f"Register {n}")
                                                      for n in (1, 2) for k in range(3))]  # claimed late
    conflicts = on_hub(hub, "SELECT transaction_id, discount_id, terminal_name FROM hub_claim_conflicts")
    assert conflicts == [("BOTH-0001", DISCOUNT, "Register 2")]
    assert "claim conflict: transaction BOTH-0001" in two.stderr and "Register 1 holds it" in two.stderr
    status = two.cli("hub", "status")
    assert status.returncode == 1, status.stdout + status.stderr  # a manager must look
    assert "claim conflict" in status.stdout and "BOTH-0001" in status.stdout and "Register 1 holds it" in status.stdout
    assert "0 events behind" in status.stdout


def wait_until(condition, timeout: float = 20.0) -> bool:
    """Polling with a deadline (the hub is another process's database: no signal to wait on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)  # a poll's pace under a deadline, not a synchronisation
    return bool(condition())


def test_two_registers_racing_one_discount_exactly_one_put_reaches_aiq(registers, server, hub):
    one, two = registers(1), registers(2)
    started(one, two)
    for till in (one, two):
        ready = till.ask("ready RACE-0001")
        assert ready["step"] == "CHECKOUT" and ready["discount"] == DISCOUNT, ready
    one.send("go RACE-0001")  # both cashiers press Enter at once: the hub decides
    two.send("go RACE-0001")
    answers = {till.name: till.answer() for till in (one, two)}
    assert len(puts(server, "RACE-0001")) == 1
    (winner,) = [name for name, a in answers.items() if a["outcomes"] == ["redeemed"]]
    (refused,) = [a for name, a in answers.items() if name != winner]
    assert refused["step"] == "CHECKOUT" and refused["outcomes"] == [], refused
    assert re.search(rf"\$5 off is already redeemed at {winner} at \d\d:\d\d\.", refused["message"]), refused
    assert "Nothing was sent" in refused["message"]
    assert on_hub(hub, "SELECT transaction_id, terminal_name FROM hub_claims") == [("RACE-0001", winner)]
    # The checkout nudged the push: the winner's sale reaches the hub without waiting a round (30 s).
    assert wait_until(lambda: on_hub(hub, "SELECT state FROM hub_redemptions WHERE transaction_id = 'RACE-0001'")
                      == [("redeemed",)])


def test_a_hub_restored_from_an_older_backup_is_refilled(registers, server, hub, pg_cluster, tmp_path):
    one, two = registers(1), registers(2)
    started(one, two)
    for k in range(2):
        sold(one, f"R1-{k:04d}")
        sold(two, f"R2-{k:04d}")
    assert one.ask("sync")["in_sync"] and two.ask("sync")["in_sync"]
    backup = tmp_path / "hub.dump"
    pg_cluster.dump(hub.name, backup)  # last night's backup
    for k in range(2, 4):
        sold(one, f"R1-{k:04d}")
        sold(two, f"R2-{k:04d}")
    assert one.ask("sync")["in_sync"] and two.ask("sync")["in_sync"]
    full = events_of(hub)
    pg_cluster.restore(hub.name, backup)  # the hub's disk died: IT restores the backup
    assert events_of(hub) == {"Register 1": (8, 1, 8), "Register 2": (8, 1, 8)}
    status = one.cli("hub", "status")
    assert status.returncode == 0 and "8 events behind" in status.stdout, status.stdout + status.stderr
    sold(one, "R1-0004")  # the counter goes on; its push refills the hub
    assert one.ask("sync")["in_sync"] and two.ask("sync")["in_sync"]
    assert events_of(hub) == {"Register 1": (20, 1, 20), "Register 2": full["Register 2"]}
    assert full["Register 2"] == (16, 1, 16)
    sales = on_hub(hub, "SELECT transaction_id, state FROM hub_redemptions ORDER BY 1")
    assert sales == [(f"R{n}-{k:04d}", "redeemed") for n in (1, 2) for k in range(5 if n == 1 else 4)]
    claims = on_hub(hub, "SELECT transaction_id, terminal_name FROM hub_claims ORDER BY 1")
    assert claims == [(t, f"Register {t[1]}") for t, _ in sales]  # the claims the backup lost, made again
    for till in (one, two):
        status = till.cli("hub", "status")
        assert status.returncode == 0 and "0 events behind" in status.stdout, status.stdout + status.stderr


def tamper(journal, event: int) -> None:
    """A dishonest cashier's edit of one event in the journal's SQLite file (the triggers dropped)."""
    import sqlite3

    with sqlite3.connect(journal) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET points = 1 WHERE id = ?", (event,))


def test_a_journal_edited_before_its_push_and_an_event_edited_on_the_hub_are_flagged(registers, hub, pg_cluster):
    one, two = registers(1), registers(2)
    started(one, two)
    sold(one, "R1-0000")
    sold(two, "R2-0000")
    assert one.ask("sync")["in_sync"] and two.ask("sync")["in_sync"]
    pg_cluster.stop()
    try:
        sold(one, "R1-0001")  # events #5-#8, not on the hub yet
        tamper(one.journal, 7)
    finally:
        pg_cluster.start()
    pushed = one.ask("sync")
    assert pushed["in_sync"] and pushed["chain_ok"] is False, pushed  # the counter: "history does not match"
    (flag,) = on_hub(hub, "SELECT name, chain_ok, chain_problem FROM hub_terminals WHERE NOT chain_ok")
    assert flag[0] == "Register 1" and "#7" in flag[2], flag
    status = two.cli("hub", "status")  # any register's IT sees it
    assert status.returncode == 1 and "WARNING: the audit chain of Register 1" in status.stdout, status.stdout
    on_hub_edit = ("UPDATE hub_events SET points = 5 WHERE seq = 2 AND terminal_id = (SELECT terminal_id FROM "
                   "hub_terminals WHERE name = 'Register 2') RETURNING seq")
    assert on_hub(hub, on_hub_edit) == [(2,)]  # someone with the hub's password edits Register 2's copy
    status = two.cli("hub", "status")  # checks this register's whole chain on the hub, with its key
    assert status.returncode == 1 and "WARNING: the audit chain of Register 2" in status.stdout, status.stdout
    assert "#2" in status.stdout
