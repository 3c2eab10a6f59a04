"""The AIQ wallet API over httpx: every transport failure and AIQ answer mapped to a domain error.

Contract: ../shared/AIQ-API.md. No httpx exception leaves this module, and no message built here
carries the API key, the PIN or a full phone number.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from budtender_app.domain import errors
from budtender_app.domain.loyalty import AiqRedemption, LoyaltyStatus, SignUp, parse_redemptions
from budtender_app.domain.phone import Phone
from budtender_app.domain.redemption import redemption_put_url
from budtender_app.domain.wallet import Wallet, parse_wallet

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://lab.alpineiq.com"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=5.0)
#: Seconds; shortens the read timeout (fault tests "hang past the timeout" without waiting 15 s).
READ_TIMEOUT_ENV = "BUDTENDER_AIQ_READ_TIMEOUT"


def default_timeout() -> httpx.Timeout:
    """DEFAULT_TIMEOUT, with the read timeout from $BUDTENDER_AIQ_READ_TIMEOUT when it is a
    positive number of seconds (anything else is ignored)."""
    try:
        read = float(os.environ.get(READ_TIMEOUT_ENV, ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    if not 0 < read < float("inf"):
        return DEFAULT_TIMEOUT
    return httpx.Timeout(connect=DEFAULT_TIMEOUT.connect, read=read, write=DEFAULT_TIMEOUT.write,
                         pool=DEFAULT_TIMEOUT.pool)


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

    def __init__(self, rate: float = 2.0, burst: int = 2, clock: Callable[[], float] = time.monotonic):
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


_DIGIT_RUN = re.compile(r"\d[\d\s().-]{5,}\d")


def scrub(text: str, *secrets: str) -> str:
    """AIQ's message made safe to show or log: secrets and long digit runs (phones) masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _DIGIT_RUN.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-4:], text)
    return text[:200]


