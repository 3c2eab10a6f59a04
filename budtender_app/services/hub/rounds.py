"""The hub's background loops' shared shape (pusher.py, staff_loop.py): one round, then wait for
the next round or a nudge, forever, as a task kept referenced (qasync keeps no task alive)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Rounds:
    """Calls ``round`` every ``every`` seconds, or sooner when nudged, between ``start`` and ``stop``."""

    def __init__(self, round: Callable[[], Awaitable[object]], every: float,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._round = round
        self._every = every
        self._sleep = sleep
        self._nudged = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def nudge(self) -> None:
        self._nudged.set()

    async def run(self) -> None:
        while True:
            await self._round()
            waits = [asyncio.ensure_future(self._nudged.wait()), asyncio.ensure_future(self._sleep(self._every))]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
            self._nudged.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self.run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None
