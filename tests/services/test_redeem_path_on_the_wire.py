"""The redemption PUT as a real HTTP server on 127.0.0.1 receives it, and wallets read over HTTP.

Issue 10: httpx removes "." and ".." segments, so the transaction IDs "." and ".." moved the PUT
(dropping the ID, or the token) and were still recorded as redeemed. The request line is the
only place to check that the ID reaches AIQ exactly as typed.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.phone import parse_phone
from budtender_app.domain.redemption import parse_transaction_id
from budtender_app.domain.wallet import NOT_AIQ, ODD_URL
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer

TOKEN_PATH = "/api/v1.1/discount/redeem/1234/d1/tok"


class RecordingServer:
    """Answers every request 200 with a redemption id, and keeps each raw request target."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> RecordingServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        self.targets.append(request_line.split(" ")[1])
        body = json.dumps({"success": True, "data": {"id": "R-1"}}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=5.0)) as client:
        yield client


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("typed", "segment"),
    [
        (".", "%2E"),  # httpx would drop the segment: the PUT would go to .../tok
        ("..", "%2E%2E"),  # httpx would drop it and the token: .../d1
        ("...", "..."),
        ("a/b", "a%2Fb"),
        ("?x", "%3Fx"),
        ("#", "%23"),
        ("%2e", "%252e"),  # what the cashier typed, not a dot
        ("\u00dcn\u00ef", "%C3%9Cn%C3%AF"),
        ("T 7", "T%207"),
        ("../x", "..%2Fx"),
        ("x" * 128, "x" * 128),
    ],
)
@pytest.mark.parametrize("suffix", ["", "/", "?store=9"])
async def test_the_put_reaches_aiq_with_the_transaction_id_as_typed(http, typed, segment, suffix):
    async with RecordingServer() as server:
        client = AiqClient(http, AiqConfig(server.url, "key-1", DEMO_UID))
        redemption_url = server.url + TOKEN_PATH + suffix
        assert await client.redeem(redemption_url, parse_transaction_id(typed)) == "R-1"
    (target,) = server.targets
    path, _, query = target.partition("?")
    assert path == TOKEN_PATH + "/" + segment
    assert query == ("store=9" if suffix.startswith("?") else "")
    assert unquote(path.rsplit("/", 1)[1]) == typed


@pytest.fixture
def sim_server():
    sim = Simulator(pin_source=lambda: "2468")
    with SimulatorServer(sim) as srv:
        yield srv


@pytest.mark.asyncio
@pytest.mark.parametrize("typed", [".", ".."])
async def test_aiq_records_the_dot_transaction_id_it_was_given(sim_server, http, typed):
    client = AiqClient(http, AiqConfig(sim_server.url, DEMO_API_KEY, DEMO_UID))
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    discount = next(d for d in wallet.discounts if d.name == "$10 off your order")
    await client.redeem(discount.redemption_url, parse_transaction_id(typed))
    (redemption,) = sim_server.simulator.redemptions
    assert (redemption.transaction_id, redemption.discount_id) == (typed, discount.id)


@pytest.mark.asyncio
async def test_a_wallet_read_over_http_refuses_links_that_leave_the_stores_aiq_origin(sim_server, http):
    plain = sim_server.url.replace("http://", "https://")  # same host and port, other scheme
    other_port = sim_server.url.rsplit(":", 1)[0] + ":1"
    phone = "5550001111"
    sim_server.simulator.add_shopper(phone, points=500, discounts=[
        {"id": "ok", "name": "$5 off", "pointsDeduction": 100, "dollarValue": 5},
        {"id": "s", "name": "Other scheme", "redemptionURL": plain + TOKEN_PATH},
        {"id": "p", "name": "Other port", "redemptionURL": other_port + TOKEN_PATH},
        {"id": "dots", "name": "Dots", "redemptionURL": sim_server.url + "/api/v1.1/discount/redeem/../x/tok"},
    ])
    client = AiqClient(http, AiqConfig(sim_server.url, DEMO_API_KEY, DEMO_UID))
    wallet = await client.wallet(parse_phone(phone))
    assert [d.id for d in wallet.discounts] == ["ok"]
    assert wallet.problems == (
        f"'Other scheme' skipped: {NOT_AIQ}", f"'Other port' skipped: {NOT_AIQ}", f"'Dots' skipped: {ODD_URL}")
