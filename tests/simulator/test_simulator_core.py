"""The simulated AIQ's rules, called directly: what demo mode and the client tests rely on."""

from __future__ import annotations

import json
import re
import threading
from urllib.parse import quote, urlsplit

import httpx
import pytest

from budtender_app.simulator.core import (
    DEMO_API_KEY,
    DEMO_PHONE,
    DEMO_PHONE_HIDDEN,
    DEMO_PHONE_NEW,
    DEMO_UID,
    ENVELOPE,
    WRONG_PIN_SHAPES,
    Simulator,
)
from budtender_app.simulator.transport import SimulatorTransport

T0 = 1_800_000_000.0
KEY = {"X-APIKEY": DEMO_API_KEY}
TEMPLATE_FIELDS = {
    "id", "posDiscountID", "name", "pageTitle", "avatar", "inStoreRedemption", "redemptionURL",
    "pointsDeduction", "dollarValue", "percentageValue", "reusable", "available", "expiration",
    "tierDiscount", "internalName", "desc",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sim(clock):
    pins = iter(f"{n:04d}" for n in range(1111, 10_000, 1111))
    return Simulator(pin_source=lambda: next(pins), clock=clock)


def call(sim, method, target, body=None, headers=KEY):
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return sim.handle(method, target, headers, raw)


def open_wallet(sim, phone=DEMO_PHONE):
    assert call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": phone})[0] == 200
    status, body = call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": phone, "code": sim.last_pin(phone)})
    assert status == 200, body
    return body["data"]


def discount(wallet, name):
    return next(t for t in wallet["discountTemplates"] if t["name"] == name)


def redeem(sim, template, transaction_id="TX-1", headers=KEY):
    url = template["redemptionURL"]
    target = urlsplit(url).path + ("/" + quote(transaction_id, safe="") if transaction_id is not None else "")
    return call(sim, "PUT", target, headers=headers)


# -- PINs ---------------------------------------------------------------------------------

def test_a_texted_pin_opens_the_wallet_and_is_announced(sim):
    texted = []
    sim.on_pin_sent = lambda phone, pin: texted.append((phone, pin))
    assert call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE}) == (
        200, {"success": True, "data": {"sent": True}}
    )
    assert texted == [(DEMO_PHONE, "1111")]
    wallet = open_wallet(sim)
    assert wallet["loyaltyPoints"] == 1_500
    assert wallet["hidePointsInWallet"] is False


def test_a_new_pin_replaces_the_old_one_which_stays_good_for_repeated_views(sim):
    call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE})
    call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE})
    old = call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": "1111"})
    assert old[0] == 400 and old[1]["message"] == "Invalid or expired code"
    for _ in range(2):
        assert call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": "2222"})[0] == 200


@pytest.mark.parametrize(("age", "status"), [(599, 200), (600, 400)])
def test_a_pin_expires_after_ten_minutes(sim, clock, age, status):
    call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE})
    clock.now += age
    assert call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": "1111"})[0] == status


@pytest.mark.parametrize("code", [1111, None, "1112", ""])
def test_a_wrong_or_non_string_code_is_refused(sim, code):
    call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE})
    status, body = call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": code})
    assert status == 400 and body["success"] is False and body["errors"][0]["message"]


@pytest.mark.parametrize(("phone", "message"), [
    ("5550000000", "Contact not found"),
    ("555123456", "Phone must be 10 digits"),
    ("+15551234567", "Phone must be 10 digits"),
    (5551234567, "Phone must be 10 digits"),
])
def test_verify_refuses_strangers_and_malformed_phones_without_texting(sim, phone, message):
    sim.on_pin_sent = lambda *args: pytest.fail("no PIN may be texted")
    status, body = call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": phone})
    assert (status, body["message"]) == (400, message)


# -- wallets ------------------------------------------------------------------------------

