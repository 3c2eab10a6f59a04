"""A manager withdraws a settlement that waits for a register that never came back (real hub,
AIQ's simulator over HTTP): the owner never carries out a withdrawn one, and when the owner and
the manager meet on the same request the hub decides who wins, and the window says which.

Both sides of the race are driven in a fixed order: the owner's fetch is done (its pusher has the
request in hand), then the manager withdraws, then the owner acts; and the other way round, the
owner's take on the hub done, then the withdraw."""

from __future__ import annotations

import httpx
import psycopg
import pytest
import pytest_asyncio

from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import schema
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.journal import State
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from budtender_app.viewmodels.pending_words import Action
from tests.services.hub.test_hub_settlements import (
    hub_rows,
    puts,
    row_of,
    start,
    unknown_sale,
    window,
)

pytestmark = [pytest.mark.hub, pytest.mark.logs_expected(r"manager action refused: no manager approved it",
                                                            r"hub settlement \w+ failed here \(RuntimeError\)")]


@pytest_asyncio.fixture
async def api(server):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


async def waiting(server, api, args, tmp_path, txid):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    entry = await unknown_sale(one, api, txid)
    await one.pusher.push_once()
    vm = window(two, args, api)
    await vm.refresh()
    await vm.decide(vm.key(row_of(vm, one, txid)), Action.RETRY, "AIQ's report does not show it")
    assert vm.may_withdraw(row_of(vm, one, txid))
    return one, two, entry, vm


@pytest.mark.asyncio
async def test_a_withdrawn_settlement_is_never_carried_out_and_the_row_may_be_decided_again(
        server, api, args, tmp_path):
    one, two, entry, vm = await waiting(server, api, args, tmp_path, "POS-4001")
    refused = window(two, args, api, approving=lambda: None)
    await refused.refresh()
    await refused.withdraw(refused.key(refused.rows[0]), "register stolen")
    assert "manager" in refused.message[1], "approved, as every settlement act"
    await vm.withdraw(vm.key(row_of(vm, one, "POS-4001")), "Register 1 was stolen: decided at the POS")
    assert vm.message[1].startswith("Withdrawn: Register 1 will not send again")
    row = row_of(vm, one, "POS-4001")
    assert not row.waiting_ref and "withdrawn by Morgan Manager (m-9) at Register 2" in row.last_outcome
    assert hub_rows(args, "SELECT outcome, withdrawn_by FROM hub_settlements") == [
        ("withdrawn", "Morgan Manager (m-9)")]
    await one.pusher.push_once()  # the register comes back after all
    assert one.journal.get(entry.id).state is State.UNKNOWN and not puts(server)
    await vm.decide(vm.key(row), Action.ABANDONED, "voided in the POS")
    assert "Waiting for Register 1" in vm.message[1], "a new decision may wait for it"
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_fetched_then_withdrawn_then_the_owner_acts_the_withdraw_wins(server, api, args, tmp_path):
    one, two, entry, vm = await waiting(server, api, args, tmp_path, "POS-4002")
    settler = one.pusher.settler
    real = settler.carry_out

    async def withdrawn_meanwhile(s, take):
        await vm.withdraw(vm.key(row_of(vm, one, "POS-4002")), "Register 1 is gone for good")
        return await real(s, take)
    settler.carry_out = withdrawn_meanwhile
    await one.pusher.push_once()
    assert one.journal.get(entry.id).state is State.UNKNOWN and not puts(server), "the owner did nothing"
    assert vm.message[1].startswith("Withdrawn")
    assert hub_rows(args, "SELECT outcome FROM hub_settlements") == [("withdrawn",)]
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_taken_by_the_owner_then_withdrawn_the_owner_wins_and_the_manager_is_told(server, api, args, tmp_path):
    one, two, entry, vm = await waiting(server, api, args, tmp_path, "POS-4003")
    settler = one.pusher.settler
    real = settler.carry_out

    async def acting_when_withdrawn(s, take):
        async def take_then_withdraw(ref):
            got = await take(ref)
            await vm.withdraw(vm.key(row_of(vm, one, "POS-4003")), "Register 1 is gone for good")
            return got
        return await real(s, take_then_withdraw)
    settler.carry_out = acting_when_withdrawn
    await one.pusher.push_once()
    assert "Too late to withdraw: Register 1 is carrying it out now" in vm.message[1]
    assert one.journal.get(entry.id).state is State.REDEEMED and len(puts(server)) == 1, "sent once"
    assert hub_rows(args, "SELECT outcome, withdrawn_by FROM hub_settlements") == [("done", "")]
    await vm.refresh()
    assert not [r for r in vm.rows if r.terminal_id == one.id], "carried out: no longer open"
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_withdrawing_what_was_already_answered_says_so(server, api, args, tmp_path):
    one, two, _entry, vm = await waiting(server, api, args, tmp_path, "POS-4004")
    stale = row_of(vm, one, "POS-4004")  # the manager's list, read before Register 1 answered
    await one.pusher.push_once()
    vm.rows = [stale]
    await vm.withdraw(vm.key(stale), "too slow")
    assert "Too late to withdraw: Register 1 already answered it (done" in vm.message[1]
    one.stop()
    two.stop()


@pytest.mark.asyncio
async def test_a_take_whose_register_went_silent_may_be_withdrawn_and_is_never_carried_out_after(
        server, api, args, tmp_path, monkeypatch):
    one, two, entry, vm = await waiting(server, api, args, tmp_path, "POS-4006")
    settler = one.pusher.settler
    real = settler.carry_out

    async def stopped_after_the_take(s, take):
        await take(s.ref)
        raise RuntimeError("the till lost power")
    settler.carry_out = stopped_after_the_take
    await one.pusher.push_once()
    await vm.refresh()
    await vm.withdraw(vm.key(row_of(vm, one, "POS-4006")), "Register 1 is gone")
    assert "carrying it out now" in vm.message[1], "a fresh take: its register may be acting"
    with psycopg.connect(**args) as conn:  # half an hour on, and not a push from Register 1
        conn.execute("UPDATE hub_settlements SET taken_at = now() - interval '1 hour'")
        conn.execute("UPDATE hub_terminals SET last_push = now() - interval '2 hours' WHERE terminal_id = %s",
                     (one.id,))
    await vm.refresh()
    await vm.withdraw(vm.key(row_of(vm, one, "POS-4006")), "Register 1 is gone")
    assert vm.message[1].startswith("Withdrawn")
    assert "took it, then went silent" in row_of(vm, one, "POS-4006").last_outcome
    settler.carry_out = real
    await one.pusher.push_once()  # it comes back after all
    assert one.journal.get(entry.id).state is State.UNKNOWN and not puts(server)
    one.stop()
    two.stop()