class AiqClient:
    """One store's AIQ wallet endpoints. Build once, share, close with the httpx client."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: AiqConfig,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._http = http
        self._config = config
        self._limiter = limiter

    @property
    def base_url(self) -> str:
        return self._config.base_url

    # -- the four calls of the counter flow -------------------------------------------------

    async def verify_wallet(self, phone: Phone) -> None:
        """E1: AIQ texts the shopper a 4-digit PIN. UnknownShopper when no member has the phone."""
        await self._post(
            self._config.verify_path,
            {"phone": phone.digits},
            on_4xx=lambda msg: errors.UnknownShopper(
                f"No loyalty member has the phone {phone.masked}. Check the number with the shopper.",
                detail=msg,
            ),
            secrets=(phone.digits,),
        )

    async def view_wallet(self, phone: Phone, pin: str) -> Wallet:
        """E2: the wallet, opened with the PIN the shopper received."""
        body = await self._post(
            self._config.view_path,
            {"phone": phone.digits, "code": pin},
            on_4xx=lambda msg: errors.WrongPin(
                "That PIN is wrong or has expired. Ask the shopper to read the newest text.",
                detail=msg,
            ),
            secrets=(phone.digits, pin),
        )
        return parse_wallet(_data(body), base_url=self._config.base_url)

    async def wallet(self, phone: Phone) -> Wallet:
        """E3: the wallet without a PIN (new member, or the store's PIN bypass)."""
        body = await self._post(
            self._config.wallet_path,
            {"phone": phone.digits},
            on_4xx=lambda msg: errors.UnknownShopper(
                f"No loyalty member has the phone {phone.masked}.", detail=msg
            ),
            secrets=(phone.digits,),
        )
        return parse_wallet(_data(body), base_url=self._config.base_url)

    async def redeem(self, redemption_url: str, transaction_id: str) -> str:
        """E4: PUT the redemption URL with the POS transaction ID appended. Points go at once.

        Returns AIQ's redemption id ("" when it sends none). Raises Unreachable when nothing was
        sent (safe to retry), Rejected when AIQ said no, OutcomeUnknown when it was sent and
        no answer came: that one must never be re-sent blindly.
        """
        self._check_same_service(redemption_url)
        url = redemption_put_url(redemption_url, transaction_id)
        response = await self._send("PUT", url, None, mutating=True, secrets=())
        body = _json_or_none(response)
        if response.is_success and _success(body):
            return _redemption_id(body)
        if response.status_code in (401, 403):
            raise _auth_error(body)
        if response.status_code == 429:
            raise errors.RateLimited("AIQ is busy. Nothing was redeemed; try again in a moment.")
        if response.is_server_error:
            raise errors.OutcomeUnknown(
                f"AIQ failed while redeeming (HTTP {response.status_code}). "
                "The points may or may not have been taken: do not redeem again; ask a manager.",
            )
        raise errors.Rejected(
            "AIQ refused this redemption; no points were taken.", detail=_message(body)
        )

    async def check_connection(self) -> None:
        """One cheap authenticated call (E7 with limit=1). Raises the matching AiqError."""
        path = f"/api/v1.1/piis/{quote(self._config.uid, safe='')}?search=0000&limit=1"
        response = await self._send("GET", self._url(path), None, mutating=False, secrets=())
        body = _json_or_none(response)
        if response.is_success:
            return
        self._raise_common(response, body)
        raise errors.NotFound("AIQ does not know this UID. Check it in AIQ's Settings > API & Tracking.")

    # -- loyalty beyond redeeming ---------------------------------------------------------

    async def loyalty_status(self, phone: Phone) -> LoyaltyStatus:
        """E6 (member or not, no PIN sent), with E7 as the fallback when E6 answers oddly."""
        url = self._url(f"/api/v2/loyalty/lookup/{quote(phone.digits, safe='')}")
        response = await self._send("GET", url, None, mutating=False, secrets=(phone.digits,))
        body = _json_or_none(response)
        if response.is_success and _success(body) and isinstance(body, dict) and isinstance(body.get("data"), dict):
            data = body["data"]
            flag = next((data[k] for k in ("loyalty", "isMember", "member") if isinstance(data.get(k), bool)), None)
            if flag is not None:
                return LoyaltyStatus(flag, _text_id(data.get("contactID")))
        elif response.status_code in (401, 403, 429) or response.is_server_error:
            self._raise_common(response, body)
        return await self._status_by_search(phone)

    async def _status_by_search(self, phone: Phone) -> LoyaltyStatus:
        contact = await self.find_contact(phone.digits)
        if contact is None:
            return LoyaltyStatus(False)
        return LoyaltyStatus(contact.get("loyalty") is not False, _text_id(contact.get("contactID")))

    async def find_contact(self, term: str) -> dict | None:
        """E7: the first contact matching ``term`` (phone digits, email or name), or None."""
        path = f"/api/v1.1/piis/{quote(self._config.uid, safe='')}?search={quote(term, safe='')}&limit=1"
        response = await self._send("GET", self._url(path), None, mutating=False, secrets=(term,))
        body = _json_or_none(response)
        if not (response.is_success and _success(body)):
            self._raise_common(response, body)
            raise errors.NotFound("AIQ does not know this store's UID. Ask a manager to check the settings.")
        data = body.get("data") if isinstance(body, dict) else None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            return None
        return results[0]

    async def sign_up(self, signup: SignUp) -> str:
        """E5: create (or find) the loyalty member; returns AIQ's contactID."""
        body = await self._post(
            "/api/v2/loyalty", signup.as_aiq(),
            on_4xx=lambda msg: errors.Rejected("AIQ did not sign this shopper up.", detail=msg),
            secrets=(signup.phone.digits, signup.email),
        )
        data = body.get("data") if isinstance(body, dict) else None
        contact_id = _text_id(data.get("contactID")) if isinstance(data, dict) else ""
        if not contact_id:
            raise errors.BadResponse("AIQ answered the sign-up without a member id. Check the status before trying again.")
        return contact_id

    async def adjust_points(self, contact_id: str, value: int, note: str) -> None:
        """E10: add (or take) points, e.g. give back a redemption's points after a refund.

        Like a redemption it changes money: no answer means OutcomeUnknown, never "failed".
        """
        path = (f"/api/v1.1/adjust/loyaltyPoints/{quote(self._config.uid, safe='')}/"
                f"{quote(contact_id, safe='')}")
        response = await self._send("PUT", self._url(path), {"value": value, "note": note}, mutating=True, secrets=())
        body = _json_or_none(response)
        if response.is_success and _success(body):
            return
        if response.status_code in (401, 403):
            raise _auth_error(body)
        if response.status_code == 429:
            raise errors.RateLimited("AIQ is busy. No points were moved; try again in a moment.")
        if response.is_server_error:
            raise errors.OutcomeUnknown(
                f"AIQ failed while adjusting points (HTTP {response.status_code}). They may or may "
                "not have moved: check the shopper's balance before trying again.")
        raise errors.Rejected("AIQ refused the points adjustment; nothing moved.", detail=scrub(_message(body)))

    async def redemptions_between(self, start: int, end: int) -> list[AiqRedemption]:
        """E11: AIQ's own record of redemptions in [start, end] (epoch seconds)."""
        path = f"/api/v1.1/redemptions/{quote(self._config.uid, safe='')}/{int(start)}/{int(end)}"
        response = await self._send("GET", self._url(path), None, mutating=False, secrets=())
        body = _json_or_none(response)
        if not (response.is_success and _success(body)):
            self._raise_common(response, body)
            raise errors.NotFound("AIQ's redemption report is not available for this store's UID.")
        if not isinstance(body, dict) or "data" not in body:
            raise errors.BadResponse("AIQ sent a redemption report we cannot read. Try again.")
        return parse_redemptions(body["data"])

    # -- plumbing ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self._config.base_url.rstrip("/") + path

    def _check_same_service(self, url: str) -> None:
        """The API key goes only to AIQ: refuse a redemption URL on some other host."""
        base, target = urlsplit(self._config.base_url), urlsplit(url)
        same_host = base.hostname == target.hostname
        same_domain = (
            target.scheme == "https"
            and base.hostname is not None
            and target.hostname is not None
            and base.hostname.split(".")[-2:] == target.hostname.split(".")[-2:]
            and base.hostname.count(".") >= 1
        )
        if not (same_host or same_domain):
            raise errors.Rejected(
                "This discount's redemption link does not point at AIQ; it was not sent. Ask a manager."
            )

    async def _post(self, path, payload, *, on_4xx, secrets) -> object:
        response = await self._send("POST", self._url(path), payload, mutating=False, secrets=secrets)
        body = _json_or_none(response)
        if response.is_success and _success(body):
            return body
        self._raise_common(response, body)
        raise on_4xx(scrub(_message(body), *secrets))

    @staticmethod
    def _raise_common(response: httpx.Response, body: object) -> None:
        if response.status_code in (401, 403):
            raise _auth_error(body)
        if response.status_code == 429:
            raise errors.RateLimited("AIQ is busy. Wait a few seconds and try again.")
        if response.is_server_error:
            raise errors.ServerError(
                f"AIQ is having trouble (HTTP {response.status_code}). Try again in a moment."
            )
        if response.is_success:  # 2xx whose body says success: false
            return

    async def _send(self, method, url, payload, *, mutating: bool, secrets) -> httpx.Response:
        if self._limiter is not None:
            await self._limiter.acquire()
        headers = {"X-APIKEY": self._config.api_key, "Accept": "application/json"}
        try:
            return await self._http.request(method, url, json=payload, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if _is_certificate_error(exc):
                raise errors.CertificateProblem(
                    "AIQ's security certificate was refused. Check the computer's date and "
                    "the base URL, or ask IT about a proxy."
                ) from None
            raise errors.Unreachable(
                "Cannot reach AIQ. Check the internet connection and try again."
            ) from None
        except httpx.PoolTimeout:
            raise errors.Unreachable("AIQ is not answering. Try again.") from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            log.warning("AIQ %s failed after sending: %s", method, type(exc).__name__)
            if mutating:
                raise errors.OutcomeUnknown(
                    "AIQ did not answer in time. The points may or may not have been taken: "
                    "do not redeem again; ask a manager to check."
                ) from None
            raise errors.ServerError("AIQ did not answer in time. Try again.") from None
        except httpx.UnsupportedProtocol as exc:  # refused before anything was sent
            log.warning("AIQ %s could not be sent: %s", method, type(exc).__name__)
            raise errors.Unreachable("The AIQ address in settings is not usable. Ask a manager.") from None
        except httpx.HTTPError as exc:
            # Anything else (an answer that cannot be decoded, a protocol error mid-way) may come
            # after AIQ acted: for a change of points that is "unknown", never "not sent".
            log.warning("AIQ %s failed: %s", method, type(exc).__name__)
            if mutating:
                raise errors.OutcomeUnknown(
                    "AIQ's answer could not be read. The points may or may not have been taken: "
                    "do not redeem again; ask a manager to check."
                ) from None
            raise errors.BadResponse("AIQ sent an answer we cannot read. Try again.") from None


def _is_certificate_error(exc: BaseException) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _auth_error(body: object) -> errors.AuthRejected:
    return errors.AuthRejected(
        "AIQ rejected this store's API key. Call a manager to check the AIQ settings.",
        detail=scrub(_message(body)),
    )


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _success(body: object) -> bool:
    """A 2xx counts unless the body says ``"success": false``."""
    return not (isinstance(body, dict) and body.get("success") is False)


def _data(body: object) -> object:
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    raise errors.BadResponse("AIQ sent an answer without a wallet. Try again.")


def _message(body: object) -> str:
    if not isinstance(body, dict):
        return ""
    errs = body.get("errors")
    if isinstance(errs, list) and errs and isinstance(errs[0], dict):
        msg = errs[0].get("message")
        if isinstance(msg, str):
            return msg.strip()
    msg = body.get("message")
    return msg.strip() if isinstance(msg, str) else ""


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