def test_the_demo_wallet_uses_aiq_field_names_and_covers_each_rule(sim, clock):
    wallet = open_wallet(sim)
    templates = wallet["discountTemplates"]
    assert len(templates) == 8
    assert wallet["tier"] == "Gold"  # an extra field clients must tolerate
    url_shape = re.compile(r"https://simulator\.invalid/api/v1\.1/discount/redeem/1234/\w+/[\w-]+")
    for template in templates:
        assert template.keys() >= TEMPLATE_FIELDS
        assert url_shape.fullmatch(template["redemptionURL"])
    assert discount(wallet, "15% off everything")["percentageValue"] == 15
    assert discount(wallet, "15% off everything")["dollarValue"] == 0
    assert discount(wallet, "$20 off edibles")["available"] is False
    assert discount(wallet, "Summer sale $15 off")["expiration"] < clock.now
    assert discount(wallet, "VIP $50 off")["pointsDeduction"] > wallet["loyaltyPoints"]
    assert discount(wallet, "Online orders: $5 off")["inStoreRedemption"] is False
    assert discount(wallet, "$10 off your order")["expiration"] > clock.now


def test_a_hidden_points_wallet_reports_zero_but_keeps_the_balance(sim):
    wallet = open_wallet(sim, DEMO_PHONE_HIDDEN)
    assert (wallet["loyaltyPoints"], wallet["hidePointsInWallet"]) == (0, True)
    assert len(wallet["discountTemplates"]) == 2
    assert sim.points_of(DEMO_PHONE_HIDDEN) == 800


def test_the_no_pin_wallet_serves_the_new_member_and_refuses_strangers(sim):
    status, body = call(sim, "POST", "/api/v2/wallet", {"phone": DEMO_PHONE_NEW})
    assert status == 200
    assert [(t["name"], t["pointsDeduction"]) for t in body["data"]["discountTemplates"]] == [("$5 welcome gift", 0)]
    assert call(sim, "POST", "/api/v2/wallet", {"email": "jordan@example.com"})[0] == 200
    assert call(sim, "POST", "/api/v2/wallet", {"phone": "5550000000"})[0] == 400


def test_a_custom_shopper_can_carry_malformed_templates(sim):
    raw = [{"name": "no id"}, "not a dict", {"id": 7, "name": "points as text", "pointsDeduction": "lots"}]
    sim.add_shopper("5550001111", points=50, discounts=[{"name": "Good one", "pointsDeduction": 10}],
                    raw_templates=raw, wallet_extra={"loyaltyPoints": "fifty"})
    wallet = call(sim, "POST", "/api/v2/wallet", {"phone": "5550001111"})[1]["data"]
    assert wallet["discountTemplates"][1:] == raw
    assert wallet["loyaltyPoints"] == "fifty"
    good = wallet["discountTemplates"][0]
    assert redeem(sim, good)[0] == 200
    assert sim.points_of("5550001111") == 40


# -- redeeming ----------------------------------------------------------------------------

def test_redeeming_takes_the_points_at_once_and_records_the_transaction(sim, clock):
    ten_off = discount(open_wallet(sim), "$10 off your order")
    status, body = redeem(sim, ten_off, transaction_id="POS 17/3?#x")
    assert (status, body) == (200, {"success": True, "data": {"id": "r-0001"}})
    assert sim.points_of(DEMO_PHONE) == 1_250
    [record] = sim.redemptions
    assert (record.id, record.uid, record.discount_id, record.transaction_id, record.points, record.created) == (
        "r-0001", DEMO_UID, ten_off["id"], "POS 17/3?#x", 250, T0
    )
    assert record.contact_id == sim.contact_id_of(DEMO_PHONE)


def test_a_single_use_discount_leaves_the_wallet_and_a_second_redeem_is_409(sim):
    ten_off = discount(open_wallet(sim), "$10 off your order")
    redeem(sim, ten_off)
    status, body = redeem(sim, ten_off, transaction_id="TX-2")
    assert (status, body["message"]) == (409, "Already redeemed")
    assert sim.points_of(DEMO_PHONE) == 1_250
    assert "$10 off your order" not in [t["name"] for t in open_wallet(sim)["discountTemplates"]]


def test_a_reusable_discount_stays_and_can_be_redeemed_again(sim):
    five_off = discount(open_wallet(sim), "$5 off any purchase")
    assert redeem(sim, five_off, "TX-1")[0] == redeem(sim, five_off, "TX-2")[0] == 200
    assert sim.points_of(DEMO_PHONE) == 1_300
    assert discount(open_wallet(sim), "$5 off any purchase")


