"""A tiny raw HTTP server on 127.0.0.1 for answers the simulator cannot give (trickling bodies)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1; yields the base URL. Every connection still
    open at the end is cut (a handler that trickles for ever must not outlive the test)."""
    tasks: set[asyncio.Task] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.add(asyncio.current_task())
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up: that is what these tests are about
        except asyncio.CancelledError:
            # Cut at the end of the test. Ending normally, not cancelled: Python 3.11's
            # StreamReaderProtocol reads a cancelled handler's exception() in a callback, which
            # raises and logs "Exception in callback ..." (fixed in 3.12).
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head and its body (by Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + (await reader.readexactly(length) if length else b"")


def trickler(interval: float, seen: list[bytes]) -> Handler:
    """Answer 200 with headers at once, then a body of one byte every ``interval`` seconds that
    never ends (each read succeeds, so httpx's per-read timeout never fires)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        await writer.drain()
        while True:
            await asyncio.sleep(interval)  # the pace of the answer, not a wait for the test
            writer.write(b" ")
            await writer.drain()

    return handle
