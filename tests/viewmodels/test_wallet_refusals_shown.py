"""The cashier sees why a discount AIQ sent is not offered (real AIQ client, simulator on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, no_sleep, wait_for_step

NOW = datetime(2026, 11, 22, tzinfo=UTC)
PHONE = "5550002222"


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "2468")) as srv:
        yield srv


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=5.0)) as client:
        yield client


@pytest.mark.asyncio
async def test_discounts_refused_at_wallet_read_are_named_with_the_reason(server, http, tmp_path):
    https_on_the_same_port = server.url.replace("http://", "https://")
    server.simulator.add_shopper(PHONE, points=1000, discounts=[
        {"id": "ok", "name": "$5 off", "pointsDeduction": 100, "dollarValue": 5},
        {"id": "tls", "name": "$7 off", "pointsDeduction": 100, "dollarValue": 7,
         "redemptionURL": https_on_the_same_port + "/api/v1.1/discount/redeem/1/tls/tok"},
        {"id": "free", "name": "$9 off", "dollarValue": 9, "pointsDeduction": None},
    ])
    api = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
    with make_journal(tmp_path) as journal:
        vm = RedemptionViewModel(api, journal, clock=Clock.fixed(NOW), sleep=no_sleep)
        vm.set_cart_text("50")
        vm.start()
        vm.submit_phone(PHONE)
        await wait_for_step(vm, Step.PIN)
        vm.submit_pin("2468")
        await wait_for_step(vm, Step.WALLET)
        assert [o.discount.id for o in vm.offers] == ["ok"]
        kind, text = vm.message
        assert kind == "info" and "not offered" in text
        assert ("'$7 off' skipped: its redemption link does not point at this store's AIQ address "
                "(tell a manager)") in text
        assert "'$9 off' skipped: AIQ did not say how many points it costs" in text