@pytest.mark.parametrize(("name", "status", "message"), [
    ("VIP $50 off", 400, "Insufficient points"),
    ("$20 off edibles", 400, "Discount not available"),
    ("Summer sale $15 off", 400, "Discount expired"),
    ("Online orders: $5 off", 400, "Discount is for online orders only"),
])
def test_a_refused_redemption_takes_no_points(sim, name, status, message):
    answer = redeem(sim, discount(open_wallet(sim), name))
    assert (answer[0], answer[1]["message"]) == (status, message)
    assert sim.points_of(DEMO_PHONE) == 1_500 and sim.redemptions == []


@pytest.mark.parametrize("mangle", [
    lambda uid, discount_id, token: f"9999/{discount_id}/{token}/TX-1",  # another account's UID
    lambda uid, discount_id, token: f"{uid}/{discount_id}/not-a-token/TX-1",
    lambda uid, discount_id, token: f"{uid}/103/{token}/TX-1",  # the token of another discount
    lambda uid, discount_id, token: f"{uid}/{discount_id}/{token}/TX/1",  # "/" left unencoded
])
def test_a_redemption_url_that_is_not_ours_is_404(sim, mangle):
    path = urlsplit(discount(open_wallet(sim), "$10 off your order")["redemptionURL"]).path
    uid, discount_id, token = path.split("/")[-3:]
    assert call(sim, "PUT", "/api/v1.1/discount/redeem/" + mangle(uid, discount_id, token))[0] == 404
    assert sim.points_of(DEMO_PHONE) == 1_500


@pytest.mark.parametrize("suffix", ["", "/"])
def test_a_redemption_without_a_transaction_id_is_refused(sim, suffix):
    path = urlsplit(discount(open_wallet(sim), "$10 off your order")["redemptionURL"]).path + suffix
    status, body = call(sim, "PUT", path)
    assert (status, body["message"]) == (400, "Missing transaction id")
    assert sim.points_of(DEMO_PHONE) == 1_500


def test_concurrent_redemptions_each_take_their_points_once(sim):
    five_off = discount(open_wallet(sim), "$5 off any purchase")
    start = threading.Barrier(8)

    def worker(n):
        start.wait()
        redeem(sim, five_off, f"TX-{n}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sim.points_of(DEMO_PHONE) == 700
    assert len({r.id for r in sim.redemptions}) == 8


# -- auth, routing, bodies ------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {}, {"X-APIKEY": "wrong"}, {"Authorization": "Bearer demo-key"},
    {"X-APIKEY": DEMO_API_KEY, "authorization": "bearer demo-key"},
])
def test_a_missing_or_wrong_key_or_a_bearer_token_is_403_and_the_key_is_never_kept(sim, headers):
    status, body = call(sim, "GET", "/api/v1.1/piis/1234?search=x&limit=1", headers=headers)
    assert (status, body["success"], body["message"]) == (403, False, "Invalid API key")
    assert DEMO_API_KEY not in repr(sim.requests) and "wrong" not in repr(sim.requests)


def test_header_names_are_case_insensitive(sim):
    assert call(sim, "GET", "/api/v1.1/piis/1234?search=x", headers={"x-apikey": DEMO_API_KEY})[0] == 200
    assert sim.requests[-1].api_key_ok is True


def test_unknown_paths_and_malformed_json(sim):
    assert call(sim, "GET", "/api/v3/nothing")[0] == 404
    assert call(sim, "GET", "/api/v2/wallet")[0] == 405
    status, body = call(sim, "POST", "/api/v2/verify/contact/wallet", b"{phone:")
    assert (status, body["message"]) == (400, "Malformed JSON body")


def test_requests_are_recorded_with_the_decoded_path_and_body(sim):
    call(sim, "GET", "/api/v2/loyalty/lookup/alex%40example.com")
    call(sim, "POST", "/api/v2/wallet", {"phone": DEMO_PHONE})
    first, second = sim.requests
    assert (first.method, first.path, first.json, first.fault) == (
        "GET", "/api/v2/loyalty/lookup/alex@example.com", None, None
    )
    assert second.json == {"phone": DEMO_PHONE}


# -- members, points, reconciliation ------------------------------------------------------

