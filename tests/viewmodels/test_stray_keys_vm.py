"""A hurried cashier's keys: Esc, Enter, F9 and cart edits at every step lose no work and send nothing early."""

from __future__ import annotations

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.flow import KEEP_VERIFIED_FOR, Step
from budtender_app.domain.messages import Level
from budtender_app.viewmodels.pin_steps import RESEND_AFTER
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, no_sleep, wait_for_step
from tests.helpers.fake_aiq import CLOCK, FakeAiq


class Ticks:
    """The injected monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def journal(tmp_path):
    with make_journal(tmp_path, clock=CLOCK) as j:
        yield j


@pytest.fixture
def ticks():
    return Ticks()


def counter(api, journal, ticks) -> RedemptionViewModel:
    return RedemptionViewModel(api, journal, clock=CLOCK, sleep=no_sleep, monotonic=ticks)


async def at_pin(vm, cart="50", phone="555-123-4567"):
    vm.set_cart_text(cart)
    vm.start()
    vm.submit_phone(phone)
    await wait_for_step(vm, Step.PIN)


async def at_wallet(vm, cart="50", phone="555-123-4567"):
    await at_pin(vm, cart, phone)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)


def verifies(api):
    return [c for c in api.calls if c[0] == "verify"]


def asked(signal):
    said: list[str] = []
    signal.connect(said.append)
    return said


@pytest.mark.asyncio
async def test_esc_in_the_wallet_keeps_the_shopper_and_enter_reopens_it_with_no_new_pin(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    await at_wallet(vm)
    vm.toggle("a")
    vm.cancel()  # Esc
    assert vm.step is Step.PHONE and vm.phone.masked == "***-***-4567"
    assert "Enter re-opens the wallet of ***-***-4567" in vm.message[1]
    ticks.now += KEEP_VERIFIED_FOR - 1
    vm.submit_phone("(555) 123-4567")  # the same number, typed as before
    assert vm.step is Step.WALLET and vm.selected_ids == ["a"], "the choice is kept too"
    assert len(verifies(api)) == 1 and len([c for c in api.calls if c[0] == "view"]) == 1
    assert "re-opened with no new PIN" in vm.message[1]


@pytest.mark.asyncio
async def test_after_the_moment_the_same_shopper_needs_a_new_pin(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    await at_wallet(vm)
    vm.toggle("a")
    vm.cancel()
    ticks.now += KEEP_VERIFIED_FOR + 1
    vm.submit_phone("5551234567")
    await wait_for_step(vm, Step.PIN)
    assert len(verifies(api)) == 2
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    assert vm.selected_ids == ["a"], "the same shopper's choice survives the new PIN"


@pytest.mark.asyncio
async def test_another_phone_forgets_the_kept_shopper(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    await at_wallet(vm)
    vm.toggle("a")
    vm.cancel()
    vm.submit_phone("555-987-6543")
    await wait_for_step(vm, Step.PIN)
    assert vm.phone.masked == "***-***-6543" and vm.selected_ids == [] and vm.wallet is None
    assert verifies(api)[-1] == ("verify", "5559876543")


@pytest.mark.asyncio
async def test_another_phone_is_refused_while_the_kept_shoppers_discounts_are_applied_in_the_pos(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    await at_wallet(vm)
    vm.toggle("a")
    vm.apply_selection()
    vm.cancel()  # back to the wallet
    vm.cancel()  # and to the phone
    assert vm.step is Step.PHONE and vm.sale_applied
    vm.submit_phone("555-987-6543")
    assert vm.step is Step.PHONE and "applied in the POS" in vm.message[1]
    assert len(verifies(api)) == 1 and api.redeems == []
    vm.submit_phone("555-123-4567")
    assert vm.step is Step.WALLET and vm.selected_ids == ["a"]


@pytest.mark.asyncio
async def test_esc_at_the_phone_with_a_kept_shopper_asks_and_only_a_confirmed_cancel_drops_them(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    questions = asked(vm.abandon_asked)
    await at_wallet(vm)
    vm.toggle("a")
    vm.cancel()
    vm.cancel()  # Esc Esc
    assert vm.step is Step.PHONE and questions == ["Cancel this redemption? The shopper's selection is dropped."]
    vm.submit_phone("5551234567")  # ... Enter: the question was kept (Keep is the default)
    assert vm.step is Step.WALLET and vm.selected_ids == ["a"]
    vm.ask_abandon()  # Shift+Esc
    assert vm.step is Step.WALLET and len(questions) == 2
    vm.abandon()  # "Cancel redemption" chosen
    assert vm.step is Step.CART and vm.wallet is None and "nothing was redeemed" in vm.message[1]
    assert api.redeems == []


@pytest.mark.asyncio
async def test_esc_then_enter_on_the_phone_offers_the_pin_texted_already(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    offers = asked(vm.texted_pin_offered)
    await at_pin(vm)
    ticks.now += 20
    vm.cancel()  # Esc in the PIN popup
    vm.submit_phone("5551234567")  # Enter
    assert offers == ["A PIN was texted 20 s ago: use that one?"]
    assert vm.step is Step.PHONE and len(verifies(api)) == 1, "no second text within the countdown"
    vm.text_new_pin()  # not yet
    assert vm.step is Step.PHONE and len(verifies(api)) == 1 and "can be texted in 10 s" in vm.message[1]
    vm.use_texted_pin()
    assert vm.step is Step.PIN and len(verifies(api)) == 1
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)


@pytest.mark.asyncio
async def test_once_the_countdown_allows_a_new_pin_is_texted_at_the_cashiers_word(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    offers = asked(vm.texted_pin_offered)
    await at_pin(vm)
    vm.cancel()
    vm.cancel()  # Esc Esc: at the cart
    vm.start()
    vm.submit_phone("5551234567")  # F2 Enter: still asks
    assert len(offers) == 1 and len(verifies(api)) == 1
    ticks.now += RESEND_AFTER
    vm.text_new_pin()
    await wait_for_step(vm, Step.PIN)
    assert len(verifies(api)) == 2


@pytest.mark.asyncio
async def test_after_three_wrong_pins_enter_texts_a_new_one_without_asking(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    offers = asked(vm.texted_pin_offered)
    await at_pin(vm)
    for _ in range(3):
        vm.submit_pin("0000")
        await vm.wait_idle()
    assert vm.step is Step.PHONE
    vm.submit_phone("5551234567")
    await wait_for_step(vm, Step.PIN)
    assert offers == [] and len(verifies(api)) == 2


@pytest.mark.asyncio
async def test_a_cart_edit_in_the_wallet_counts_once_done_keeps_what_fits_and_names_what_it_drops(journal, ticks):
    vm = counter(FakeAiq(), journal, ticks)
    await at_wallet(vm, cart="50")
    vm.toggle("a")
    vm.toggle("b")  # $5 + $10
    for typed in ("", "1", "12"):  # the cashier retypes the total: $1 on the way to $12
        vm.set_cart_text(typed)
        assert vm.selected_ids == ["a", "b"] and vm.cart_total == 50
    vm.finish_cart_edit()
    assert vm.cart_total == 12 and vm.selected_ids == ["a"]
    assert vm.message == (Level.INFO, ("Cart total now $12.00. Dropped $10 off: with the others it would take "
                                       "$15.00 off a $12.00 sale."))
    vm.set_cart_text("4")
    vm.apply_selection()  # Enter while the edit is pending: read first, and stop to show what it dropped
    assert vm.step is Step.WALLET and vm.selected_ids == []
    assert "Dropped $5 off: needs a $5.00 sale: $1.00 more." in vm.message[1]


@pytest.mark.asyncio
async def test_a_cart_total_that_does_not_read_holds_the_choice_and_cannot_be_applied(journal, ticks):
    vm = counter(FakeAiq(), journal, ticks)
    await at_wallet(vm, cart="50")
    vm.toggle("a")
    vm.set_cart_text("abc")
    vm.finish_cart_edit()
    assert vm.cart_total is None and vm.selected_ids == ["a"] and vm.message[0] is Level.ERROR
    vm.apply_selection()
    assert vm.step is Step.WALLET
    vm.set_cart_text("30")
    vm.finish_cart_edit()
    vm.apply_selection()
    assert vm.step is Step.APPLY_IN_POS and [d.id for d in vm.selected] == ["a"]


@pytest.mark.asyncio
async def test_the_pause_after_typing_counts_as_done(journal, ticks):
    from tests.helpers import await_signal

    vm = counter(FakeAiq(), journal, ticks)
    await at_wallet(vm, cart="50")
    vm.toggle("b")
    vm.set_cart_text("8")
    assert vm.selected_ids == ["b"]
    await await_signal(vm.offers_changed)
    assert vm.cart_total == 8 and vm.selected_ids == [] and "Dropped $10 off" in vm.message[1]


@pytest.mark.asyncio
async def test_f9_before_the_selection_is_applied_says_what_to_do(journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    vm.start_checkout()
    assert vm.step is Step.CART and "press F2" in vm.message[1]
    await at_wallet(vm)
    vm.toggle("a")
    vm.start_checkout()
    assert vm.step is Step.WALLET and vm.message == (Level.INFO, (
        "Apply the selection first (Enter), key the discounts into the POS, then press F9 when the sale is finished."))
    vm.cancel()
    vm.start_checkout()
    assert vm.step is Step.PHONE and "Open the shopper's wallet first" in vm.message[1]
    assert api.redeems == []


@pytest.mark.asyncio
@pytest.mark.parametrize(("cart", "says"), [
    ("0", "Nothing to discount on a $0.00 sale"), ("0.00", "Nothing to discount on a $0.00 sale"),
    ("", "Type the cart total first"),
])
async def test_a_zero_or_missing_cart_total_texts_no_pin(journal, ticks, cart, says):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    vm.set_cart_text(cart)
    vm.start()
    assert vm.step is Step.CART and says in vm.message[1]
    vm.set_cart_text("20")
    vm.start()
    vm.set_cart_text(cart)  # changed on the phone step, before Enter
    vm.submit_phone("5551234567")
    assert vm.step is Step.PHONE and api.calls == []


@pytest.mark.asyncio
async def test_a_hurried_cashier_never_sends_a_redemption_before_checkout(journal, ticks):
    """Esc Esc Enter Enter, F9 everywhere and cart edits mid-redeem: nothing goes to AIQ's redeem."""
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    await at_wallet(vm)
    vm.toggle("a")
    for action in (vm.start_checkout, vm.cancel, vm.start_checkout, vm.cancel, lambda: vm.submit_phone("5551234567"),
                   vm.start_checkout, vm.apply_selection, vm.cancel, vm.cancel, lambda: vm.submit_phone("5551234567"),
                   lambda: vm.set_cart_text("60"), vm.apply_selection, vm.start_checkout, vm.cancel, vm.start_checkout):
        action()
        assert api.redeems == []
    assert vm.step is Step.CHECKOUT and vm.cart_total == 60 and vm.sale_applied
    vm.confirm_checkout("T-1")
    await wait_for_step(vm, Step.DONE)
    assert len(api.redeems) == 1 and not vm.sale_applied


