"""The AIQ client's plumbing with httpx.MockTransport: transport failures mapped to the cashier's
words, the rate limiter, the environment knobs, and the odd answers real HTTP cannot easily give."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC

import httpx
import pytest

from budtender_app.domain import errors
from budtender_app.domain.phone import parse_phone
from budtender_app.services import aiq_client
from budtender_app.services.aiq_client import (
    DEFAULT_TIMEOUT,
    READ_TIMEOUT_ENV,
    AiqClient,
    AiqConfig,
    RateLimiter,
    default_timeout,
    scrub,
)

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"WARNING budtender_app\.services\.aiq_client: AIQ (PUT|POST) failed",
    r"AIQ wallet could not be read: TypeError",
)

BASE = "https://lab.alpineiq.com"
URL = BASE + "/api/v1.1/discount/redeem/1234/d1/tok-abcdef"
PHONE = parse_phone("5551234567")


def run(coro_fn, handler, **kw):
    """Run ``coro_fn(client)`` on a fresh loop with ``handler`` answering every request."""

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            return await coro_fn(AiqClient(http, AiqConfig(BASE, "key-123456", "1234"), **kw))

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def raising(exc: Exception):
    def handler(request):
        raise exc
    return handler


def answering(status: int, body: object = None, **kw):
    def handler(request):
        return httpx.Response(status, json=body, **kw) if body is not None else httpx.Response(status, **kw)
    return handler


def certificate_error() -> httpx.ConnectError:
    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed")
        except ssl.SSLError as inner:
            raise httpx.ConnectError("TLS failed") from inner
    except httpx.ConnectError as outer:
        return outer


@pytest.mark.parametrize(("exc", "mutating_error", "read_error"), [
    (httpx.ConnectError("refused"), errors.Unreachable, errors.Unreachable),
    (httpx.ConnectTimeout("slow"), errors.Unreachable, errors.Unreachable),
    (certificate_error(), errors.CertificateProblem, errors.CertificateProblem),
    (httpx.PoolTimeout("pool"), errors.Unreachable, errors.Unreachable),
    (httpx.ReadTimeout("read"), errors.OutcomeUnknown, errors.ServerError),
    (httpx.WriteTimeout("write"), errors.OutcomeUnknown, errors.ServerError),
    (httpx.ReadError("reset"), errors.OutcomeUnknown, errors.ServerError),
    (httpx.RemoteProtocolError("cut"), errors.OutcomeUnknown, errors.ServerError),
    (httpx.DecodingError("gzip"), errors.OutcomeUnknown, errors.BadResponse),
    (httpx.UnsupportedProtocol("odd"), errors.OutcomeUnknown, errors.BadResponse),
    (OSError("odd"), errors.OutcomeUnknown, errors.BadResponse),
])
def test_transport_failures_before_and_after_sending(exc, mutating_error, read_error):
    with pytest.raises(mutating_error):
        run(lambda c: c.redeem(URL, "T-1"), raising(exc))
    with pytest.raises(mutating_error):
        run(lambda c: c.adjust_points("C1", 5, "n"), raising(exc))
    with pytest.raises(read_error):
        run(lambda c: c.view_wallet(PHONE, "2468"), raising(exc))


def test_the_read_timeout_comes_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv(READ_TIMEOUT_ENV, "0.25")
    assert default_timeout().read == 0.25 and default_timeout().connect == DEFAULT_TIMEOUT.connect
    monkeypatch.setenv(READ_TIMEOUT_ENV, "-3")
    assert default_timeout() is DEFAULT_TIMEOUT


def test_the_key_is_not_in_the_config_repr():
    config = AiqConfig(BASE, "key-123456", "1234")
    assert "key-123456" not in repr(config) and client_base(config) == BASE


def client_base(config):
    return AiqClient(httpx.AsyncClient(), config).base_url


def test_scrub_skips_empty_secrets_and_masks_phones():
    assert scrub("code 2468 for 555-123-4567", "", "2468") == "code *** for ***4567"


def test_the_rate_limiter_spaces_requests_and_waits_outside_the_deadline():
    limiter = RateLimiter(rate=1000.0, burst=1)  # a token every millisecond
    seen = []

    def handler(request):
        seen.append(request.url.path)
        return httpx.Response(200, json={"success": True, "data": {"id": "r-1"}})

    async def three(client):
        for _ in range(3):
            await client.redeem(URL, "T-1")

    run(three, handler, limiter=limiter, deadline=5.0)
    assert len(seen) == 3  # the 2nd and 3rd waited ~1 ms each for a token


def test_a_join_that_refuses_the_transaction_id_sends_nothing(monkeypatch):
    def refuse(url, txid):
        raise ValueError("type the ID again")

    monkeypatch.setattr(aiq_client, "redemption_put_url", refuse)
    seen = []
    with pytest.raises(errors.RefusedToSend, match="not sent: type the ID again"):
        run(lambda c: c.redeem(URL, "."), lambda r: seen.append(r) or httpx.Response(200))
    assert seen == []


def test_a_wallet_the_parser_chokes_on_is_a_bad_response(monkeypatch):
    def choke(data):
        raise RecursionError("deep")

    monkeypatch.setattr(aiq_client, "parse_wallet", choke)
    with pytest.raises(errors.BadResponse, match="wallet we cannot read"):
        run(lambda c: c.wallet(PHONE), answering(200, {"success": True, "data": {}}))


@pytest.mark.parametrize("base", ["https://[::1", "https://lab.alpineiq.com:99999", "mailto:x@y", "https:///x"])
def test_a_base_url_httpx_cannot_use_sends_nothing(base):
    seen = []

    async def call(http):
        await AiqClient(http, AiqConfig(base, "k", "1")).verify_wallet(PHONE)

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: seen.append(r))) as http:
            with pytest.raises(errors.RefusedToSend):
                await call(http)

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert seen == []


@pytest.mark.parametrize(("body", "redemption_id"), [
    ({"success": True, "data": {"id": 42}}, "42"),
    ({"success": True, "data": {"redemptionId": "r-3"}}, "r-3"),
    ({"success": True, "data": {"id": True, "redemptionID": ""}, "id": "r-4"}, "r-4"),
    ({"success": True, "data": "r-5", "redemptionID": "r-5"}, "r-5"),
    ({"success": True, "data": {"id": "x" * 500}}, "x" * 100),
    ({"success": True}, ""),
])
def test_aiqs_redemption_id_wherever_it_is(body, redemption_id):
    assert run(lambda c: c.redeem(URL, "T-1"), answering(200, body)) == redemption_id


def test_an_empty_2xx_is_a_redemption_without_an_id():
    assert run(lambda c: c.redeem(URL, "T-1"), answering(204)) == ""


def test_a_status_answer_without_a_flag_falls_back_to_the_search():
    def handler(request):
        if "/lookup/" in request.url.path:
            return httpx.Response(200, json={"success": True, "data": {"something": "else"}})
        return httpx.Response(200, json={"success": True, "data": {"results": [{"contactID": "C9", "loyalty": True}]}})

    status = run(lambda c: c.loyalty_status(PHONE), handler)
    assert status.member and status.contact_id == "C9"


@pytest.mark.parametrize("status", [429, 500, 403])
def test_a_status_lookup_that_fails_for_everyone_says_so(status):
    with pytest.raises((errors.RateLimited, errors.ServerError, errors.AuthRejected)):
        run(lambda c: c.loyalty_status(PHONE), answering(status))


def test_a_sign_up_without_a_member_id_is_a_bad_response():
    from budtender_app.domain.loyalty import SignUp

    with pytest.raises(errors.BadResponse, match="without a member id"):
        run(lambda c: c.sign_up(SignUp(PHONE)), answering(200, {"success": True, "data": {}}))


def test_a_report_without_data_is_a_bad_response():
    with pytest.raises(errors.BadResponse, match="redemption report"):
        run(lambda c: c.redemptions_between(0, 10), answering(200, {"success": True}))


def test_a_redirect_on_a_report_is_a_bad_response_and_not_followed():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://evil.example/steal"})

    with pytest.raises(errors.BadResponse, match="HTTP 302"):
        run(lambda c: c.redemptions_between(0, 10), handler)
    assert len(seen) == 1


def test_retry_after_dates_use_the_injected_clock_without_a_date_header():
    from datetime import datetime

    def clock():
        return datetime(2031, 3, 9, 12, 0, 0, tzinfo=UTC)

    with pytest.raises(errors.RateLimited) as info:
        run(lambda c: c.redeem(URL, "T-1"), answering(429, headers={"Retry-After": "Sun, 09 Mar 2031 12:00:12 GMT"}),
            clock=clock)
    assert info.value.retry_after == 12.0
