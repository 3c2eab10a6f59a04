"""Now and then, send again what never reached AIQ (the network came back).

A service of its own (app.py starts it after the window shows and stops it at quit), so the
counter's view model keeps only what the counter screen shows. Plain asyncio, no Qt.

Only rows already waiting at the last look are sent (never the rows of a checkout still being
worked through), and none while ``may_send()`` says no (the counter is redeeming).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

#: Seconds between background retries of redemptions that never reached AIQ.
RETRY_QUEUED_EVERY = 60.0


class Row(Protocol):
    @property
    def id(self) -> int: ...


class QueuedRows(Protocol):
    """The journal, as far as the loop reads it."""

    def queued_to_send(self) -> Sequence[Row]: ...


class QueuedSender(Protocol):
    """RedemptionSender, as far as the loop uses it."""

    async def send_queued(self, *, only: set[int] | None = None,
                          may_send: Callable[[], bool] = ...) -> Sequence[object]: ...


class ResendLoop:
    """The background resend of journaled redemptions that never reached AIQ.

    ``after_send()`` is called after each round that sent something (the counter's count of
    open redemptions changes).
    """

    def __init__(self, sender: QueuedSender, journal: QueuedRows, *, may_send: Callable[[], bool],
                 after_send: Callable[[], None], every: float = RETRY_QUEUED_EVERY,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sender = sender
        self._journal = journal
        self._may_send = may_send
        self._after_send = after_send
        self._every = every
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Forever: wait, look, and send what was waiting at the last look too."""
        waiting: set[int] = set()
        while True:
            await self._sleep(self._every)
            queued = {entry.id for entry in self._journal.queued_to_send()}
            ready, waiting = queued & waiting, queued
            if ready:
                await self._sender.send_queued(only=ready, may_send=self._may_send)
                self._after_send()

    def start(self) -> None:
        """Run in the background (kept referenced here: qasync keeps no task alive)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self.run())

    def stop(self) -> None:
        """At quit: stop waiting. A send under way is cancelled (the sender records that)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
