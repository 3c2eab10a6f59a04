"""Where AIQ is, who we are, how long a call may take and how fast calls may start.

Settings the AIQ client is built with (``AiqConfig``), its timeouts (environment overrides for
fault tests and slow links) and the request-rate limiter. The base URL's default is the domain's
(``domain/settings.py``), the one ``DEFAULT_BASE_URL``.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.settings import DEFAULT_BASE_URL

__all__ = ["DEADLINE_ENV", "DEFAULT_BASE_URL", "DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "READ_TIMEOUT_ENV",
           "AiqConfig", "RateLimiter", "default_deadline", "default_timeout"]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=5.0)
#: Seconds; shortens the read timeout (fault tests "hang past the timeout" without waiting 15 s).
READ_TIMEOUT_ENV = "BUDTENDER_AIQ_READ_TIMEOUT"
#: Seconds one whole request may take, answer included. httpx's read timeout is per read, so an
#: answer trickling a byte a second would otherwise keep the counter in "Redeeming…" for ever.
DEFAULT_DEADLINE = 30.0
#: Seconds; overrides DEFAULT_DEADLINE (fault tests), like READ_TIMEOUT_ENV.
DEADLINE_ENV = "BUDTENDER_AIQ_DEADLINE"


def _env_seconds(name: str) -> float | None:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 and math.isfinite(value) else None


def default_timeout() -> httpx.Timeout:
    """DEFAULT_TIMEOUT, with the read timeout from $BUDTENDER_AIQ_READ_TIMEOUT when it is a
    positive number of seconds (anything else is ignored)."""
    read = _env_seconds(READ_TIMEOUT_ENV)
    if read is None:
        return DEFAULT_TIMEOUT
    return httpx.Timeout(connect=DEFAULT_TIMEOUT.connect, read=read, write=DEFAULT_TIMEOUT.write,
                         pool=DEFAULT_TIMEOUT.pool)


def default_deadline() -> float:
    """DEFAULT_DEADLINE, or $BUDTENDER_AIQ_DEADLINE when it is a positive number of seconds."""
    return _env_seconds(DEADLINE_ENV) or DEFAULT_DEADLINE


@dataclass(frozen=True, slots=True)
class AiqConfig:
    """Where AIQ is and who we are. Paths AIQ's prose and real clients disagree on stay settable."""

    base_url: str
    api_key: str
    uid: str = ""
    verify_path: str = "/api/v2/verify/contact/wallet"
    view_path: str = "/api/v2/view/contact/wallet"
    wallet_path: str = "/api/v2/wallet"

    def __repr__(self) -> str:  # the key must never reach a log through a repr
        return f"AiqConfig(base_url={self.base_url!r}, uid={self.uid!r}, api_key=***)"


class RateLimiter:
    """At most ``rate`` request starts a second on average, bursts of ``burst`` (AIQ: ~2/s)."""

    def __init__(self, rate: float = 2.0, burst: int = 2, clock: Callable[[], float] = SYSTEM_CLOCK.monotonic):
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request may start."""
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)