def signup(sim, **fields):
    body = {"mobilePhone": "5554443333", "email": "new@example.com", "firstName": "Pat", "lastName": "Doe",
            "favoriteStore": "Main St", "favoriteStoreID": 1, "loyalty": True, "smsoptin": True,
            "emailOptIn": False, **fields}
    return call(sim, "POST", "/api/v2/loyalty", body)


def test_signup_creates_one_member_with_the_welcome_gift_and_never_duplicates(sim):
    status, body = signup(sim)
    assert status == 200 and body["data"]["contactID"] and body["data"]["srcID"]
    assert signup(sim)[1]["data"]["contactID"] == body["data"]["contactID"]
    found = call(sim, "GET", "/api/v1.1/piis/1234?search=5554443333")[1]["data"]["results"]
    assert [c["contactID"] for c in found] == [body["data"]["contactID"]]
    wallet = call(sim, "POST", "/api/v2/wallet", {"phone": "5554443333"})[1]["data"]
    assert wallet["loyaltyPoints"] == 0
    assert [t["name"] for t in wallet["discountTemplates"]] == ["$5 welcome gift"]
    assert signup(sim, mobilePhone=DEMO_PHONE, email="")[1]["data"]["contactID"] == sim.contact_id_of(DEMO_PHONE)


def test_signup_with_an_invalid_phone_stores_it_blank_like_aiq(sim):
    status, body = signup(sim, mobilePhone="12345", email="blank@example.com")
    assert status == 200
    [found] = call(sim, "GET", "/api/v1.1/piis/1234?search=blank@example.com")[1]["data"]["results"]
    assert (found["contactID"], found["mobilePhone"]) == (body["data"]["contactID"], "")


def test_lookup_says_whether_a_phone_or_email_is_a_member(sim):
    assert call(sim, "GET", f"/api/v2/loyalty/lookup/{DEMO_PHONE}")[1]["data"] == {
        "loyalty": True, "contactID": sim.contact_id_of(DEMO_PHONE)
    }
    assert call(sim, "GET", "/api/v2/loyalty/lookup/sam%40example.com")[1]["data"]["loyalty"] is True
    assert call(sim, "GET", "/api/v2/loyalty/lookup/5550000000")[1]["data"] == {"loyalty": False}


def test_piis_is_the_cheap_connection_check(sim):
    assert call(sim, "GET", "/api/v1.1/piis/1234?search=0000&limit=1") == (
        200, {"success": True, "data": {"results": None}}
    )
    assert call(sim, "GET", "/api/v1.1/piis/9999?search=0000&limit=1")[0] == 404


def test_adjusting_points_changes_the_balance_and_is_recorded(sim):
    contact = sim.contact_id_of(DEMO_PHONE)
    path = f"/api/v1.1/adjust/loyaltyPoints/1234/{contact}"
    status, body = call(sim, "PUT", path, {"value": 250, "note": "void TX-1"})
    assert (status, body["data"]["loyaltyPoints"], sim.points_of(DEMO_PHONE)) == (200, 1_750, 1_750)
    assert [(a.value, a.note) for a in sim.adjustments] == [(250, "void TX-1")]
    assert call(sim, "PUT", path, {"value": True})[0] == 400
    assert call(sim, "PUT", "/api/v1.1/adjust/loyaltyPoints/1234/C9999", {"value": 1})[0] == 404


def test_redemptions_in_range_lists_only_those_between_start_and_end(sim, clock):
    wallet = open_wallet(sim)
    redeem(sim, discount(wallet, "$10 off your order"), "TX-1")
    clock.now += 100
    redeem(sim, discount(wallet, "15% off everything"), "TX-2")
    t = int(T0)
    first = call(sim, "GET", f"/api/v1.1/redemptions/1234/{t}/{t + 50}")[1]["data"]
    assert first == [{"id": "r-0001", "discountID": "102", "contactID": sim.contact_id_of(DEMO_PHONE),
                      "transactionID": "TX-1", "pointsDeduction": 250, "created": t}]
    both = call(sim, "GET", f"/api/v1.1/redemptions/1234/{t - 10}/{t + 100}")[1]["data"]
    assert [r["transactionID"] for r in both] == ["TX-1", "TX-2"]
    assert call(sim, "GET", f"/api/v1.1/redemptions/9999/{t}/{t + 50}")[0] == 404
    assert call(sim, "GET", "/api/v1.1/redemptions/1234/yesterday/now")[0] == 400


