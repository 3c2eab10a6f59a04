"""AIQ's feed endpoints F1..F4 over httpx: a sale, members, inventory batches.

Only for a store whose POS sends AIQ nothing (sending what the POS also sends counts points
twice). Answers are read the strict way (``domain/aiq_answers.classify_feed_answer``): only a
2xx whose body says ``success: true`` is accepted; anything else raises an AiqError whose
message carries AIQ's reason, scrubbed of the API key, phones, e-mails and links. The request
goes through the same origin check, key header, deadline and rate limiter as the wallet client.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from budtender_app.domain import errors
from budtender_app.domain.aiq_answers import Answer, classify_feed_answer, error_message, retry_after_seconds
from budtender_app.domain.redact import redact
from budtender_app.services.aiq_config import AiqConfig, RateLimiter, default_deadline
from budtender_app.services.aiq_transport import build_request, transmit

log = logging.getLogger(__name__)

#: The most items one createUpdateInventory call takes (CONFIRMED).
INVENTORY_BATCH_LIMIT = 100
_TEN_DIGITS = re.compile(r"\d{10}")
#: The longest answer read (bytes): AIQ's feed answers are a line of JSON; a longer one is not read.
FEED_ANSWER_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class FeedPaths:
    """The feed paths (``{uid}`` is replaced); settable like the wallet paths, the stored copy of
    AIQ's docs lost some case."""

    sale: str = "/api/v1.1/createUpdateSale/{uid}"
    member: str = "/api/v1.1/createUpdateMember/{uid}"
    members: str = "/api/v1.1/createUpdateMembers/{uid}"
    inventory: str = "/api/v1.1/createUpdateInventory/{uid}"


class FeedClient:
    """One store's AIQ feeds. Share the httpx client and the limiter with the wallet client."""

    def __init__(self, http: httpx.AsyncClient, config: AiqConfig, *, limiter: RateLimiter | None = None,
                 deadline: float | None = None, clock: Callable[[], datetime] | None = None,
                 paths: FeedPaths = FeedPaths()) -> None:
        self._http = http
        self._config = config
        self._limiter = limiter
        self._deadline = default_deadline() if deadline is None else deadline
        self._clock = clock
        self._paths = paths

    async def post_sale(self, visit: Mapping[str, Any], *, member: Mapping[str, Any] | None = None) -> object:
        """F1: add or update one sale (AIQ keys it by ``visit["pos_id"]``: a resend updates).
        Returns AIQ's ``data``. Rejected when AIQ did not accept it (its reason in the message)."""
        if not str(visit.get("pos_id") or "").strip():
            raise errors.RefusedToSend("This sale has no POS transaction ID; it was not sent.")
        body: dict[str, Any] = {"visit": dict(visit)}
        if member is not None:
            _check_phone(member.get("mobilePhone"))
            body["member"] = dict(member)
        return await self._post(self._paths.sale, body, "sale")

    async def post_member(self, member: Mapping[str, Any]) -> object:
        """F2: add or update one member. Returns AIQ's ``data`` (``contactID``, ``srcID``)."""
        _check_phone(member.get("phone_number"))
        return await self._post(self._paths.member, {"member": dict(member)}, "member")

    async def post_members(self, members: Sequence[Mapping[str, Any]]) -> object:
        """F4: many members at once (first migration). Returns AIQ's ``data``."""
        if not members:
            raise errors.RefusedToSend("No members to send.")
        for member in members:
            _check_phone(member.get("phone_number"))
        return await self._post(self._paths.members, [dict(m) for m in members], "members")

    async def post_inventory(self, items: Sequence[Mapping[str, Any]]) -> object:
        """F3: one batch of 1..100 items, each with ``sku`` or ``productId``."""
        if not 1 <= len(items) <= INVENTORY_BATCH_LIMIT:
            raise errors.RefusedToSend(
                f"An inventory batch holds 1 to {INVENTORY_BATCH_LIMIT} items; this one has {len(items)}.")
        for index, item in enumerate(items):
            if not (str(item.get("sku") or "").strip() or str(item.get("productId") or "").strip()):
                raise errors.RefusedToSend(f"Inventory item {index + 1} has neither a SKU nor a product ID.")
        return await self._post(self._paths.inventory, [dict(i) for i in items], "inventory batch")

    # -- plumbing ------------------------------------------------------------------------

    async def _post(self, path: str, payload: object, what: str) -> object:
        url = self._config.base_url.rstrip("/") + path.format(uid=quote(self._config.uid, safe=""))
        request = build_request(self._http, self._config, "POST", url, payload)
        if self._limiter is not None:
            await self._limiter.acquire()  # before the deadline starts: nothing is sent while waiting
        try:
            async with asyncio.timeout(self._deadline):
                response = await transmit(self._http, request, mutating=False, limit=FEED_ANSWER_LIMIT)
        except TimeoutError:
            log.warning("AIQ feed POST took longer than %g s: given up", self._deadline)
            raise errors.ServerError("AIQ did not answer in time. Try again.") from None
        body = _json_or_none(response)
        verdict = classify_feed_answer(response.status_code, body)
        if verdict is Answer.OK:
            return body.get("data") if isinstance(body, dict) else None
        raise self._error(verdict, response, body, what)

    def _error(self, verdict: Answer, response: httpx.Response, body: object, what: str) -> errors.AiqError:
        reason = redact(error_message(body), self._config.api_key, limit=200)
        status = response.status_code
        if verdict is Answer.KEY_REFUSED:
            return errors.AuthRejected(
                "AIQ rejected this store's API key. Call a manager to check the AIQ settings.", detail=reason)
        if verdict is Answer.RATE_LIMITED:
            wait = retry_after_seconds(response.headers.get("Retry-After"),
                                       date_header=response.headers.get("Date"), clock=self._clock)
            return errors.RateLimited("AIQ is busy. Wait a few seconds and try again.", retry_after=wait)
        if verdict is Answer.SERVER_ERROR:
            return errors.ServerError(f"AIQ is having trouble (HTTP {status}). Try again in a moment.")
        said = f": {reason}" if reason else f" (HTTP {status}, no reason given)"
        return errors.Rejected(f"AIQ did not accept this {what}{said}", detail=reason)


def _check_phone(value: object) -> None:
    """AIQ silently stores an invalid phone blank: refuse to send one instead."""
    if value in (None, ""):
        return
    if not (isinstance(value, str) and _TEN_DIGITS.fullmatch(value)):
        raise errors.RefusedToSend("A phone number is not 10 digits; AIQ would store it blank. Nothing was sent.")


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None
