"""`hub status` and the Store hub page beyond the pushes, against a real hub: the settlements
waiting (this terminal's and the whole store's, with the oldest), and the staff sync (accounts
shared, this register's last sync, whether it has the store's staff key)."""

from __future__ import annotations

import httpx
import psycopg
import pytest
import pytest_asyncio

from budtender_app.domain.staff import Actor as StaffActor
from budtender_app.domain.staff import Role
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import manage, schema
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.staff_sync import sync
from budtender_app.services.hub.status import describe, hub_state
from budtender_app.services.staff.lookup import Tagger
from budtender_app.services.staff.store import StaffStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from budtender_app.viewmodels.pending_words import Action
from tests.helpers import MovingTime
from tests.services.hub.test_hub_settlements import CLOCK, STORE, row_of, start, unknown_sale, window

pytestmark = pytest.mark.hub
STORE_KEY, OTHER_KEY = bytes(range(32)), bytes(range(32, 64))


@pytest_asyncio.fixture
async def api(server):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


def state(args, register, key: bytes | None = None):
    with psycopg.connect(**args) as conn:
        return hub_state(conn, register.pusher._terminal, Tagger(key, b"").key_id if key else None)


@pytest.mark.asyncio
async def test_status_counts_the_settlements_waiting_here_and_at_the_store_and_the_staff_sync(
        server, api, args, tmp_path):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    await unknown_sale(one, api, "POS-5001")
    for register in (one, two):
        await register.pusher.push_once()
    said = "\n".join(describe(state(args, one), "h"))
    assert state(args, one).waits.mine == 0 and "waiting for this terminal: 0;" in said
    vm = window(two, args, api)
    await vm.refresh()
    await vm.decide(vm.key(row_of(vm, one, "POS-5001")), Action.ABANDONED, "voided in the POS")
    mine, theirs = state(args, one).waits, state(args, two).waits
    assert (mine.mine, mine.store, theirs.mine, theirs.store) == (1, 1, 0, 1)
    assert mine.mine_oldest is not None and mine.mine_oldest == theirs.store_oldest
    lines = describe(state(args, one), "h")
    assert any(line.startswith("Settlements waiting for this terminal: 1 (oldest decided") for line in lines)

    assert state(args, one).staff.last_sync is None and "last staff sync: never" in "\n".join(lines)
    time_ = MovingTime()
    staff = StaffStore(tmp_path / "staff.sqlite3", clock=time_.clock(), lookup_key=STORE_KEY)
    staff.add("Ana", Role.MANAGER, "4826", by=StaffActor.command_line("it"))
    with psycopg.connect(**args) as conn:
        sync(conn, STORE, one.id, staff, CLOCK.now())
    staff.close()
    found = state(args, one, STORE_KEY).staff
    assert found.accounts == 1 and found.last_sync is not None and found.has_key is True
    assert state(args, one, OTHER_KEY).staff.has_key is False
    assert "does NOT have the store's staff key" in describe(state(args, one, OTHER_KEY), "h")[-1]
    assert state(args, one).staff.has_key is None, "no key here: cannot be told"

    url = parse_hub_url("postgresql://u@127.0.0.1/db")
    page = manage.report(args, url, one.path, None)
    assert page.waits is not None and page.waits.mine == 1 and page.staff.accounts == 1
    one.stop()
    two.stop()