def test_reset_restores_the_seeded_shoppers(sim):
    redeem(sim, discount(open_wallet(sim), "$10 off your order"))
    sim.reset()
    assert sim.points_of(DEMO_PHONE) == 1_500
    assert sim.requests == [] and sim.redemptions == [] and sim.last_pin(DEMO_PHONE) is None


def test_an_unseeded_simulator_knows_nobody(clock):
    bare = Simulator(seed=False, clock=clock)
    assert call(bare, "POST", "/api/v2/wallet", {"phone": DEMO_PHONE})[0] == 400


# -- the in-process transport demo mode uses ------------------------------------------------

@pytest.mark.asyncio
async def test_the_transport_answers_httpx_like_aiq_over_http(sim):
    async with httpx.AsyncClient(transport=SimulatorTransport(sim), base_url=sim.base_url, headers=KEY) as client:
        assert (await client.post("/api/v2/verify/contact/wallet", json={"phone": DEMO_PHONE})).status_code == 200
        code = sim.last_pin(DEMO_PHONE)
        view = await client.post("/api/v2/view/contact/wallet", json={"phone": DEMO_PHONE, "code": code})
        ten_off = discount(view.json()["data"], "$10 off your order")
        put = await client.put(ten_off["redemptionURL"] + "/" + quote("A/B 1", safe=""))
        assert put.json() == {"success": True, "data": {"id": "r-0001"}}
        assert (await client.get("/api/v1.1/piis/1234", headers={"X-APIKEY": "nope"})).status_code == 403
    assert sim.redemptions[0].transaction_id == "A/B 1"
    assert sim.points_of(DEMO_PHONE) == 1_250


# -- refusals in the shapes seen in the wild ------------------------------------------------------

@pytest.mark.parametrize("shape", sorted(WRONG_PIN_SHAPES))
def test_a_wrong_pin_can_be_answered_in_every_shape_seen_and_the_right_one_still_opens(sim, shape):
    status, body = WRONG_PIN_SHAPES[shape]
    sim.answer_with("wrong_pin", status, body)
    call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE})
    answer = call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": "0000"})
    expected = {"success": False, "message": "Invalid or expired code",
                "errors": [{"message": "Invalid or expired code"}]} if body is ENVELOPE else body
    assert answer == (status, expected)
    assert call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": 1111})[0] == status
    assert open_wallet(sim)["contactID"] == sim.contact_id_of(DEMO_PHONE)


def test_an_unknown_member_can_be_answered_otherwise_and_the_shape_survives_a_reset(sim):
    sim.answer_with("unknown_member", 404, None)
    sim.reset()
    assert call(sim, "POST", "/api/v2/verify/contact/wallet", {"phone": "5550000000"}) == (404, None)
    assert call(sim, "POST", "/api/v2/wallet", {"email": "nobody@example.com"}) == (404, None)
    assert call(sim, "POST", "/api/v2/view/contact/wallet", {"phone": "5550000000", "code": "1"})[0] == 400


@pytest.mark.parametrize(("case", "status"),
                         [("wrong", 400), ("wrong_pin", 200), ("wrong_pin", 500), ("wrong_pin", "401")])
def test_only_known_cases_and_4xx_statuses_can_be_set(sim, case, status):
    with pytest.raises(ValueError):
        sim.answer_with(case, status)


@pytest.mark.asyncio
async def test_a_raw_body_goes_through_the_in_process_transport_as_text(sim):
    sim.answer_with("wrong_pin", *WRONG_PIN_SHAPES["404 html"])
    async with httpx.AsyncClient(transport=SimulatorTransport(sim), base_url=sim.base_url, headers=KEY) as client:
        await client.post("/api/v2/verify/contact/wallet", json={"phone": DEMO_PHONE})
        answer = await client.post("/api/v2/view/contact/wallet", json={"phone": DEMO_PHONE, "code": "2"})
    assert (answer.status_code, answer.headers["content-type"]) == (404, "text/html")
    assert answer.content == WRONG_PIN_SHAPES["404 html"][1]
