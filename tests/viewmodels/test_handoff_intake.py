"""The counter's side of a hand-off (issue 14), over real HTTP to the simulator: it fills in, never acts.

A hand-off fills the cart total, keeps the transaction ID for checkout and the POS discount IDs
for when the wallet opens; it sends nothing to AIQ. It is refused during a sale (nothing changes),
and a transaction ID of the wrong shape for this store is refused at hand-off and at checkout.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.flow import Step
from budtender_app.domain.handoff import Handoff
from budtender_app.domain.messages import Level
from budtender_app.domain.transaction_pattern import parse_pattern
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_step

SALE = Handoff(total=Decimal("42.50"), transaction="T-1001", discounts=("POS-5OFF",))


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "1234")) as srv:
        yield srv


@pytest_asyncio.fixture
async def vm(server, tmp_path):
    http = httpx.AsyncClient(timeout=2.0)
    journal = make_journal(tmp_path)
    model = RedemptionViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), journal)
    yield model
    await model.wait_idle()
    await http.aclose()
    journal.close()


def requests(server):
    return list(server.simulator.requests)


def puts(server):
    return [r for r in server.simulator.requests if r.method == "PUT"]


async def open_wallet(vm):
    vm.start()
    vm.submit_phone(DEMO_PHONE)
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)


async def at_checkout(vm):
    await open_wallet(vm)
    if not vm.selected_ids:
        vm.toggle(vm.offers[0].discount.id)
    vm.apply_selection()
    vm.start_checkout()
    assert vm.step is Step.CHECKOUT


@pytest.mark.asyncio
async def test_a_hand_off_fills_in_the_sale_and_sends_nothing(vm, server, caplog):
    filled = []
    vm.handoff.total_filled.connect(filled.append)
    caplog.set_level(logging.DEBUG)
    ok, text = vm.handoff.take(Handoff(total=Decimal("42.50"), transaction="T-1001", discounts=("POS-5OFF",),
                                       phone=DEMO_PHONE))
    assert ok and text.startswith("Cart total $42.50 filled in; transaction T-1001 kept for checkout")
    assert "POS-5OFF to preselect when the wallet opens" in text and "phone fills in at F2" in text
    assert vm.message == (Level.INFO, text)
    assert filled == ["42.50"] and vm.cart_total == Decimal("42.50") and vm.step is Step.CART
    assert vm.handoff.transaction == "T-1001" and vm.phone is None and vm.wallet is None
    assert requests(server) == []  # no PIN texted, no wallet opened, nothing redeemed
    assert DEMO_PHONE not in caplog.text and DEMO_PHONE[-4:] not in caplog.text
    assert vm.handoff.take_phone() == DEMO_PHONE and vm.handoff.take_phone() == ""  # the phone field's, once


@pytest.mark.asyncio
async def test_a_total_typed_but_not_started_is_replaced_and_said(vm, server):
    vm.set_cart_text("12")
    ok, text = vm.handoff.take(SALE)
    assert ok and vm.cart_total == Decimal("42.50") and text.endswith("(replacing the $12.00 typed)")
    ok, text = vm.handoff.take(Handoff(total=Decimal("42.50"), transaction="T-1002"))
    assert ok and text.endswith("(replacing transaction T-1001)") and vm.handoff.transaction == "T-1002"
    assert requests(server) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("step", [Step.PHONE, Step.WALLET, Step.APPLY_IN_POS, Step.CHECKOUT])
async def test_a_hand_off_during_a_sale_is_refused_and_changes_nothing(vm, server, step):
    vm.handoff.take(SALE)
    if step is Step.PHONE:
        vm.start()
    elif step is Step.WALLET:
        await open_wallet(vm)
    else:
        await at_checkout(vm)
        if step is Step.APPLY_IN_POS:
            vm.cancel()
    assert vm.step is step
    before = (vm.cart_total, vm.selected_ids, vm.handoff.transaction, vm.handoff.discounts, len(requests(server)))
    ok, text = vm.handoff.take(Handoff(total=Decimal("99.00"), transaction="T-2", discounts=("POS-10OFF",)))
    assert not ok and text.startswith("Finish or cancel the current sale first: ")
    assert text.endswith("The hand-off changed nothing.")
    assert vm.step is step and vm.message[1] == text
    assert (vm.cart_total, vm.selected_ids, vm.handoff.transaction, vm.handoff.discounts,
            len(requests(server))) == before


@pytest.mark.asyncio
async def test_a_finished_sale_on_screen_refuses_a_hand_off_until_the_new_sale_which_forgets_the_last(vm, server):
    vm.handoff.take(SALE)
    await at_checkout(vm)
    vm.confirm_checkout(vm.handoff.transaction)
    await wait_for_step(vm, Step.DONE)
    assert [r.path.rsplit("/", 1)[-1] for r in puts(server)] == ["T-1001"]
    ok, text = vm.handoff.take(Handoff(total=Decimal("10.00")))
    assert not ok and "press Enter for a new sale" in text
    vm.new_sale()
    assert vm.handoff.transaction == "" and vm.handoff.discounts == ()
    assert vm.handoff.take(Handoff(total=Decimal("10.00")))[0] and vm.cart_total == Decimal("10.00")


@pytest.mark.asyncio
async def test_a_wrong_total_or_a_transaction_of_another_shape_is_refused_with_the_usual_words(vm, server):
    vm.transaction_ids = parse_pattern("8 digits")
    ok, text = vm.handoff.take(Handoff(total=Decimal("42.50"), transaction="T-12"))
    assert (ok, text) == (False, "This store's transaction IDs are 8 digits; T-12 is not one.")
    ok, text = vm.handoff.take(Handoff(total=Decimal(-5)))
    assert not ok and text.startswith("Cart total: ")
    assert vm.cart_total is None and vm.handoff.transaction == "" and vm.message == (Level.WARNING, text)
    assert vm.handoff.take(Handoff(total=Decimal("42.50"), transaction="12345678"))[0]
    assert requests(server) == []


@pytest.mark.asyncio
async def test_the_pos_discount_ids_are_preselected_when_the_wallet_opens_if_this_sale_can_take_them(vm, server):
    vm.handoff.take(Handoff(total=Decimal("42.50"),
                            discounts=("POS-5OFF", "POS-100OFF", "POS-NOT-IN-WALLET", "POS-SUMMER15")))
    await open_wallet(vm)
    assert [d.pos_discount_id for d in vm.selected] == ["POS-5OFF"]  # only what Space would have taken
    said = vm.message[1]
    assert "Selected $5 off any purchase (POS-5OFF), as the POS asked." in said
    assert "POS-NOT-IN-WALLET (from the POS) is not offered to this shopper." in said
    assert "POS-100OFF (from the POS) was not selected: '$100 off a big haul' cannot be used: " in said
    assert "POS-SUMMER15 (from the POS) was not selected: 'Summer sale $15 off' cannot be used: " in said
    assert puts(server) == []  # preselected, not redeemed


@pytest.mark.asyncio
async def test_a_re_opened_wallet_keeps_what_the_cashier_chose_since(vm, server):
    vm.handoff.take(Handoff(total=Decimal("42.50"), discounts=("POS-5OFF",)))
    await open_wallet(vm)
    vm.toggle(vm.selected_ids[0])  # the cashier unselects it
    vm.cancel()  # Esc: back to the phone, the shopper kept
    vm.submit_phone(DEMO_PHONE)  # the same shopper: the wallet re-opens with no new PIN
    await wait_for_step(vm, Step.WALLET)
    assert vm.selected_ids == []


@pytest.mark.asyncio
async def test_checkout_refuses_a_transaction_id_of_another_shape_before_anything_is_redeemed(vm, server):
    vm.transaction_ids = parse_pattern("starts with POS- then 6 digits")
    vm.set_cart_text("42.50")
    await at_checkout(vm)
    vm.confirm_checkout("POS-12345")
    assert vm.step is Step.CHECKOUT and puts(server) == []
    assert vm.message == (Level.ERROR, ("This store's transaction IDs start with POS- then 6 digits; "
                                        "POS-12345 is not one."))
    vm.confirm_checkout(" POS-123456 ")
    await wait_for_step(vm, Step.DONE)
    assert [r.path.rsplit("/", 1)[-1] for r in puts(server)] == ["POS-123456"]


# -- attacked (session 6) ------------------------------------------------------------------------

@pytest.mark.asyncio
@pytest.mark.parametrize("where", [Step.PHONE, Step.WALLET, Step.APPLY_IN_POS])
async def test_an_abandoned_redemption_forgets_the_hand_off_so_the_next_sale_never_inherits_it(vm, server, where):
    """Cancel redemption ends that sale's redemption: the next shopper's checkout must not open with
    the last POS sale's transaction ID, nor their wallet preselect the last online order's reward."""
    vm.handoff.take(Handoff(total=Decimal("42.50"), transaction="T-1001", discounts=("POS-5OFF",),
                            phone="5550102030"))
    await open_wallet(vm)
    if where is Step.APPLY_IN_POS:
        vm.apply_selection()
    elif where is Step.PHONE:
        vm.cancel()  # Esc: back to the phone, the shopper kept
    assert vm.step is where
    vm.abandon()
    assert vm.step is Step.CART
    assert (vm.handoff.transaction, vm.handoff.discounts, vm.handoff.take_phone()) == ("", (), "")
    assert vm.message[1].endswith("What the POS handed over is forgotten: hand the sale over again to redeem for it.")
    vm.set_cart_text("20.00")  # the next sale, typed
    vm.finish_cart_edit()
    await open_wallet(vm)
    assert vm.selected_ids == []  # nothing the cashier did not choose
    assert puts(server) == []


@pytest.mark.asyncio
async def test_going_back_from_the_phone_to_fix_the_total_keeps_the_hand_off(vm, server):
    vm.handoff.take(SALE)
    vm.start()
    vm.cancel()  # Esc at the phone, no shopper yet: the same sale, its total to fix
    assert vm.step is Step.CART and vm.handoff.transaction == "T-1001"
