"""A manager releases, from the Whole store tab, a claim a register gone for good holds (real
hub): the tab lists it with words saying the holder may have redeemed it, the release goes on the
hub with who and why and on this register's own audit trail, and another register may then redeem
it; a holder that comes back having redeemed it shows up as a claim conflict, never silently."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import psycopg
import pytest
import pytest_asyncio

from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import claims, schema
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.desk import HubDesk
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from budtender_app.viewmodels.store_redemptions import StoreWideViewModel
from tests.services.hub.test_hub_settlements import (
    CLERK_2,
    CLOCK,
    MANAGER,
    STORE,
    STORE_KEY,
    TEN_OFF,
    hub_rows,
    start,
    unknown_sale,
)

pytestmark = [pytest.mark.hub, pytest.mark.logs_expected(r"claim conflict: transaction POS-8001")]


@pytest_asyncio.fixture
async def api(server):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


def claim(args, register, txid):
    with psycopg.connect(**args) as conn:
        return claims.claim_on(conn, register.id, register.name, [claims.Claim(STORE, txid, TEN_OFF)],
                               datetime.now(UTC))


@pytest.mark.asyncio
async def test_a_silent_claim_is_released_from_the_whole_store_tab_with_who_and_why(server, api, args, tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    three = start("Register 3", tmp_path / "three", args, api)
    for register in (one, two, three):
        await register.pusher.push_once()
    assert claim(args, one, "POS-8001").outcome is claims.ClaimOutcome.CLAIMED  # then Register 1 is stolen
    with psycopg.connect(**args) as conn:
        conn.execute("UPDATE hub_claims SET hub_at = now() - interval '1 hour'")
        conn.execute("UPDATE hub_terminals SET synced_at = now() - interval '2 hours' WHERE terminal_id = %s",
                     (one.id,))  # its last push came before the claim: silent since
    assert claim(args, three, "POS-8001").silent, "refused at Register 3: it may have been redeemed"
    desk = HubDesk(args, terminal_id=two.id, terminal_name=two.name, key=STORE_KEY)
    vm = StoreWideViewModel(desk, api, lambda: STORE, CLOCK, acting=lambda: CLERK_2, approving=lambda: MANAGER,
                            record=two.journal.record_event)
    await vm.refresh()
    [blocked] = vm.blocked
    assert "Register 1 may have redeemed it" in vm.blocked_text(blocked) and "POS-8001" in vm.blocked_text(blocked)
    await vm.release(0, "Register 1 was stolen; AIQ's report shows no redemption of POS-8001")
    assert vm.message[1].startswith("Released: any register may redeem") and vm.blocked == []
    assert hub_rows(args, "SELECT holder_name, released_by, released_on FROM hub_claim_releases") == [
        ("Register 1", "Morgan Manager (m-9)", "Register 2")]
    [event] = [r for r in two.journal.audit.rows() if r.event == "claim_released"]
    assert (event.staff_name, event.approver_name, event.transaction_id) == (CLERK_2.name, MANAGER.name, "POS-8001")
    assert claim(args, three, "POS-8001").outcome is claims.ClaimOutcome.CLAIMED

    await unknown_sale(one, api, "POS-8001")  # Register 1 comes back: it had redeemed it after all
    await one.pusher.push_once()
    await vm.refresh()
    [conflict] = vm.conflicts
    assert "redeemed at Register 1" in vm.conflict_text(conflict), "shown to managers, never silently"
    await vm.release(0, "again")
    assert "not listed any more" in vm.message[1]
    for register in (one, two, three):
        register.stop()
