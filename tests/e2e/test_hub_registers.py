"""Registers as separate processes on one store hub (issue 15, "Tests with a real server"): each
its own data folders and journal, all on the test's one OS keyring, the real PostgreSQL hub of
tests/helpers/pg.py and the AIQ simulator over HTTP. What a store would notice: every sale on the
hub exactly once with its chain checked, a hub that goes away and comes back, two registers racing
one discount, a hub restored from an older backup, a journal someone edited."""

from __future__ import annotations

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.simulator.core import Simulator
from budtender_app.simulator.seed import make_template
from budtender_app.simulator.server import SimulatorServer
from tests.helpers.registers import RegisterProcess, cli

pytestmark = [pytest.mark.hub, pytest.mark.keyring]
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

    def started(*processes: RegisterProcess) -> None:
        for p in processes:
            assert "started" in p.answer(), p.stderr

    register.started = started  # type: ignore[attr-defined]
    yield register
    for p in made:
        p.quit()
    if made:
        cli(made[0].env, "hub", "leave")  # the one keyring's hub password


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
    registers.started(*tills)
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
    for till in tills:
        again = till.cli("hub", "push")  # a retry: nothing doubles
        assert again.returncode == 0 and "Pushed 0 events" in again.stdout, again.stderr
        status = till.cli("hub", "status")  # the whole chain checked on the hub, with the journal's key
        assert status.returncode == 0 and "0 events behind" in status.stdout, status.stdout + status.stderr
        assert "WARNING" not in status.stdout
    assert events_of(hub) == events
