"""How the AIQ client reads answers, over real HTTP to the simulator (and a raw server) on
127.0.0.1: wrong PINs in every shape, definite refusals versus unknown outcomes for the calls
that move points, where the API key may go, scrubbed messages, Retry-After and the deadline."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain import errors
from budtender_app.domain.loyalty import SignUp
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_PHONE, DEMO_UID, WRONG_PIN_SHAPES, Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.services.raw_http import raw_server, read_request, trickler

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"AIQ (PUT|POST) took longer than")

PHONE = parse_phone(DEMO_PHONE)
REDEEM = "/api/v1.1/discount/redeem"
ADJUST = "/api/v1.1/adjust"
VIEW = "/api/v2/view"
KEY = "k3y-Secret-Value-77"


@pytest.fixture
def server():
    with SimulatorServer(Simulator(api_key=KEY, pin_source=lambda: "2468")) as srv:
        yield srv


@pytest.fixture
def other():
    """A second AIQ-like server: where the key must never go."""
    with SimulatorServer(Simulator(api_key=KEY)) as srv:
        yield srv


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


def client_for(http, base_url, **kw) -> AiqClient:
    return AiqClient(http, AiqConfig(base_url, KEY, DEMO_UID), **kw)


def ten_off_url(server) -> str:
    return server.simulator.redemption_url(DEMO_PHONE, "102")


# -- E1/E2: every wrong-PIN shape is a wrong PIN; only the key's shapes are the key ----------------

@pytest.mark.asyncio
@pytest.mark.parametrize("shape", sorted(WRONG_PIN_SHAPES))
async def test_every_wrong_pin_shape_is_a_wrong_pin(server, http, shape):
    server.simulator.answer_with("wrong_pin", *WRONG_PIN_SHAPES[shape])
    client = client_for(http, server.url)
    await client.verify_wallet(PHONE)
    with pytest.raises(errors.WrongPin) as info:
        await client.view_wallet(PHONE, "1357")
    assert "1357" not in info.value.detail and DEMO_PHONE not in info.value.detail
    assert (await client.view_wallet(PHONE, "2468")).points == 1500  # the right one still opens it


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "body"), [
    (403, None),
    (403, {"success": False, "message": "Invalid code"}),
    (401, {"success": False, "message": "Please provide a valid API key"}),
    (400, {"errors": [{"message": "Invalid API key"}]}),
])
async def test_only_a_403_or_a_message_about_the_key_is_the_key_on_view_wallet(server, http, status, body):
    client = client_for(http, server.url)
    server.inject(status, path_prefix=VIEW, body=body)
    with pytest.raises(errors.AuthRejected):
        await client.view_wallet(PHONE, "2468")


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_on_view_wallet_is_not_a_wrong_pin_and_not_followed(server, other, http, status):
    client = client_for(http, server.url)
    server.inject(status, path_prefix=VIEW, headers={"Location": other.url + "/api/v2/view/contact/wallet"})
    with pytest.raises(errors.BadResponse) as info:
        await client.view_wallet(PHONE, "2468")
    assert not isinstance(info.value, errors.WrongPin) and f"HTTP {status}" in str(info.value)
    assert other.simulator.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["401 message", "401 empty", "404 errors", "404 html", "400 text"])
async def test_any_4xx_on_verify_is_no_such_member(server, http, shape):
    server.simulator.answer_with("unknown_member", *WRONG_PIN_SHAPES[shape])
    with pytest.raises(errors.UnknownShopper, match=r"\*\*\*-\*\*\*-0000"):
        await client_for(http, server.url).verify_wallet(parse_phone("5550000000"))


@pytest.mark.asyncio
async def test_a_wrong_key_on_verify_is_the_key(server, http):
    with pytest.raises(errors.AuthRejected) as info:
        await AiqClient(http, AiqConfig(server.url, "wrong-key", DEMO_UID)).verify_wallet(PHONE)
    assert info.value.detail == "Invalid API key"


# -- E4/E10: only a definite refusal is "refused" ---------------------------------------------

POINTS_ANSWERS = [
    # status, body (None: no body), what the client raises
    (400, {"success": False, "message": "Discount expired"}, errors.Rejected),
    (404, {"success": False, "errors": [{"message": "Unknown discount"}]}, errors.Rejected),
    (410, {"success": False}, errors.Rejected),
    (422, {"message": "Not redeemable"}, errors.Rejected),
    (200, {"success": False, "message": "Discount not available"}, errors.Rejected),
    (401, None, errors.AuthRejected),
    (403, {"success": False, "message": "Invalid API key"}, errors.AuthRejected),
    (429, None, errors.RateLimited),
    (301, {"success": False}, errors.OutcomeUnknown),
    (302, None, errors.OutcomeUnknown),
    (303, {"success": False, "message": "See other"}, errors.OutcomeUnknown),
    (304, None, errors.OutcomeUnknown),
    (307, None, errors.OutcomeUnknown),
    (308, None, errors.OutcomeUnknown),
    (408, {"success": False}, errors.OutcomeUnknown),
    (409, {"success": False, "message": "Already redeemed"}, errors.OutcomeUnknown),
    (425, {"success": False}, errors.OutcomeUnknown),
    (400, None, errors.OutcomeUnknown),  # no AIQ body: not a definite refusal
    (404, b"<html>Not Found</html>", errors.OutcomeUnknown),
    (202, {"success": True}, errors.OutcomeUnknown),
    (200, b"<html>captive portal</html>", errors.OutcomeUnknown),
    (500, {"success": False}, errors.OutcomeUnknown),
    (502, b"<html>Bad Gateway</html>", errors.OutcomeUnknown),
]


def exact(error):
    """pytest.raises matches subclasses; these tests mean the class itself."""
    return lambda info: type(info.value) is error


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "body", "error"), POINTS_ANSWERS)
async def test_what_a_redemption_answer_means(server, http, status, body, error):
    server.inject(status, path_prefix=REDEEM, body=body)
    with pytest.raises(error) as info:
        await client_for(http, server.url).redeem(ten_off_url(server), "T-1")
    assert type(info.value) is error


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "body", "error"), POINTS_ANSWERS)
async def test_what_a_points_adjustment_answer_means(server, http, status, body, error):
    server.inject(status, path_prefix=ADJUST, body=body)
    with pytest.raises(error) as info:
        await client_for(http, server.url).adjust_points(server.simulator.contact_id_of(DEMO_PHONE), 250, "back")
    assert type(info.value) is error


@pytest.mark.asyncio
async def test_a_303_after_aiq_took_the_points_is_unknown_and_its_location_never_gets_the_key(server, other, http):
    # The simulator redeems, then a proxy turns the answer into a 303 to somewhere else.
    server.inject("drop_after", path_prefix="/never")  # (faults queue; this one is not met)
    server.inject(303, path_prefix=REDEEM, headers={"Location": other.url + "/api/v1.1/discount/redeem/x"})
    async with httpx.AsyncClient(timeout=5.0, follow_redirects=True) as following:  # even so
        with pytest.raises(errors.OutcomeUnknown, match="do not redeem again"):
            await client_for(following, server.url).redeem(ten_off_url(server), "T-1")
    assert other.simulator.requests == []


# -- where the key may go --------------------------------------------------------------------

@pytest.mark.asyncio
async def test_the_key_never_goes_to_another_port_of_the_same_host(server, other, http):
    url = other.simulator.redemption_url(DEMO_PHONE, "102")  # http://127.0.0.1:<other port>/...
    with pytest.raises(errors.RefusedToSend, match="does not point at AIQ"):
        await client_for(http, server.url).redeem(url, "T-1")
    assert other.simulator.requests == [] and server.simulator.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize("change", [
    lambda url, port: url.replace("http://", "https://"),
    lambda url, port: url.replace("127.0.0.1", "localhost"),
    lambda url, port: url.replace(f":{port}", f":{port}@127.0.0.1:{port}"),
])
async def test_the_key_goes_only_to_the_base_urls_scheme_host_and_port(server, http, change):
    url = change(ten_off_url(server), server.port)
    with pytest.raises(errors.RefusedToSend):
        await client_for(http, server.url).redeem(url, "T-1")
    assert server.simulator.requests == []


@pytest.mark.asyncio
async def test_a_default_port_written_out_is_the_same_origin(http):
    seen = []

    def answer(request):
        seen.append((str(request.url), request.headers.get("x-apikey")))
        return httpx.Response(200, json={"success": True, "data": {"id": "r-9"}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as mock:
        client = client_for(mock, "https://lab.alpineiq.com")
        assert await client.redeem("https://lab.alpineiq.com:443/api/v1.1/discount/redeem/1/2/tok", "T-1") == "r-9"
        with pytest.raises(errors.RefusedToSend):
            await client.redeem("http://lab.alpineiq.com:443/api/v1.1/discount/redeem/1/2/tok", "T-1")
    assert seen == [("https://lab.alpineiq.com/api/v1.1/discount/redeem/1/2/tok/T-1", KEY)]


@pytest.mark.asyncio
async def test_a_base_url_that_cannot_name_a_server_sends_nothing(http):
    for base in ("lab.alpineiq.com", "https://user@lab.alpineiq.com", "https://lab.alpineiq.com:99999"):
        with pytest.raises(errors.RefusedToSend):
            await client_for(http, base).verify_wallet(PHONE)


# -- AIQ's words are scrubbed on every call ------------------------------------------------------

def echo(*parts: str) -> dict:
    text = "echo " + " | ".join(parts)
    return {"success": False, "message": text, "errors": [{"message": text}]}


def assert_clean(exc: errors.AiqError, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in str(exc) and secret not in exc.detail, secret
    assert "echo" in exc.detail  # AIQ's own words are still shown, scrubbed


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 409, 403, 500])
async def test_a_redemption_answer_echoing_the_key_and_link_is_scrubbed(server, http, status):
    url = ten_off_url(server)
    token = url.rsplit("/", 1)[-1]
    server.inject(status, path_prefix=REDEEM, body=echo(KEY, url + "/T-1", token))
    with pytest.raises(errors.AiqError) as info:
        await client_for(http, server.url).redeem(url, "T-1")
    assert_clean(info.value, KEY, url, token)


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 409])
async def test_a_points_adjustment_answer_echoing_the_key_is_scrubbed(server, http, status):
    server.inject(status, path_prefix=ADJUST, body=echo(KEY))
    with pytest.raises(errors.AiqError) as info:
        await client_for(http, server.url).adjust_points(server.simulator.contact_id_of(DEMO_PHONE), 5, "n")
    assert_clean(info.value, KEY)


EMAIL = "kim@example.com"
#: (path prefix, the call, what it sent that AIQ might echo)
CALLS = {
    "verify": ("/api/v2/verify", lambda c: c.verify_wallet(PHONE), (KEY, DEMO_PHONE)),
    "view": (VIEW, lambda c: c.view_wallet(PHONE, "2468"), (KEY, DEMO_PHONE, "2468")),
    "wallet": ("/api/v2/wallet", lambda c: c.wallet(PHONE), (KEY, DEMO_PHONE)),
    "sign_up": ("/api/v2/loyalty", lambda c: c.sign_up(SignUp(PHONE, email=EMAIL)), (KEY, DEMO_PHONE, EMAIL)),
    "status": ("/api/v", lambda c: c.loyalty_status(PHONE), (KEY, DEMO_PHONE)),
    "search": ("/api/v1.1/piis", lambda c: c.find_contact(EMAIL), (KEY, EMAIL)),
    "report": ("/api/v1.1/redemptions", lambda c: c.redemptions_between(0, 10), (KEY,)),
    "check": ("/api/v1.1/piis", lambda c: c.check_connection(), (KEY,)),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403])
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_every_call_scrubs_what_it_sent_from_aiqs_words(server, http, call, status):
    path, send, secrets = CALLS[call]
    server.inject(status, path_prefix=path, body=echo(*secrets), count=2)
    with pytest.raises(errors.AiqError) as info:
        await send(client_for(http, server.url))
    assert_clean(info.value, *secrets)


# -- Retry-After -------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_a_429_carries_aiqs_retry_after(server, http):
    client = client_for(http, server.url)
    server.inject(429, path_prefix=REDEEM, headers={"Retry-After": "7"})
    with pytest.raises(errors.RateLimited) as info:
        await client.redeem(ten_off_url(server), "T-1")
    assert info.value.retry_after == 7.0
    server.inject(429, path_prefix=ADJUST, headers={"Retry-After": "12"})
    with pytest.raises(errors.RateLimited) as info:
        await client.adjust_points(server.simulator.contact_id_of(DEMO_PHONE), 5, "n")
    assert info.value.retry_after == 12.0
    server.inject(429, path_prefix=VIEW)
    with pytest.raises(errors.RateLimited) as info:
        await client.view_wallet(PHONE, "2468")
    assert info.value.retry_after is None


# -- the deadline --------------------------------------------------------------------------------

@pytest.mark.asyncio
@pytest.mark.timeout(20)
async def test_a_redemption_answer_that_trickles_ends_unknown_at_the_deadline():
    seen: list[bytes] = []
    loop = asyncio.get_running_loop()
    async with raw_server(trickler(0.05, seen)) as url, httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        client = client_for(http, url, deadline=0.5)
        started = loop.time()
        with pytest.raises(errors.OutcomeUnknown, match="do not redeem again"):
            await client.redeem(url + "/api/v1.1/discount/redeem/1/2/tok", "T-1")
        elapsed = loop.time() - started
        with pytest.raises(errors.ServerError):  # a lookup: retryable, it changed nothing
            await client.view_wallet(PHONE, "2468")
    assert len(seen) == 2 and seen[0].startswith(b"PUT /api/v1.1/discount/redeem/1/2/tok/T-1 ")
    assert 0.4 <= elapsed < 5.0  # the deadline (0.5 s; Qt timers are ms-coarse) ended it, not httpx's 10 s read timeout


def test_the_deadline_comes_from_the_environment_when_set(monkeypatch):
    from budtender_app.services.aiq_client import DEADLINE_ENV, DEFAULT_DEADLINE, default_deadline

    monkeypatch.setenv(DEADLINE_ENV, "2.5")
    assert default_deadline() == 2.5
    for bad in ("0", "-1", "inf", "nan", "soon", ""):
        monkeypatch.setenv(DEADLINE_ENV, bad)
        assert default_deadline() == DEFAULT_DEADLINE


@pytest.mark.asyncio
async def test_a_request_that_never_reads_the_request_is_still_sent_and_unknown():
    # A server that reads the request and then says nothing: the deadline, not a hang.
    async def silent(reader, writer):
        await read_request(reader)
        await asyncio.Event().wait()

    async with raw_server(silent) as url, httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        with pytest.raises(errors.OutcomeUnknown):
            await client_for(http, url, deadline=0.3).adjust_points("C1", 5, "n")
