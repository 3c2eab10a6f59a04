"""Loyalty status and sign-up against the simulated AIQ over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.actor import Actor
from budtender_app.domain.consent import CounterInfo, consent_hash, consent_text
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog, ConsentLogError
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_PHONE_HIDDEN, DEMO_UID, Simulator
from budtender_app.simulator.seed import WELCOME_GIFT_NAME
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.loyalty import LoyaltyViewModel

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"consent not recorded: disk full")

NEW_PHONE = "5554441212"
WHERE = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")


class Emissions:
    """Every emission of a signal, in order (connected before the action, so none is missed)."""

    def __init__(self, signal) -> None:
        self.args: list[tuple] = []
        signal.connect(self._on_emit)

    def _on_emit(self, *args) -> None:
        self.args.append(args)


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "4321")) as srv:
        yield srv


@pytest.fixture
def sim(server):
    return server.simulator


@pytest.fixture
def consents(tmp_path):
    log = ConsentLog(tmp_path / "consents.sqlite3")
    yield log
    log.close()


@pytest_asyncio.fixture
async def vm(server, consents):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        model = LoyaltyViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), consents, WHERE,
                                 acting=lambda: DANA)
        yield model
        await model.wait_idle()


DANA = Actor("7", "Dana Cashier")


def paths(sim):
    return [(r.method, r.path) for r in sim.requests]


async def sign_up(vm, phone=NEW_PHONE, *, email="kim@example.com", first="Kim", last="Lee", sms=True,
                  email_opt_in=False, consent=True):
    await vm.sign_up(phone, email, first, last, sms, email_opt_in, consent)


@pytest.mark.asyncio
async def test_status_of_a_member_in_one_line_and_no_pin_texted(vm, sim):
    lines = Emissions(vm.status_changed)
    await vm.check_status("(555) 123-4567")
    assert lines.args == [("***-***-4567 is a loyalty member",)]
    assert vm.status.member and vm.status.contact_id == sim.contact_id_of(DEMO_PHONE)
    assert sim.last_pin(DEMO_PHONE) is None
    assert paths(sim) == [("GET", f"/api/v2/loyalty/lookup/{DEMO_PHONE}")]


@pytest.mark.asyncio
async def test_status_of_a_stranger_offers_sign_up_and_texts_no_pin(vm, sim):
    await vm.check_status("555.444.1212")
    assert vm.status_text == "***-***-1212 is not a member yet: sign them up?"
    assert not vm.status.member and sim.last_pin(NEW_PHONE) is None
    assert all(not path.startswith("/api/v2/verify") for _, path in paths(sim))


@pytest.mark.asyncio
async def test_a_bad_phone_is_refused_before_asking_aiq(vm, sim):
    await vm.check_status("555-12")
    assert vm.message[0] == "error" and "10 digits" in vm.message[1] and "phone" in vm.field_errors
    assert sim.requests == []


@pytest.mark.asyncio
async def test_sign_up_creates_the_member_then_opens_the_no_pin_wallet_with_the_welcome_gift(vm, sim, consents):
    wallets = Emissions(vm.signed_up)
    await vm.check_status(NEW_PHONE)
    await sign_up(vm, email="Kim@Example.com", email_opt_in=True)
    [(wallet,)] = wallets.args
    assert [d.name for d in wallet.discounts] == [WELCOME_GIFT_NAME]
    assert [(c.staff_id, c.staff_name) for c in consents.all()] == [("7", "Dana Cashier")]  # who took the consent
    assert vm.new_member and vm.status.member and vm.status_text == "***-***-1212 is now a loyalty member"
    assert vm.message == ("info", ("Signed up ***-***-1212. Their wallet opened without a PIN: show them the "
                                  "welcome gift."))
    assert sim.last_pin(NEW_PHONE) is None  # no PIN texted at any point
    assert paths(sim)[1:] == [("GET", f"/api/v2/loyalty/lookup/{NEW_PHONE}"), ("POST", "/api/v2/loyalty"),
                              ("POST", "/api/v2/wallet")]
    body = sim.requests[2].json
    assert body == {"mobilePhone": NEW_PHONE, "email": "Kim@example.com", "firstName": "Kim", "lastName": "Lee",
                    "favoriteStore": "Main St", "favoriteStoreID": 42, "loyalty": True, "smsoptin": True,
                    "emailOptIn": True}
    [row] = consents.consents_for(parse_phone(NEW_PHONE))
    assert row.contact_id == sim.contact_id_of(NEW_PHONE) == wallet.contact_id
    assert row.consent_hash == consent_hash(consent_text("Green Leaf", "US")) == vm.consent_hash
    assert (row.store, row.store_id, row.terminal, row.sms_opt_in, row.email_opt_in, row.email_given) == (
        "Main St", "42", "till-1", True, True, True)


@pytest.mark.asyncio
async def test_without_consent_nothing_is_sent_or_recorded(vm, sim, consents):
    await sign_up(vm, consent=False)
    assert sim.requests == [] and consents.all() == []
    assert vm.message[0] == "error" and "The shopper agrees" in vm.message[1]
    assert not vm.can_sign_up(NEW_PHONE, consent_given=False) and vm.can_sign_up(NEW_PHONE, consent_given=True)


@pytest.mark.asyncio
@pytest.mark.parametrize(("phone", "email", "first", "field"), [
    ("555-444-121", "", "", "phone"),  # AIQ would store it blank
    (NEW_PHONE, "kim@example", "", "email"),
    (NEW_PHONE, "", "5554441212", "first_name"),  # the phone typed in the wrong box
])
async def test_a_bad_form_is_refused_before_sending(vm, sim, consents, phone, email, first, field):
    await sign_up(vm, phone, email=email, first=first)
    assert sim.requests == [] and consents.all() == []
    assert set(vm.field_errors) == {field} and vm.message[1].startswith("Nothing was sent: fix what is marked.")


@pytest.mark.asyncio
async def test_a_phone_that_became_a_member_meanwhile_is_not_duplicated_nor_opened_without_a_pin(vm, sim, consents):
    await vm.check_status(NEW_PHONE)
    assert not vm.status.member
    sim.add_shopper(NEW_PHONE, points=40, discounts=[{"id": "77", "name": "$3 off", "dollarValue": 3}])
    wallets = Emissions(vm.signed_up)
    await sign_up(vm)
    assert wallets.args == [] and vm.wallet is None and not vm.new_member
    assert ("POST", "/api/v2/loyalty") not in paths(sim) and consents.all() == []
    assert not any("/wallet" in path for _, path in paths(sim)), "a wallet was read without a PIN"
    assert vm.status.member and "already a member, so no new sign-up was sent" in vm.message[1]
    assert vm.new_member_wallet(parse_phone(NEW_PHONE)) is None  # Redeem for this shopper texts a PIN


@pytest.mark.asyncio
async def test_a_dishonest_sign_up_of_an_existing_member_shows_no_points(vm, sim):
    await sign_up(vm, DEMO_PHONE_HIDDEN)
    assert vm.wallet is None and not vm.new_member and vm.status.member


@pytest.mark.asyncio
async def test_aiq_failing_the_sign_up_says_so_and_a_retry_works(vm, server, sim, consents):
    server.inject(500, path_prefix="/api/v2/loyalty", count=1)  # the status look-up meets it
    await sign_up(vm)
    assert vm.message[0] == "error" and "AIQ is having trouble" in vm.message[1]
    assert "Nothing was signed up" in vm.message[1]
    assert consents.all() == []
    server.inject(404, path_prefix="/api/v2/loyalty/lookup")  # status falls back to the contact search
    server.inject(500, path_prefix="/api/v2/loyalty")  # and the sign-up itself fails
    await sign_up(vm)
    assert vm.message[0] == "error" and "AIQ is having trouble" in vm.message[1]
    [pending] = consents.all()
    assert pending.contact_id == ""  # the consent was written before sending; no member yet
    await sign_up(vm)
    assert vm.new_member and consents.all()[-1].contact_id == sim.contact_id_of(NEW_PHONE)


@pytest.mark.asyncio
async def test_aiq_refusing_the_sign_up_gives_its_reason(vm, server, sim):
    server.inject(404, path_prefix="/api/v2/loyalty/lookup")
    server.inject(400, path_prefix="/api/v2/loyalty")
    await sign_up(vm)
    assert vm.message == ("error", "AIQ did not sign this shopper up. AIQ said: Injected failure")
    assert not vm.new_member and vm.wallet is None


@pytest.mark.asyncio
async def test_a_wallet_that_does_not_open_after_sign_up_still_says_the_member_exists(vm, server, sim):
    server.inject(500, path_prefix="/api/v2/wallet")
    wallets = Emissions(vm.signed_up)
    await sign_up(vm)
    assert wallets.args == [] and vm.status.member
    assert vm.message[1].startswith("Signed up ***-***-1212. Their wallet did not open: AIQ is having trouble")
    assert sim.contact_id_of(NEW_PHONE)


class BrokenLog:
    def record_consent(self, *args, **kwargs):
        raise ConsentLogError("disk full")


@pytest.mark.asyncio
async def test_no_consent_record_means_nothing_sent(server, sim):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        vm = LoyaltyViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), BrokenLog(), WHERE)
        await sign_up(vm)
    assert ("POST", "/api/v2/loyalty") not in paths(sim)
    assert "could not write the consent down, so nothing was sent" in vm.message[1]


@pytest.mark.asyncio
async def test_started_from_the_widget_a_repeated_lookup_replaces_the_last(vm, server, sim):
    server.inject("hang", path_prefix="/api/v2/loyalty/lookup")
    vm.start_check_status(DEMO_PHONE)
    assert await asyncio.to_thread(server.wait_hanging, 1)
    assert vm.busy == "Asking AIQ about ***-***-4567…"
    busy = Emissions(vm.busy_changed)
    vm.start_check_status(NEW_PHONE)  # the first (hung) look-up is cancelled
    await vm.wait_idle()
    server.release()
    assert vm.status_text == "***-***-1212 is not a member yet: sign them up?" and vm.busy == ""
    assert busy.args[-1] == ("",)


@pytest.mark.asyncio
async def test_canada_uses_club_program(server):
    async with httpx.AsyncClient() as http:
        vm = LoyaltyViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), None,
                              CounterInfo("Green Leaf", "CA"))
    assert "Green Leaf club program" in vm.consent_text and "rewards" not in vm.consent_text


@pytest.mark.asyncio
async def test_no_brand_means_no_sign_up_and_says_where_to_fix_it(server, sim):
    async with httpx.AsyncClient() as http:
        vm = LoyaltyViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), None, CounterInfo(""))
        await sign_up(vm)
    assert vm.consent_text == "" and "store settings" in vm.message[1] and sim.requests == []
    assert not vm.can_sign_up(NEW_PHONE, consent_given=True)
