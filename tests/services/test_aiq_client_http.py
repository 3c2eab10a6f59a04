"""The AIQ client against the simulator served over real HTTP on 127.0.0.1.

Paths, headers, bodies, the URL join, and how every failure maps to a cashier's words.
"""

from __future__ import annotations

import socket

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain import errors
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig, scrub
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"AIQ (PUT|POST) failed after sending: (ReadTimeout|RemoteProtocolError)")

PHONE = parse_phone(DEMO_PHONE)
FIVE_OFF = "d-5off"


@pytest.fixture
def server():
    sim = Simulator(pin_source=lambda: "2468")
    with SimulatorServer(sim) as srv:
        yield srv


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0, connect=2.0)) as client:
        yield client


def client_for(http, server, api_key=DEMO_API_KEY, **kw) -> AiqClient:
    return AiqClient(http, AiqConfig(server.url, api_key, DEMO_UID, **kw))


def discount_url(server, name_part: str) -> tuple[str, str]:
    for d in sim_wallet(server)["discountTemplates"]:
        if name_part in d["name"]:
            return d["id"], d["redemptionURL"]
    raise AssertionError(name_part)


def sim_wallet(server):
    status, body = server.simulator.handle(
        "POST", "/api/v2/wallet", {"X-APIKEY": DEMO_API_KEY}, b'{"phone":"%s"}' % DEMO_PHONE.encode())
    assert status == 200
    return body["data"]


@pytest.mark.asyncio
async def test_verify_and_view_send_what_aiq_expects(server, http):
    client = client_for(http, server)
    await client.verify_wallet(PHONE)
    wallet = await client.view_wallet(PHONE, "2468")
    verify, view = server.simulator.requests[-2:]
    assert (verify.method, verify.path, verify.json) == ("POST", "/api/v2/verify/contact/wallet", {"phone": DEMO_PHONE})
    assert (view.path, view.json) == ("/api/v2/view/contact/wallet", {"phone": DEMO_PHONE, "code": "2468"})
    assert verify.api_key_ok and view.api_key_ok
    assert wallet.points == 1500 and len(wallet.discounts) >= 6
    assert all(d.redemption_url.startswith(server.url) for d in wallet.discounts)


@pytest.mark.asyncio
@pytest.mark.parametrize("trailing_slash", [False, True])
async def test_redeem_appends_the_transaction_id_once(server, http, trailing_slash):
    client = client_for(http, server)
    discount_id, url = discount_url(server, "$10 off")
    if trailing_slash:
        url += "/"
    redemption_id = await client.redeem(url, "T 7/8?x")
    put = server.simulator.requests[-1]
    assert put.method == "PUT" and put.api_key_ok
    assert "//" not in put.path.removeprefix("/")
    assert server.simulator.redemptions[-1].transaction_id == "T 7/8?x"
    assert server.simulator.redemptions[-1].discount_id == discount_id
    assert redemption_id == server.simulator.redemptions[-1].id


@pytest.mark.asyncio
async def test_unknown_phone_and_wrong_pin_have_words_for_the_cashier(server, http):
    client = client_for(http, server)
    with pytest.raises(errors.UnknownShopper, match=r"\*\*\*-\*\*\*-0000"):
        await client.verify_wallet(parse_phone("5550000000"))
    await client.verify_wallet(PHONE)
    with pytest.raises(errors.WrongPin) as info:
        await client.view_wallet(PHONE, "1111")
    assert "1111" not in str(info.value) and "1111" not in info.value.detail


@pytest.mark.asyncio
async def test_a_rejected_api_key_says_call_a_manager(server, http):
    with pytest.raises(errors.AuthRejected, match="Call a manager"):
        await client_for(http, server, api_key="wrong-key").verify_wallet(PHONE)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "error"),
    [(500, errors.ServerError), (503, errors.ServerError), (429, errors.RateLimited),
     ("hang", errors.ServerError), ("drop_before", errors.ServerError), ("garbage", errors.BadResponse),
     ("truncated", errors.ServerError)],
)
async def test_failures_on_lookups_are_retryable_words(server, http, fault, error):
    client = client_for(http, server)
    await client.verify_wallet(PHONE)
    server.inject(fault, path_prefix="/api/v2/view")
    with pytest.raises(error) as info:
        await client.view_wallet(PHONE, "2468")
    assert info.value.retryable


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "error", "redeemed_at_aiq"),
    [(500, errors.OutcomeUnknown, 0), ("hang", errors.OutcomeUnknown, 0),
     ("drop_after", errors.OutcomeUnknown, 1), ("drop_before", errors.OutcomeUnknown, 0),
     (400, errors.Rejected, 0), (429, errors.RateLimited, 0)],
)
async def test_a_redemption_without_an_answer_is_unknown_never_failed(server, http, fault, error, redeemed_at_aiq):
    client = client_for(http, server)
    _, url = discount_url(server, "$10 off")
    server.inject(fault, path_prefix="/api/v1.1/discount/redeem")
    with pytest.raises(error):
        await client.redeem(url, "T-1")
    assert len(server.simulator.redemptions) == redeemed_at_aiq


@pytest.mark.asyncio
async def test_nothing_listening_is_unreachable_and_safe_to_retry(http):
    with socket.socket() as probe:  # a port with nobody on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AiqClient(http, AiqConfig(f"http://127.0.0.1:{port}", DEMO_API_KEY, DEMO_UID))
    with pytest.raises(errors.Unreachable):
        await client.verify_wallet(PHONE)
    with pytest.raises(errors.Unreachable):
        await client.redeem(f"http://127.0.0.1:{port}/api/v1.1/discount/redeem/1/2/3", "T-1")


@pytest.mark.asyncio
async def test_the_api_key_is_never_sent_to_another_host(server, http):
    client = client_for(http, server)
    with pytest.raises(errors.Rejected, match="does not point at AIQ"):
        await client.redeem("https://evil.example/api/v1.1/discount/redeem/1/2/3", "T-1")
    assert not any(r.method == "PUT" for r in server.simulator.requests)


@pytest.mark.asyncio
async def test_a_409_on_a_used_discount_is_unknown_with_aiqs_message(server, http):
    # "Already redeemed" (409) may be our own earlier, unanswered send: never "no points taken".
    client = client_for(http, server)
    _, url = discount_url(server, "$10 off")
    await client.redeem(url, "T-1")
    with pytest.raises(errors.OutcomeUnknown) as info:
        await client.redeem(url, "T-2")
    assert info.value.detail == "Already redeemed"


@pytest.mark.asyncio
async def test_check_connection_tells_a_wrong_uid_from_a_wrong_key(server, http):
    await client_for(http, server).check_connection()
    with pytest.raises(errors.NotFound):
        await AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, "999")).check_connection()
    with pytest.raises(errors.AuthRejected):
        await client_for(http, server, api_key="nope").check_connection()


def test_scrub_masks_phones_and_secrets():
    assert scrub("no contact 5551234567 with code 2468", "2468") == "no contact ***4567 with code ***"
