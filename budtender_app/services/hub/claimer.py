"""The counter's claims on the store hub, as the checkout awaits them (viewmodels/checkout.py):
psycopg's blocking calls in a worker thread (``asyncio.to_thread``) with the hub's short
``connect_timeout``, so the GUI never waits on the hub.

What is claimed: (store, POS transaction, AIQ discount id), the same key the terminal's own
journal keeps one row for (services/journal/repository.py) and the hub's ``hub_redemptions``
carries, so a late claim can be made from what was pushed. The POS discount id is not used: two
AIQ discounts may share one POS button.

A claim the hub could not take (UNREACHABLE) needs no queue of its own: the redemption is
journaled, pushed at the next contact, and the pusher's ``settle`` (claims.py) claims it late then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from budtender_app.services.hub.claims import Claim, ClaimOutcome, ClaimResult, claim, release
from budtender_app.services.hub.config import connect

log = logging.getLogger(__name__)


class HubClaimer:
    """This terminal's claims at ``store`` on the hub reached with ``connect_args``."""

    def __init__(self, connect_args: dict[str, Any], *, store: str, terminal_id: str, terminal_name: str,
                 now: Callable[[], datetime]) -> None:
        self._args = connect_args
        self._store = store
        self._id = terminal_id
        self._name = terminal_name
        self._now = now

    def _claims(self, transaction_id: str, discount_ids: Sequence[str]) -> list[Claim]:
        return [Claim(self._store, transaction_id, d) for d in discount_ids]

    async def claim(self, transaction_id: str, discount_ids: Sequence[str]) -> ClaimResult:
        """All of a checkout's discounts, or none (HELD); UNREACHABLE within the connect timeout."""
        claims, at = self._claims(transaction_id, discount_ids), self._now()
        try:
            result = await asyncio.to_thread(claim, self._args, self._id, self._name, claims, at)
        except Exception as exc:  # noqa: BLE001 - a hub that answers wrongly (no schema, no rights) never holds a sale
            log.warning("the store hub refused the claim of transaction %s (%s): redeemed, claimed later",
                        transaction_id, type(exc).__name__)
            result = ClaimResult(ClaimOutcome.UNREACHABLE, reason=type(exc).__name__)
        if result.reason:
            log.info("the store hub could not take the claim of transaction %s (claimed later): %s",
                     transaction_id, result.reason)
        return result

    async def release(self, transaction_id: str, discount_ids: Sequence[str]) -> None:
        """Give back this terminal's claims (AIQ refused them); a hub away: the pusher's ``settle`` does."""
        try:
            await asyncio.to_thread(self._release, self._claims(transaction_id, discount_ids))
        except Exception as exc:  # noqa: BLE001 - released at the next push instead, never at the counter
            log.info("claims of transaction %s released at the next push: %s", transaction_id, type(exc).__name__)

    def _release(self, claims: list[Claim]) -> None:
        with connect(self._args) as conn:
            release(conn, self._id, claims)
