"""Demo mode's wire: an httpx transport that answers from a Simulator in-process.

The app builds ``httpx.AsyncClient(transport=SimulatorTransport(sim))`` and the real AIQ client
code runs unchanged on top, so training exercises the same paths as the counter. The problem a
trainer armed (``simulator.faults``, faults.py) is acted on here, where a real wire would fail.
"""

from __future__ import annotations

import asyncio
import json

import httpx

from budtender_app.simulator import faults
from budtender_app.simulator.core import Simulator
from budtender_app.simulator.records import error_envelope


class SimulatorTransport(httpx.AsyncBaseTransport):
    """Send every request to ``simulator``, whatever the host, after ``latency`` seconds."""

    def __init__(self, simulator: Simulator, latency: float = 0.0) -> None:
        self.simulator = simulator
        #: Seconds to wait before each answer (makes spinners visible in training); settable.
        self.latency = latency

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the simulator as AIQ would over HTTP (or fail as a trainer asked)."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        body = await request.aread()
        # raw_path keeps the percent-encoding, so "/" inside a transaction ID stays one segment.
        target = request.url.raw_path.decode("ascii")
        problem = self.simulator.faults.take(request.method, target)
        if problem == faults.UNREACHABLE:  # nothing reached AIQ: nothing recorded there either
            raise httpx.ConnectError("training: AIQ is unreachable", request=request)
        if problem == faults.REFUSED:
            self.simulator.record(request.method, target, request.headers, body, fault=problem)
            return _response(request, 400, error_envelope(faults.REFUSAL_MESSAGE))
        status, payload = self.simulator.handle(request.method, target, request.headers, body,
                                                fault=problem or None, texts=problem != faults.SMS_LOST)
        if problem == faults.NO_ANSWER:  # AIQ did it; its answer is lost on the way back
            raise httpx.ReadTimeout("training: no answer from AIQ", request=request)
        return _response(request, status, payload)


def _response(request: httpx.Request, status: int, payload: object | None) -> httpx.Response:
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
