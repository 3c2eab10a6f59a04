"""One request to AIQ over httpx, with every transport failure mapped to a domain error.

Split from aiq_client.py so the client reads as the endpoints. What matters for money: a failure
before anything was sent is Unreachable (safe to send again); after it may have been sent, a
call that moves points gets OutcomeUnknown, never "failed" (the rule is
``domain/journal_rules.failed_after_sending``).
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import httpx

from budtender_app.domain import errors, json_wire
from budtender_app.domain.journal_rules import failed_after_sending
from budtender_app.domain.origin import DEFAULT_PORTS, same_origin
from budtender_app.services.aiq_config import AiqConfig

log = logging.getLogger("budtender_app.services.aiq_client")


@dataclass(frozen=True, slots=True)
class Words:
    """The cashier's words for one points call: AIQ busy, AIQ refused, answer unclear."""

    busy: str
    refused: str
    unknown: str  # formatted with ``status``


def origin_of(url: httpx.URL) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) as httpx will connect, default port filled in; None if not http(s)."""
    scheme = url.scheme.lower()
    if scheme not in DEFAULT_PORTS or not url.host:
        return None
    return scheme, url.host.lower(), url.port if url.port is not None else DEFAULT_PORTS[scheme]


def build_request(http: httpx.AsyncClient, config: AiqConfig, method: str, url: str,
                  payload: object) -> httpx.Request:
    """The request, checked to go to the base URL's origin before the key is put on it."""
    try:
        if payload is None:
            request = http.build_request(method, url)
        else:  # money stays Decimal to the wire (domain/json_wire.py), never a float; httpx's own layout
            body = json_wire.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            request = http.build_request(method, url, content=body, headers={"Content-Type": "application/json"})
        target, allowed = origin_of(request.url), origin_of(httpx.URL(config.base_url))
    except (httpx.InvalidURL, ValueError, TypeError):
        target = allowed = None
    allowed_ok = target is not None and target == allowed
    # Both parsers must agree: httpx's (where it connects) and the domain rule's.
    if not (allowed_ok and same_origin(config.base_url, str(request.url))):
        raise errors.RefusedToSend(
            "The terminal refused to send this to an address other than this store's AIQ; "
            "nothing was sent. Ask a manager to check the AIQ address in settings.")
    request.headers["X-APIKEY"] = config.api_key
    request.headers["Accept"] = "application/json"
    return request


async def transmit(http: httpx.AsyncClient, request: httpx.Request, *, mutating: bool,
                   limit: int | None = None) -> httpx.Response:
    """Send ``request`` (never following a redirect: it would carry the key elsewhere). Its URL
    was checked to be the base URL's http(s) origin, so httpx never refuses the scheme. With
    ``limit``, an answer longer than ``limit`` bytes is BadResponse, cut off as it comes in."""
    method = request.method
    try:
        if limit is None:
            return await http.send(request, follow_redirects=False)
        response = await http.send(request, follow_redirects=False, stream=True)
        try:
            await _read_at_most(response, limit)
        finally:
            await response.aclose()
        return response
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        if _is_certificate_error(exc):
            raise errors.CertificateProblem(
                "AIQ's security certificate was refused. Check the computer's date and "
                "the base URL, or ask IT about a proxy."
            ) from None
        raise errors.Unreachable("Cannot reach AIQ. Check the internet connection and try again.") from None
    except httpx.PoolTimeout:
        raise errors.Unreachable("AIQ is not answering. Try again.") from None
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        log.warning("AIQ %s failed after sending: %s", method, type(exc).__name__)
        raise failed_after_sending(moves_points=mutating) from None
    except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
        # Anything else (an answer that cannot be decoded, a protocol error mid-way) may come
        # after AIQ acted: for a change of points that is "unknown", never "not sent".
        log.warning("AIQ %s failed: %s", method, type(exc).__name__)
        raise failed_after_sending(moves_points=mutating, unreadable=True) from None


async def _read_at_most(response: httpx.Response, limit: int) -> None:
    """Keep at most ``limit`` bytes of the answer. The rest is read and dropped, not left unread:
    leaving httpx's nested stream generators half-read leaves them to be closed by the collector,
    with no loop (the deadline still bounds how long an endless answer is read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
    if size > limit:
        log.warning("AIQ %s answered more than %d bytes: not read", response.request.method, limit)
        raise errors.BadResponse("AIQ's answer was far too long to be one; it was not read. Try again.")
    response._content = b"".join(chunks)  # what httpx's own read() keeps: .json() reads it


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
