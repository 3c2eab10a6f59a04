"""The owning register's F11 window follows a settlement decided at another register (real hub):
once Register 1's pusher carried it out, its open Pending tab no longer lists the row, and the
counter's count of open redemptions says so, without the manager pressing anything."""

from __future__ import annotations

import httpx
import psycopg
import pytest
import pytest_asyncio

from budtender_app.hub_wiring import after_settlement
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import schema
from budtender_app.services.hub.carry_out import HubSettler
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from budtender_app.ui.manager.pending_dialog import PendingTab
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.pending_words import Action
from tests.helpers import no_sleep
from tests.services.hub.test_hub_settlements import CLOCK, MANAGER, STORE_KEY, row_of, start, unknown_sale, window

pytestmark = pytest.mark.hub


@pytest_asyncio.fixture
async def api(server):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


class Counter:
    """The counter's view model, as far as the hook uses it."""

    def __init__(self) -> None:
        self.counted = 0

    def refresh_pending(self) -> None:
        self.counted += 1


@pytest.mark.asyncio
async def test_the_open_pending_tab_drops_a_row_settled_from_another_register(server, api, args, tmp_path, qtbot):
    one = start("Register 1", tmp_path / "one", args, api)
    two = start("Register 2", tmp_path / "two", args, api)
    await unknown_sale(one, api, "POS-6001")
    sender = RedemptionSender(api, one.journal, sleep=no_sleep)
    pending = PendingViewModel(one.journal, api, sender, clock=CLOCK, approving=lambda: MANAGER)
    tab = PendingTab(pending)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.table.rowCount() == 1
    counter = Counter()
    one.pusher.settler = HubSettler(one.journal, sender, key=STORE_KEY, after=after_settlement(counter, pending))
    await one.pusher.push_once()
    vm = window(two, args, api)
    await vm.refresh()
    await vm.decide(vm.key(row_of(vm, one, "POS-6001")), Action.ABANDONED, "voided in the POS")
    await one.pusher.push_once()
    assert tab.table.rowCount() == 0 and pending.entries == [] and counter.counted == 1
    assert tab.empty_label.isVisibleTo(tab)
    one.stop()
    two.stop()
