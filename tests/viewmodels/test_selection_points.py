"""The selection summary under the wallet: an estimate when a percentage is in it, and no point
figure for a brand that hides points, also for a sale resumed after a restart."""

from __future__ import annotations

import pytest

from budtender_app.domain.flow import Step
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, no_sleep
from tests.helpers.fake_aiq import CLOCK, FakeAiq, demo_wallet
from tests.viewmodels.test_redemption_vm import at_wallet


@pytest.mark.asyncio
@pytest.mark.parametrize(("hide", "summary"), [
    (False, "Selected: 2 discounts, $15.00 off, 300 points"),
    (True, "Selected: 2 discounts, $15.00 off"),
])
async def test_the_summary_shows_points_only_when_the_brand_does(tmp_path, hide, summary):
    api = FakeAiq()
    api.wallet = demo_wallet(points=1000, hide=hide)
    with make_journal(tmp_path, clock=CLOCK) as journal:
        vm = await at_wallet(api, journal)
        vm.toggle("a")
        vm.toggle("b")
        assert vm.selection_summary() == summary


@pytest.mark.asyncio
async def test_a_resumed_sale_of_a_hiding_brand_still_shows_no_points(tmp_path):
    api = FakeAiq()
    api.wallet = demo_wallet(points=0, hide=True)
    with make_journal(tmp_path, clock=CLOCK) as journal:
        vm = await at_wallet(api, journal)
        vm.toggle("a")
        vm.apply_selection()
    with make_journal(tmp_path, clock=CLOCK) as journal:
        vm = RedemptionViewModel(FakeAiq(), journal, clock=CLOCK, sleep=no_sleep)
        vm.resume_applied()
        assert vm.step is Step.APPLY_IN_POS
        vm.cancel()  # back to the wallet, to change the selection
        assert vm.step is Step.WALLET
        assert vm.selection_summary() == "Selected: 1 discount, $5.00 off"
