"""The AIQ wallet API over httpx: every transport failure and AIQ answer mapped to a domain error.

Contract: ../shared/AIQ-API.md. No exception but an AiqError leaves this module, and every
message from AIQ is scrubbed (API key, phone, PIN, redemption link) before it is kept in one.
The API key goes only to the origin (scheme, host, port) of the base URL, and redirects are
never followed. What an answer means is decided in domain/aiq_answers.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import httpx

from budtender_app.domain import errors
from budtender_app.domain.aiq_answers import (
    Answer,
    classify_points_answer,
    classify_read_answer,
    error_message,
    retry_after_seconds,
)
from budtender_app.domain.journal_rules import failed_after_sending
from budtender_app.domain.loyalty import (
    AiqRedemption,
    LoyaltyStatus,
    SignUp,
    parse_redemptions,
)
from budtender_app.domain.origin import same_origin
from budtender_app.domain.phone import Phone
from budtender_app.domain.redact import redact
from budtender_app.domain.redemption import redemption_put_url
from budtender_app.domain.wallet import Wallet, parse_wallet, redemption_url_problem
from budtender_app.services.aiq_config import (  # re-exported: where the client's callers look
    DEADLINE_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    READ_TIMEOUT_ENV,
    AiqConfig,
    RateLimiter,
    default_deadline,
    default_timeout,
)
from budtender_app.services.aiq_transport import Words, build_request, transmit

if TYPE_CHECKING:
    from budtender_app.services.feeds.client import FeedClient

log = logging.getLogger(__name__)

__all__ = ["DEADLINE_ENV", "DEFAULT_BASE_URL", "DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "READ_TIMEOUT_ENV",
           "AiqClient", "AiqConfig", "RateLimiter", "default_deadline", "default_timeout", "scrub"]



def scrub(text: str, *secrets: str) -> str:
    """AIQ's message made safe to show or log (the app's one redactor, domain/redact.py)."""
    return redact(text, *secrets, limit=200)


_REDEEM = Words(
    busy="AIQ is busy. Nothing was redeemed; try again in a moment.",
    refused="Refused by AIQ: no points were taken.",
    unknown="AIQ's answer (HTTP {status}) does not say whether it redeemed. The points may or may "
            "not have been taken: do not redeem again; ask a manager.",
)
_ADJUST = Words(
    busy="AIQ is busy. No points were moved; try again in a moment.",
    refused="Points adjustment refused by AIQ: nothing moved.",
    unknown="AIQ's answer (HTTP {status}) does not say whether the points moved. They may or may "
            "not have: check the shopper's balance before trying again.",
)


class AiqClient:
    """One store's AIQ wallet endpoints. Build once, share, close with the httpx client.

    ``deadline``: seconds a whole request may take (default: default_deadline()). ``clock``
    (aware UTC) reads a Retry-After date when AIQ's answer carries no Date header.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: AiqConfig,
        *,
        limiter: RateLimiter | None = None,
        deadline: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._http = http
        self._config = config
        self._limiter = limiter
        self._deadline = default_deadline() if deadline is None else deadline
        self._clock = clock

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def feed_client(self) -> FeedClient:
        """The feeds (F1..F4: sales, members, inventory) of this store, over the same connection,
        deadline and rate limiter (AIQ's limit is per account). Build one per use: a profile
        switch re-points this client, not a feed client made before it."""
        from budtender_app.services.feeds.client import FeedClient

        return FeedClient(self._http, self._config, limiter=self._limiter, deadline=self._deadline,
                          clock=self._clock)

    # -- the four calls of the counter flow -------------------------------------------------

    async def verify_wallet(self, phone: Phone) -> None:
        """E1: AIQ texts the shopper a 4-digit PIN. UnknownShopper when no member has the phone
        (any 4xx but 403, 429 or a message about the API key)."""
        await self._post(
            self._config.verify_path,
            {"phone": phone.digits},
            refused=lambda msg: errors.UnknownShopper(
                f"No loyalty member has the phone {phone.masked}. Check the number with the shopper.",
                detail=msg,
            ),
            secrets=(phone.digits,),
            phone_or_pin=True,
        )

    async def view_wallet(self, phone: Phone, pin: str) -> Wallet:
        """E2: the wallet, opened with the PIN the shopper received. WrongPin for any 4xx but
        403, 429 or a message about the API key; a redirect or odd answer is BadResponse (it
        says nothing about the PIN, so it must not count as a wrong one)."""
        body = await self._post(
            self._config.view_path,
            {"phone": phone.digits, "code": pin},
            refused=lambda msg: errors.WrongPin(
                "That PIN is wrong or has expired. Ask the shopper to read the newest text.",
                detail=msg,
            ),
            secrets=(phone.digits, pin),
            phone_or_pin=True,
        )
        return _wallet_of(body, self._config.base_url)

    async def wallet(self, phone: Phone) -> Wallet:
        """E3: the wallet without a PIN (new member, or the store's PIN bypass)."""
        body = await self._post(
            self._config.wallet_path,
            {"phone": phone.digits},
            refused=lambda msg: errors.UnknownShopper(
                f"No loyalty member has the phone {phone.masked}.", detail=msg
            ),
            secrets=(phone.digits,),
        )
        return _wallet_of(body, self._config.base_url)

    async def redeem(self, redemption_url: str, transaction_id: str) -> str:
        """E4: PUT the redemption URL with the POS transaction ID appended. Points go at once.

        Returns AIQ's redemption id ("" when it sends none). Raises Unreachable when nothing was
        sent (safe to retry), RefusedToSend when the link is not this store's AIQ origin
        (nothing sent), Rejected only for a definite refusal, OutcomeUnknown for anything else:
        that one must never be re-sent blindly.
        """
        if not same_origin(self._config.base_url, redemption_url):
            raise errors.RefusedToSend(
                "This discount's redemption link does not point at AIQ (this store's address); "
                "it was not sent. Ask a manager.")
        # The wallet's rules again at send time: a row journaled by an older version was never
        # checked for a path a server could move (dot segments, backslashes...).
        problem = redemption_url_problem(redemption_url, self._config.base_url)
        if problem:
            raise errors.RefusedToSend(f"This redemption was not sent: {problem}. Ask a manager.")
        secrets = _url_secrets(redemption_url)
        try:
            url = redemption_put_url(redemption_url, transaction_id)
        except ValueError as exc:  # the join refused this ID (its message is for the cashier)
            raise errors.RefusedToSend(f"This redemption was not sent: {exc}") from None
        response = await self._send("PUT", url, None, mutating=True)
        body = _json_or_none(response)
        verdict = classify_points_answer(response.status_code, body, empty=not response.content)
        if verdict is Answer.OK:
            return _redemption_id(body)
        raise self._points_error(verdict, response, body, _REDEEM, (*secrets, url))

    async def check_connection(self) -> None:
        """One cheap authenticated call (E7 with limit=1). Raises the matching AiqError."""
        path = f"/api/v1.1/piis/{quote(self._config.uid, safe='')}?search=0000&limit=1"
        response = await self._send("GET", self._url(path), None, mutating=False)
        body = _json_or_none(response)
        verdict = classify_read_answer(response.status_code, body)
        if verdict is Answer.OK:
            return
        self._raise_common(verdict, response, body, ())
        raise errors.NotFound("AIQ does not know this UID. Check it in AIQ's Settings > API & Tracking.",
                             detail=self._scrub(error_message(body), ()))

    # -- loyalty beyond redeeming ---------------------------------------------------------

    async def loyalty_status(self, phone: Phone) -> LoyaltyStatus:
        """E6 (member or not, no PIN sent), with E7 as the fallback when E6 answers oddly."""
        url = self._url(f"/api/v2/loyalty/lookup/{quote(phone.digits, safe='')}")
        response = await self._send("GET", url, None, mutating=False)
        body = _json_or_none(response)
        verdict = classify_read_answer(response.status_code, body)
        data = body.get("data") if isinstance(body, dict) else None
        if verdict is Answer.OK and isinstance(data, dict):
            flag = next((data[k] for k in ("loyalty", "isMember", "member") if isinstance(data.get(k), bool)), None)
            if flag is not None:
                return LoyaltyStatus(flag, _text_id(data.get("contactID")))
        elif verdict in (Answer.KEY_REFUSED, Answer.RATE_LIMITED, Answer.SERVER_ERROR):
            self._raise_common(verdict, response, body, (phone.digits,))
        return await self._status_by_search(phone)

    async def _status_by_search(self, phone: Phone) -> LoyaltyStatus:
        contact = await self.find_contact(phone.digits)
        if contact is None:
            return LoyaltyStatus(False)
        return LoyaltyStatus(contact.get("loyalty") is not False, _text_id(contact.get("contactID")))

    async def find_contact(self, term: str) -> dict | None:
        """E7: the first contact matching ``term`` (phone digits, email or name), or None."""
        path = f"/api/v1.1/piis/{quote(self._config.uid, safe='')}?search={quote(term, safe='')}&limit=1"
        response = await self._send("GET", self._url(path), None, mutating=False)
        body = _json_or_none(response)
        verdict = classify_read_answer(response.status_code, body)
        if verdict is not Answer.OK:
            self._raise_common(verdict, response, body, (term,))
            raise errors.NotFound("AIQ does not know this store's UID. Ask a manager to check the settings.",
                                 detail=self._scrub(error_message(body), (term,)))
        data = body.get("data") if isinstance(body, dict) else None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            return None
        return results[0]

    async def sign_up(self, signup: SignUp) -> str:
        """E5: create (or find) the loyalty member; returns AIQ's contactID."""
        body = await self._post(
            "/api/v2/loyalty", signup.as_aiq(),
            refused=lambda msg: errors.Rejected("AIQ did not sign this shopper up.", detail=msg),
            secrets=(signup.phone.digits, signup.email),
        )
        data = body.get("data") if isinstance(body, dict) else None
        contact_id = _text_id(data.get("contactID")) if isinstance(data, dict) else ""
        if not contact_id:
            raise errors.BadResponse(
                "AIQ answered the sign-up without a member id. Check the status before trying again.")
        return contact_id

    async def adjust_points(self, contact_id: str, value: int, note: str) -> None:
        """E10: add (or take) points, e.g. give back a redemption's points after a refund.

        Like a redemption it changes money: the same rule (classify_points_answer), so only a
        definite refusal is Rejected and anything unclear is OutcomeUnknown, never "failed".
        """
        path = (f"/api/v1.1/adjust/loyaltyPoints/{quote(self._config.uid, safe='')}/"
                f"{quote(contact_id, safe='')}")
        response = await self._send("PUT", self._url(path), {"value": value, "note": note}, mutating=True)
        body = _json_or_none(response)
        verdict = classify_points_answer(response.status_code, body, empty=not response.content)
        if verdict is not Answer.OK:
            raise self._points_error(verdict, response, body, _ADJUST, ())

    async def redemptions_between(self, start: int, end: int) -> list[AiqRedemption]:
        """E11: AIQ's own record of redemptions in [start, end] (epoch seconds)."""
        path = f"/api/v1.1/redemptions/{quote(self._config.uid, safe='')}/{int(start)}/{int(end)}"
        response = await self._send("GET", self._url(path), None, mutating=False)
        body = _json_or_none(response)
        verdict = classify_read_answer(response.status_code, body)
        if verdict is not Answer.OK:
            self._raise_common(verdict, response, body, ())
            raise errors.NotFound("AIQ's redemption report is not available for this store's UID.",
                                 detail=self._scrub(error_message(body), ()))
        if not isinstance(body, dict) or "data" not in body:
            raise errors.BadResponse("AIQ sent a redemption report we cannot read. Try again.")
        return parse_redemptions(body["data"])

    # -- plumbing ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self._config.base_url.rstrip("/") + path

    def _scrub(self, text: str, secrets: tuple[str, ...]) -> str:
        return scrub(text, self._config.api_key, *secrets)

    async def _post(self, path, payload, *, refused, secrets, phone_or_pin: bool = False) -> object:
        response = await self._send("POST", self._url(path), payload, mutating=False)
        body = _json_or_none(response)
        verdict = classify_read_answer(response.status_code, body, phone_or_pin=phone_or_pin)
        if verdict is Answer.OK:
            return body
        self._raise_common(verdict, response, body, secrets)
        raise refused(self._scrub(error_message(body), secrets))

    def _raise_common(self, verdict: Answer, response: httpx.Response, body: object,
                      secrets: tuple[str, ...]) -> None:
        """Raise for every verdict but REFUSED (whose words depend on the call)."""
        status = response.status_code
        if verdict is Answer.KEY_REFUSED:
            raise self._auth_error(body, secrets)
        if verdict is Answer.RATE_LIMITED:
            raise errors.RateLimited("AIQ is busy. Wait a few seconds and try again.",
                                     retry_after=self._retry_after(response))
        if verdict is Answer.SERVER_ERROR:
            raise errors.ServerError(f"AIQ is having trouble (HTTP {status}). Try again in a moment.")
        if verdict is Answer.UNKNOWN:
            raise errors.BadResponse(
                f"AIQ answered in a way we did not expect (HTTP {status}). Try again; if it keeps "
                "happening, ask a manager to check the AIQ address in settings.")

    def _points_error(self, verdict: Answer, response: httpx.Response, body: object, words: Words,
                      secrets: tuple[str, ...]) -> errors.AiqError:
        if verdict is Answer.KEY_REFUSED:
            return self._auth_error(body, secrets)
        if verdict is Answer.RATE_LIMITED:
            return errors.RateLimited(words.busy, retry_after=self._retry_after(response))
        if verdict is Answer.REFUSED:
            return errors.Rejected(words.refused, detail=self._scrub(error_message(body), secrets))
        return errors.OutcomeUnknown(words.unknown.format(status=response.status_code),
                                     detail=self._scrub(error_message(body), secrets))

    def _auth_error(self, body: object, secrets: tuple[str, ...]) -> errors.AuthRejected:
        return errors.AuthRejected(
            "AIQ rejected this store's API key. Call a manager to check the AIQ settings.",
            detail=self._scrub(error_message(body), secrets),
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        return retry_after_seconds(response.headers.get("Retry-After"),
                                   date_header=response.headers.get("Date"), clock=self._clock)

    async def _send(self, method: str, url: str, payload: object, *, mutating: bool) -> httpx.Response:
        request = self._request(method, url, payload)
        if self._limiter is not None:
            await self._limiter.acquire()  # before the deadline starts: nothing is sent while waiting
        try:
            async with asyncio.timeout(self._deadline):
                return await transmit(self._http, request, mutating=mutating)
        except TimeoutError:
            log.warning("AIQ %s took longer than %g s: given up", method, self._deadline)
            raise failed_after_sending(moves_points=mutating) from None

    def _request(self, method: str, url: str, payload: object) -> httpx.Request:
        return build_request(self._http, self._config, method, url, payload)


def _url_secrets(redemption_url: str) -> tuple[str, ...]:
    """The redemption link, its path and its token (the last segment): AIQ may echo any."""
    path = urlsplit(redemption_url).path
    token = path.rstrip("/").rsplit("/", 1)[-1]
    return (redemption_url, path, token) if len(token) >= 6 else (redemption_url, path)


def _wallet_of(body: object, base_url: str) -> Wallet:
    if not (isinstance(body, dict) and "data" in body):
        raise errors.BadResponse("AIQ sent an answer without a wallet. Try again.")
    try:
        return parse_wallet(body["data"], base_url=base_url)
    except errors.AiqError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile wallet must not crash the counter
        log.warning("AIQ wallet could not be read: %s", type(exc).__name__)
        raise errors.BadResponse("AIQ sent a wallet we cannot read. Try again.") from None


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _text_id(value: object) -> str:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _redemption_id(body: object) -> str:
    candidates = []
    if isinstance(body, dict):
        data = body.get("data")
        if isinstance(data, dict):
            candidates += [data.get("id"), data.get("redemptionID"), data.get("redemptionId")]
        candidates += [body.get("id"), body.get("redemptionID")]
    for value in candidates:
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)[:100]
    return ""
