"""Loyalty status, sign-up, contact search, points adjustment and AIQ's report, over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain import errors
from budtender_app.domain.loyalty import SignUp
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"AIQ PUT failed after sending: RemoteProtocolError")


@pytest_asyncio.fixture
async def client(server):
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.mark.asyncio
async def test_status_member_and_stranger_without_sending_a_pin(server, client):
    member = await client.loyalty_status(parse_phone(DEMO_PHONE))
    stranger = await client.loyalty_status(parse_phone("5550009999"))
    assert member.member and member.contact_id == server.simulator.contact_id_of(DEMO_PHONE)
    assert not stranger.member
    assert server.simulator.last_pin(DEMO_PHONE) is None
    assert server.simulator.requests[0].path == f"/api/v2/loyalty/lookup/{DEMO_PHONE}"


@pytest.mark.asyncio
async def test_status_falls_back_to_contact_search_when_lookup_fails(server, client):
    server.inject(404, path_prefix="/api/v2/loyalty/lookup")
    status = await client.loyalty_status(parse_phone(DEMO_PHONE))
    assert status.member
    assert [r.path.split("/")[3] for r in server.simulator.requests] == ["loyalty", "piis"]


@pytest.mark.asyncio
async def test_sign_up_creates_a_member_once(server, client):
    phone = parse_phone("(555) 444-1212")
    first = await client.sign_up(SignUp(phone, email="new@example.com", first_name="Kim", sms_opt_in=True))
    again = await client.sign_up(SignUp(phone))
    assert first == again
    body = server.simulator.requests[0].json
    assert body["mobilePhone"] == "5554441212" and body["loyalty"] is True and body["smsoptin"] is True
    assert (await client.wallet(phone)).discounts[0].name.startswith("$5 welcome")


@pytest.mark.asyncio
async def test_points_adjustment_and_unknown_outcome(server, client):
    contact = server.simulator.contact_id_of(DEMO_PHONE)
    await client.adjust_points(contact, 250, "Refund of T-1: $10 off")
    assert server.simulator.points_of(DEMO_PHONE) == 1750
    server.inject("drop_after", path_prefix="/api/v1.1/adjust")
    with pytest.raises(errors.OutcomeUnknown):
        await client.adjust_points(contact, 100, "again")
    server.inject(400, path_prefix="/api/v1.1/adjust")
    with pytest.raises(errors.Rejected):
        await client.adjust_points(contact, 100, "refused")


@pytest.mark.asyncio
async def test_the_redemptions_report_finds_a_transaction(server, client):
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    await client.redeem(wallet.discounts[0].redemption_url, "T-42")
    now = int(time.time())
    rows = await client.redemptions_between(now - 3600, now + 3600)
    assert [(r.transaction_id, r.discount_id, r.points) for r in rows] == [("T-42", wallet.discounts[0].id, 100)]
