"""A hostile (or broken) AIQ, fed to the client through httpx.MockTransport: random statuses
from 100 to 599, random bodies (missing, extra and wrongly typed fields, huge numbers, unicode,
not JSON, empty) and random Retry-After headers. Nothing but an AiqError may come out; a
redemption is "redeemed" only for a 2xx success and "refused" only for a definite refusal."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budtender_app.domain import errors
from budtender_app.domain.aiq_answers import DONE_STATUSES, REFUSED_STATUSES
from budtender_app.domain.loyalty import SignUp
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"AIQ (PUT|POST) failed: DecodingError")

BASE = "https://lab.alpineiq.com"
REDEMPTION_URL = BASE + "/api/v1.1/discount/redeem/1234/d1/tok-abcdef"
PHONE = parse_phone("5551234567")
KEYS = ["success", "data", "message", "errors", "id", "redemptionID", "contactID", "loyaltyPoints",
        "discountTemplates", "pointsDeduction", "dollarValue", "redemptionURL", "code"]

scalars = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=True)
           | st.text(max_size=12) | st.sampled_from(["1e999999", "", "true", "false", "Infinity", "\u202e"]))
json_values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)),
    max_leaves=20,
)
envelopes = st.fixed_dictionaries({}, optional={
    "success": st.booleans() | scalars, "data": json_values, "message": scalars,
    "errors": st.lists(st.fixed_dictionaries({}, optional={"message": scalars}) | scalars, max_size=2),
})
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    envelopes.map(lambda v: json.dumps(v).encode()),
)
retry_after = st.none() | st.sampled_from(["0", "7", "99999999999999", "-1", "soon", "Wed, 09 Mar 2999 12:00:20 GMT"]) \
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
answers = st.tuples(st.integers(100, 599), bodies, retry_after)


def run(call, status: int, content: bytes, retry: str | None):
    """Call ``call(client)`` against one canned answer; returns (result, error)."""
    headers = {"Content-Type": "application/json"} | ({"Retry-After": retry} if retry is not None else {})

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = AiqClient(http, AiqConfig(BASE, "key-123456", "1234"), deadline=5.0)
            try:
                return await call(client), None
            except errors.AiqError as exc:
                return None, exc

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def parsed(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def says_done(status: int, content: bytes) -> bool:
    body = parsed(content)
    return status in DONE_STATUSES and (not content or (isinstance(body, dict) and body.get("success", True) is True))


def says_no(status: int, content: bytes) -> bool:
    body = parsed(content)
    if not isinstance(body, dict):
        return False
    if status in DONE_STATUSES:
        return body.get("success") is False
    return status in REFUSED_STATUSES and body.get("success", False) is False


HOSTILE = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HOSTILE
@given(answers)
def test_a_redemption_is_redeemed_only_on_a_2xx_success_and_refused_only_when_definite(answer):
    status, content, _retry = answer
    result, error = run(lambda c: c.redeem(REDEMPTION_URL, "T-1"), *answer)
    if error is None:
        assert says_done(status, content) and isinstance(result, str) and len(result) <= 100
    elif type(error) is errors.Rejected:
        assert says_no(status, content)
    elif isinstance(error, errors.AuthRejected):
        assert status in (401, 403) or says_no(status, content)
    elif isinstance(error, errors.RateLimited):
        assert status == 429 and (error.retry_after is None or error.retry_after >= 0)
    else:
        assert type(error) is errors.OutcomeUnknown and not says_done(status, content)
    if status < 200 or 300 <= status < 400 or status in (408, 409, 425) or status >= 500:
        assert type(error) is errors.OutcomeUnknown


@HOSTILE
@given(answers)
def test_a_points_adjustment_follows_the_same_rule(answer):
    status, content, _ = answer
    _, error = run(lambda c: c.adjust_points("C1001", 250, "back"), *answer)
    if error is None:
        assert says_done(status, content)
    elif type(error) is errors.Rejected:
        assert says_no(status, content)
    else:
        assert isinstance(error, (errors.AuthRejected, errors.RateLimited, errors.OutcomeUnknown))


@HOSTILE
@given(answers)
def test_opening_a_wallet_never_escapes_and_only_a_refusal_is_a_wrong_pin(answer):
    status, content, _ = answer
    result, error = run(lambda c: c.view_wallet(PHONE, "2468"), *answer)
    if isinstance(error, errors.WrongPin):
        assert 400 <= status < 500 or (200 <= status < 300 and parsed(content).get("success") is False)
        assert status not in (403, 429)
    if 300 <= status < 400 or status < 200:
        assert isinstance(error, errors.BadResponse)
    if error is None:
        assert 200 <= status < 300 and result is not None


@HOSTILE
@given(answers)
def test_texting_a_pin_never_escapes(answer):
    status, _, _ = answer
    _, error = run(lambda c: c.verify_wallet(PHONE), *answer)
    if isinstance(error, errors.UnknownShopper):
        assert 200 <= status < 500 and status not in (403, 429) and not 300 <= status < 400
    if error is None:
        assert 200 <= status < 300


@pytest.mark.parametrize("call", ["redeem", "adjust"])
def test_an_answer_that_cannot_be_decoded_is_unknown(call):
    # Content-Encoding: gzip over bytes that are not gzip: httpx fails reading the answer.
    def answer(request):
        return httpx.Response(200, content=b"not gzip", headers={"Content-Encoding": "gzip"})

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = AiqClient(http, AiqConfig(BASE, "key-123456", "1234"))
            with pytest.raises(errors.OutcomeUnknown, match="could not be read"):
                await (client.redeem(REDEMPTION_URL, "T-1") if call == "redeem" else client.adjust_points("C1", 1, "n"))
            with pytest.raises(errors.BadResponse):
                await client.view_wallet(PHONE, "2468")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


OTHER_CALLS = {
    "wallet": lambda c: c.wallet(PHONE),
    "sign_up": lambda c: c.sign_up(SignUp(PHONE, email="kim@example.com")),
    "status": lambda c: c.loyalty_status(PHONE),
    "search": lambda c: c.find_contact("kim@example.com"),
    "report": lambda c: c.redemptions_between(0, 10),
    "check": lambda c: c.check_connection(),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers, st.sampled_from(sorted(OTHER_CALLS)))
def test_no_other_call_lets_anything_but_an_aiq_error_out(answer, call):
    status, _, _ = answer
    _, error = run(OTHER_CALLS[call], *answer)  # anything else would fail the test here
    if error is None:
        assert 200 <= status < 300