@pytest.mark.asyncio
async def test_a_cart_edit_at_the_phone_step_is_read_on_enter_and_its_drops_are_named_in_the_reopened_wallet(
        journal, ticks):
    api = FakeAiq()
    vm = counter(api, journal, ticks)
    await at_wallet(vm, cart="50")
    vm.toggle("a")
    vm.toggle("b")
    vm.cancel()  # Esc: at the phone, the shopper kept
    vm.set_cart_text("1")  # "$1" on the way to "$12": nothing dropped yet
    vm.set_cart_text("12")
    assert vm.selected_ids == ["a", "b"]
    vm.submit_phone("5551234567")
    assert vm.step is Step.WALLET and vm.selected_ids == ["a"] and len(verifies(api)) == 1
    assert "re-opened with no new PIN" in vm.message[1] and "Dropped $10 off" in vm.message[1]


@pytest.mark.asyncio
async def test_a_sale_resumed_at_start_has_no_phone_to_go_back_to_so_esc_in_its_wallet_asks(journal, ticks):
    from decimal import Decimal

    from budtender_app.services.applied_sale import AppliedSale, AppliedSales
    from tests.helpers.fake_aiq import demo_wallet

    AppliedSales(journal).save(AppliedSale(cart_total=Decimal(50), discounts=(demo_wallet().discounts[0],),
                                           shopper_masked="***-***-4567"), staff=Actor.counter)
    vm = counter(FakeAiq(), journal, ticks)
    questions = asked(vm.abandon_asked)
    vm.resume_applied()
    vm.cancel()  # Esc on the POS step: back to its wallet
    assert vm.step is Step.WALLET
    vm.cancel()  # Esc in that wallet: no phone step to go back to
    assert vm.step is Step.WALLET and len(questions) == 1
    assert "remove the discounts you applied" in questions[0]
    assert AppliedSales(journal).current() is not None, "the applied sale is kept until a confirmed cancel"
