"""Settings' "Test connection" against the AIQ being set up (not the running counter's client)."""

from __future__ import annotations

import httpx

from budtender_app.domain.settings import StoreProfile
from budtender_app.services.aiq_client import DEFAULT_TIMEOUT, AiqClient, AiqConfig
from budtender_app.services.credentials import Credentials


class ConnectionTester:
    """Settings' "Test connection": one cheap authenticated call to the AIQ being set up.

    Its own httpx client (never the training simulator's), made on first use: building one
    loads the system's CA certificates, about 50 ms that start-up need not wait for.
    """

    def __init__(self) -> None:
        self._http: httpx.AsyncClient | None = None

    async def __call__(self, profile: StoreProfile, credentials: Credentials) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
        config = AiqConfig(profile.base_url, credentials.api_key, credentials.uid)
        await AiqClient(self._http, config).check_connection()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
