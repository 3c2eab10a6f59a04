"""Not a member at the counter -> sign-up -> the new member's wallet goes on into this sale, no second
PIN; an existing member never skips the PIN. Over real HTTP against the simulated AIQ."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.seed import WELCOME_GIFT_NAME
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.continue_sale import ContinueSale
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_step

NEW_PHONE = "5554441212"
WHERE = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "4321")) as srv:
        yield srv


@pytest_asyncio.fixture
async def counter(server, tmp_path):
    """(sale, loyalty, continue_sale, journal) sharing one client, as app.py wires them."""
    journal = make_journal(tmp_path)
    consents = ConsentLog(tmp_path / "consents.sqlite3")
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        client = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
        sale = RedemptionViewModel(client, journal)
        loyalty = LoyaltyViewModel(client, consents, WHERE)
        yield sale, loyalty, ContinueSale(sale), journal
        await sale.wait_idle()
        await loyalty.wait_idle()
    journal.close()
    consents.close()


async def sign_up(loyalty, phone):
    await loyalty.sign_up(phone, "kim@example.com", "Kim", "Lee", True, False, True)


def skips(journal):
    return [row for row in journal.audit.rows() if row.event == "pin_skipped"]


def redeems(server):
    return [r for r in server.simulator.requests if r.method == "PUT"]


@pytest.mark.asyncio
async def test_not_a_member_is_an_offer_to_sign_up_not_an_error(counter):
    sale, *_ = counter
    offers = []
    sale.signup_offered.connect(offers.append)
    sale.set_cart_text("30")
    sale.start()
    sale.submit_phone(NEW_PHONE)
    await sale.wait_idle()
    assert sale.step is Step.PHONE
    assert sale.message[0] == Level.INFO and "Press F3 to sign them up" in sale.message[1]
    assert offers == ["***-***-1212"]


@pytest.mark.asyncio
async def test_a_new_members_wallet_goes_on_into_the_sale_without_a_second_pin(counter, server):
    sale, loyalty, go_on, journal = counter
    sale.set_cart_text("30")
    sale.start()
    sale.submit_phone(NEW_PHONE)
    await sale.wait_idle()
    await sign_up(loyalty, NEW_PHONE)
    phone = parse_phone(NEW_PHONE)
    assert go_on.redeem_for(phone, loyalty.new_member_wallet(phone)) == ""
    assert sale.step is Step.WALLET and sale.phone == phone
    assert server.simulator.last_pin(NEW_PHONE) is None  # no PIN texted, before or after the sign-up
    gift = next(o for o in sale.offers if o.discount.name == WELCOME_GIFT_NAME)
    assert gift.usable
    sale.toggle(gift.discount.id)
    assert sale.selected_ids == [gift.discount.id]
    sale.apply_selection()
    assert sale.step is Step.APPLY_IN_POS
    assert redeems(server) == []  # nothing redeemed before checkout
    events = skips(journal)
    assert len(events) == 1 and "new member signed up" in events[0].detail and NEW_PHONE not in events[0].detail
    assert "just signed up" in sale.pin_skipped


@pytest.mark.asyncio
async def test_signing_up_a_number_that_is_already_a_member_does_not_skip_the_pin(counter, server):
    sale, loyalty, go_on, journal = counter
    sale.set_cart_text("30")
    sale.start()
    await sign_up(loyalty, DEMO_PHONE)  # the cashier "signs up" an existing member
    assert loyalty.wallet is None and not loyalty.new_member and loyalty.status.member  # no wallet without the PIN
    phone = parse_phone(DEMO_PHONE)
    assert loyalty.new_member_wallet(phone) is None
    assert go_on.redeem_for(phone, loyalty.new_member_wallet(phone)) == ""
    await wait_for_step(sale, Step.PIN)
    assert server.simulator.last_pin(DEMO_PHONE) == "4321"  # the texted PIN, as always
    assert sale.wallet is None and sale.pin_skipped == "" and skips(journal) == []


@pytest.mark.asyncio
async def test_the_skip_is_only_for_the_phone_signed_up_just_now(counter):
    _sale, loyalty, _go_on, _journal = counter
    await sign_up(loyalty, NEW_PHONE)
    assert loyalty.new_member and loyalty.new_member_wallet(parse_phone(NEW_PHONE)) is not None
    await loyalty.check_status(DEMO_PHONE)  # then the cashier checks another number: a member
    assert loyalty.status_phone == parse_phone(DEMO_PHONE)
    assert loyalty.new_member_wallet(parse_phone(DEMO_PHONE)) is None
    fresh = LoyaltyViewModel(loyalty._api, loyalty._log, WHERE)  # the dialog opened again: nothing carries over
    assert fresh.new_member_wallet(parse_phone(NEW_PHONE)) is None


@pytest.mark.asyncio
async def test_redeem_without_a_cart_total_asks_for_it_then_goes_on_after_f2(counter, server, qtbot):
    sale, loyalty, go_on, _journal = counter
    await sign_up(loyalty, NEW_PHONE)
    phone = parse_phone(NEW_PHONE)
    why = go_on.redeem_for(phone, loyalty.new_member_wallet(phone))
    assert why.startswith("Type the cart total first") and sale.step is Step.CART
    sale.set_cart_text("25")
    sale.start()
    qtbot.waitUntil(lambda: sale.step is Step.WALLET, timeout=2000)
    assert sale.phone == phone and server.simulator.last_pin(NEW_PHONE) is None
    assert any(o.discount.name == WELCOME_GIFT_NAME for o in sale.offers)
