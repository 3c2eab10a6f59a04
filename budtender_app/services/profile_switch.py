"""The running terminal's AIQ client moved to a new store profile without a restart.

Every part of the counter (the redemption flow, the PIN steps, the sender and its background
resend, the manager's redemptions window, the loyalty window) holds the one AiqClient built at
start. Rather than hunt down each copy, the client itself is re-pointed: ``switch_to`` changes
its httpx client and its config (base URL, UID, API key) in one step on the
GUI thread, so no request can leave with half of the old profile and half of the new.

What may be switched, and when, is the view model's (``viewmodels/profile_switch.py``).
"""

from __future__ import annotations

import httpx

from budtender_app.domain.origin import same_origin
from budtender_app.services.aiq_client import AiqClient, AiqConfig


def same_account(a: AiqConfig, b: AiqConfig) -> bool:
    """Whether two configs reach the same AIQ account: same origin and UID (the API key may
    differ: a manager pasting a renewed key is still the same account)."""
    return a.uid == b.uid and same_origin(a.base_url, b.base_url)


class SwitchableAiqClient(AiqClient):
    """The terminal's one AiqClient, which a saved profile can re-point (``switch_to``)."""

    @property
    def config(self) -> AiqConfig:
        """Where the client sends now and as whom (its repr hides the key)."""
        return self._config

    def switch_to(self, http: httpx.AsyncClient, config: AiqConfig) -> httpx.AsyncClient:
        """From now on every call goes to ``config`` over ``http``; returns the httpx client it
        used before (the caller closes it once what was in flight on it has ended).

        The rate limiter stays: it paces this terminal's requests (about 2 a second), which is
        as right for the new account as for the old."""
        old = self._http
        self._http, self._config = http, config
        return old
