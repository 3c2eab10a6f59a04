"""A sale whose discounts are applied in the POS survives a quit: it is offered again at start,
to be finished with its transaction ID or cancelled, and it is never sent by itself."""

from __future__ import annotations

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.flow import Step
from budtender_app.domain.redemption import Status
from budtender_app.services.applied_sale import AppliedSales
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, no_sleep, wait_for_step
from tests.helpers.fake_aiq import CLOCK, URL, FakeAiq
from tests.viewmodels.test_redemption_vm import at_wallet

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"the sale in progress could not be read")


@pytest.fixture
def folder(tmp_path):
    return tmp_path


async def applied_then_quit(folder, ids=("a", "b")):
    """A cashier applies discounts in the POS, then the app quits (the journal is closed)."""
    api = FakeAiq()
    with make_journal(folder, clock=CLOCK) as journal:
        vm = await at_wallet(api, journal)
        for i in ids:
            vm.toggle(i)
        vm.apply_selection()
        assert vm.step is Step.APPLY_IN_POS
    return api


def restart(folder, api=None):
    journal = make_journal(folder, clock=CLOCK)
    vm = RedemptionViewModel(api or FakeAiq(), journal, clock=CLOCK, sleep=no_sleep)
    vm.resume_applied()
    return vm, journal


@pytest.mark.asyncio
async def test_a_sale_applied_in_the_pos_comes_back_after_a_restart(folder):
    before = await applied_then_quit(folder)
    assert before.redeems == [], "applying sends nothing"
    api = FakeAiq()
    vm, journal = restart(folder, api)
    try:
        assert vm.step is Step.APPLY_IN_POS
        assert [d.id for d in vm.selected] == ["a", "b"]
        assert vm.cart_total == 50
        assert vm.shopper_masked == "***-***-4567"
        assert "press F9" in vm.message[1] and "2 discounts" in vm.message[1]
        assert api.redeems == [], "a resumed sale is never sent by itself"
        vm.start_checkout()
        vm.confirm_checkout("T-42")
        await wait_for_step(vm, Step.DONE)
        assert [c[1:] for c in api.redeems] == [(URL.format("a"), "T-42"), (URL.format("b"), "T-42")]
        assert [o.status for o in vm.outcomes] == [Status.REDEEMED, Status.REDEEMED]
        assert "***-***-4567" in vm.record()
        assert AppliedSales(journal).current() is None, "checked out: nothing left to resume"
    finally:
        journal.close()


@pytest.mark.asyncio
async def test_a_resumed_sale_can_be_cancelled_and_is_then_gone(folder):
    await applied_then_quit(folder)
    vm, journal = restart(folder)
    try:
        vm.abandon()
        assert vm.step is Step.CART
        assert "Remove the discounts" in vm.message[1]
        events = [row.event for row in journal.audit.rows()]
        assert events[-2:] == ["applied", "applied_cancelled"]
    finally:
        journal.close()
    vm, journal = restart(folder)
    try:
        assert vm.step is Step.CART, "cancelled once means not offered again"
    finally:
        journal.close()


@pytest.mark.asyncio
async def test_checkout_and_forgetting_the_applied_sale_are_one_transaction(folder):
    """A crash between queueing the redemptions and forgetting the applied sale must not leave it
    to be checked out again under another transaction ID."""
    await applied_then_quit(folder)
    with make_journal(folder, clock=CLOCK) as journal:
        applied = AppliedSales(journal)
        sale = applied.current()
        original = journal.queue

        def queue_then_crash(*args, **kwargs):
            original(*args, **kwargs)
            raise OSError("power cut")

        journal.queue = queue_then_crash
        with pytest.raises(OSError):
            applied.checkout("T-1", sale.discounts, shopper_masked="***-***-4567", contact_id="", staff=Actor.counter)
        journal.queue = original
        assert journal.for_transaction("T-1") == [], "rolled back together"
        assert applied.current() is not None, "still there to finish"


@pytest.mark.asyncio
async def test_the_audit_trail_names_what_was_applied_without_tokens(folder):
    await applied_then_quit(folder)
    with make_journal(folder, clock=CLOCK) as journal:
        row = journal.audit.rows()[-1]
        assert row.event == "applied"
        assert "***-***-4567" in row.detail and "tok" not in row.detail and "100 points" in row.detail
        assert "tok" not in repr(AppliedSales(journal).current())


@pytest.mark.asyncio
async def test_an_unreadable_saved_sale_is_told_not_dropped(folder):
    await applied_then_quit(folder)
    with make_journal(folder, clock=CLOCK) as journal, journal.atomic() as conn:
        conn.execute("UPDATE applied_sale SET discounts = 'not json'")
    vm, journal = restart(folder)
    try:
        assert vm.step is Step.CART
        assert vm.message[0] == "error" and "could not be read" in vm.message[1]
    finally:
        journal.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("edit", [
    "UPDATE applied_sale SET discounts = replace(discounts, '\"points\": 100', '\"points\": 1')",
    "UPDATE applied_sale SET cart_total = '4200.00'",
    "UPDATE applied_sale SET shopper_masked = '***-***-9999'",
])
async def test_a_saved_sale_edited_outside_the_app_is_refused_not_resumed(folder, edit):
    """Its journal rows are sealed by the keyed audit trail only from checkout on: before that,
    the 'applied' event (on that trail) vouches for the saved sale."""
    await applied_then_quit(folder)
    with make_journal(folder, clock=CLOCK) as journal, journal.atomic() as conn:
        assert conn.execute(edit).rowcount == 1
    vm, journal = restart(folder)
    try:
        assert vm.step is Step.CART
        assert vm.message[0] == "error" and "could not be read" in vm.message[1]
    finally:
        journal.close()
