"""The feed client against the simulator over real HTTP: what is sent, and how answers are read."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain import errors
from budtender_app.services.aiq_config import AiqConfig, RateLimiter
from budtender_app.services.feeds.client import FeedClient
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID

pytestmark = pytest.mark.logs_expected(r"AIQ feed POST took longer than")

VISIT = {"pos_id": "T-9", "transaction_date": "2026-12-01 10:00:00 +0000", "transaction_total": 12.5,
         "location": "Main St", "visit_details_attributes": [{"sku": "A1", "price": 12.5, "quantity": 1}]}


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0, connect=2.0)) as client:
        yield client


def feeds(http, server, key=DEMO_API_KEY, **kw) -> FeedClient:
    return FeedClient(http, AiqConfig(server.url, key, DEMO_UID), **kw)


@pytest.mark.asyncio
async def test_a_sale_goes_to_createupdatesale_with_the_key_and_member(http, server):
    await feeds(http, server).post_sale(VISIT, member={"mobilePhone": "5550001111", "firstName": "A"})
    request = server.simulator.requests[-1]
    assert request.path == f"/api/v1.1/createUpdateSale/{DEMO_UID}" and request.api_key_ok
    assert server.simulator.sales["T-9"]["visit"] == VISIT
    assert server.simulator.sales["T-9"]["member"]["mobilePhone"] == "5550001111"


@pytest.mark.asyncio
async def test_members_one_and_many(http, server):
    client = feeds(http, server)
    data = await client.post_member({"phone_number": "5550002222", "first_name": "B", "loyalty": False})
    assert isinstance(data, dict) and data["contactID"]
    await client.post_members([{"phone_number": "5550003333"}, {"email": "c@d.example"}])
    assert [m.get("phone_number") for m in server.simulator.feed_members] == ["5550002222", "5550003333", ""]


@pytest.mark.asyncio
async def test_a_phone_aiq_would_store_blank_is_never_sent(http, server):
    with pytest.raises(errors.RefusedToSend, match="10 digits"):
        await feeds(http, server).post_member({"phone_number": "555123"})
    with pytest.raises(errors.RefusedToSend):
        await feeds(http, server).post_sale(VISIT, member={"mobilePhone": "+15550001111"})
    assert server.simulator.requests == []


@pytest.mark.asyncio
async def test_inventory_batches_of_1_to_100_with_a_key_each(http, server):
    client = feeds(http, server)
    await client.post_inventory([{"sku": f"S{i}"} for i in range(100)])
    assert len(server.simulator.inventory) == 100
    for bad in ([], [{"sku": f"S{i}"} for i in range(101)], [{"sku": "A"}, {"name": "no key"}]):
        with pytest.raises(errors.RefusedToSend):
            await client.post_inventory(bad)
    assert len(server.simulator.requests) == 1


@pytest.mark.asyncio
async def test_aiq_refusing_gives_its_reason_scrubbed(http, server):
    server.inject(400, path_prefix="/api/v1.1/createUpdateInventory",
                  body={"success": False, "message": f"bad item for 555-000-1111 key {DEMO_API_KEY}"})
    with pytest.raises(errors.Rejected) as caught:
        await feeds(http, server).post_inventory([{"sku": "A"}])
    text = str(caught.value)
    assert "AIQ did not accept this inventory batch: bad item" in text
    assert "555-000-1111" not in text and DEMO_API_KEY not in text and "1111" in text


@pytest.mark.parametrize(("status", "body"), [(200, {"data": []}), (200, {"success": "true"}), (202, None),
                                          (200, b"<html>ok</html>"), (302, None), (404, None)])
@pytest.mark.asyncio
async def test_only_2xx_with_success_true_is_accepted(http, server, status, body):
    server.inject(status, path_prefix="/api/v1.1/createUpdateSale", body=body)
    with pytest.raises(errors.Rejected, match=f"HTTP {status}"):
        await feeds(http, server).post_sale(VISIT)


@pytest.mark.parametrize(("status", "error"), [(403, errors.AuthRejected), (429, errors.RateLimited),
                                           (503, errors.ServerError)])
@pytest.mark.asyncio
async def test_key_busy_and_trouble_are_told_apart(http, server, status, error):
    server.inject(status, path_prefix="/api/v1.1/createUpdateMember", headers={"Retry-After": "7"})
    with pytest.raises(error) as caught:
        await feeds(http, server).post_member({"email": "x@y.example"})
    if status == 429:
        assert caught.value.retry_after == 7


@pytest.mark.asyncio
async def test_a_wrong_key_is_auth_rejected(http, server):
    with pytest.raises(errors.AuthRejected):
        await feeds(http, server, key="wrong-key-0000").post_sale(VISIT)


@pytest.mark.asyncio
async def test_a_hang_is_a_retryable_server_error_not_a_refusal(http, server):
    server.inject("hang", path_prefix="/api/v1.1/createUpdateSale")
    with pytest.raises(errors.ServerError) as caught:
        await feeds(http, server, deadline=0.5).post_sale(VISIT)
    assert caught.value.retryable
    server.release()


@pytest.mark.asyncio
async def test_the_rate_limiter_is_the_clients(http, server):
    class Counting(RateLimiter):
        taken = 0

        async def acquire(self) -> None:
            Counting.taken += 1
            await super().acquire()

    client = feeds(http, server, limiter=Counting(rate=1000.0, burst=5))
    for n in range(3):
        await client.post_inventory([{"sku": f"R{n}"}])
    await client.post_sale(VISIT)
    assert Counting.taken == 4 and len(server.simulator.inventory) == 3


@pytest.mark.asyncio
async def test_the_wallet_clients_feed_client_shares_its_store_and_limiter(http, server):
    from budtender_app.services.aiq_client import AiqClient

    limiter = RateLimiter(rate=1000.0, burst=5)
    wallet_client = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID), limiter=limiter)
    await wallet_client.feed_client().post_inventory([{"sku": "W1"}])
    assert list(server.simulator.inventory) == ["W1"] and limiter._tokens < 5


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"answered more than")
async def test_a_huge_answer_is_not_read_into_memory(http):
    # A hostile or broken AIQ answered 200 MB of "success": the whole body was read into memory
    # (twice over, joined) before it was looked at. At most FEED_ANSWER_LIMIT of it is kept: not
    # readable, so the batch is tried again later (AIQ keys it: a resend updates).
    import tracemalloc

    from budtender_app.services.feeds.client import FEED_ANSWER_LIMIT
    from tests.services.raw_http import raw_server, read_request

    async def huge(reader, writer):
        await read_request(reader)
        size = 200 << 20
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {size}\r\n\r\n".encode() + b'{"success": true, "data": "')
        chunk, left = b"x" * (1 << 20), size - 29
        while left > len(chunk):
            writer.write(chunk)
            await writer.drain()
            left -= len(chunk)
        writer.write(b"x" * left + b'"}')
        await writer.drain()

    async with raw_server(huge) as url:
        client = FeedClient(http, AiqConfig(url, DEMO_API_KEY, DEMO_UID), deadline=30.0)
        tracemalloc.start()
        try:
            with pytest.raises(errors.BadResponse) as caught:
                await client.post_inventory([{"sku": "A"}])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.retryable and peak < 10 * FEED_ANSWER_LIMIT
