"""Demo mode's wire: an httpx transport that answers from a Simulator in-process.

The app builds ``httpx.AsyncClient(transport=SimulatorTransport(sim))`` and the real AIQ client
code runs unchanged on top, so training exercises the same paths as the counter.
"""

from __future__ import annotations

import asyncio
import json

import httpx

from budtender_app.simulator.core import Simulator


class SimulatorTransport(httpx.AsyncBaseTransport):
    """Send every request to ``simulator``, whatever the host, after ``latency`` seconds."""

    def __init__(self, simulator: Simulator, latency: float = 0.0) -> None:
        self.simulator = simulator
        #: Seconds to wait before each answer (makes spinners visible in training); settable.
        self.latency = latency

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the simulator as AIQ would over HTTP."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        body = await request.aread()
        # raw_path keeps the percent-encoding, so "/" inside a transaction ID stays one segment.
        target = request.url.raw_path.decode("ascii")
        status, payload = self.simulator.handle(request.method, target, request.headers, body)
        if payload is None:
            return httpx.Response(status, request=request)
        if isinstance(payload, bytes):  # a raw body (a proxy's page)
            return httpx.Response(status, content=payload, headers={"Content-Type": "text/html"}, request=request)
        return httpx.Response(
            status,
            content=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            request=request,
        )
