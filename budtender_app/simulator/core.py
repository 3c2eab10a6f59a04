"""The simulated AIQ: the endpoints of ../shared/AIQ-API.md over in-memory state.

Pure Python (no Qt, no httpx) so one core serves both demo mode (through an httpx transport,
in-process) and the tests (over real HTTP). Every public method is thread-safe: the HTTP server
calls ``handle`` from one thread per connection, and one lock around the state makes each
request a single step.
"""

from __future__ import annotations

import copy
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote

from budtender_app.simulator import routes
from budtender_app.simulator.faults import TrainingFaults
from budtender_app.simulator.records import ENVELOPE, Adjustment, Redemption, RequestRecord, SimFailure, error_envelope
from budtender_app.simulator.seed import (
    DEMO_API_KEY,
    DEMO_PHONE,
    DEMO_PHONE_HIDDEN,
    DEMO_PHONE_NEW,
    DEMO_UID,
    demo_shoppers,
)
from budtender_app.simulator.state import SimulatedAiq

__all__ = [
    "DEMO_API_KEY", "DEMO_PHONE", "DEMO_PHONE_HIDDEN", "DEMO_PHONE_NEW", "DEMO_UID", "ENVELOPE",
    "REFUSAL_CASES", "WRONG_PIN_SHAPES", "Adjustment", "Redemption", "RequestRecord", "Simulator",
]

_TEN_DIGITS = re.compile(r"\d{10}")

#: What Simulator.answer_with can reshape: a wrong or expired PIN on E2, no such member on E1/E3.
REFUSAL_CASES = frozenset({"wrong_pin", "unknown_member"})
#: Answers to a wrong PIN seen from AIQ and the services in front of it (../shared/AIQ-API.md:
#: "401 and 400 are both seen for a wrong code"). name -> (status, body) for answer_with.
WRONG_PIN_SHAPES: dict[str, tuple[int, Any]] = {
    "400 envelope": (400, ENVELOPE),
    "400 text": (400, b"Bad Request"),
    "401 message": (401, {"success": False, "message": "Invalid code"}),
    "401 unauthorized": (401, {"error": "Unauthorized"}),
    "401 empty": (401, None),
    "404 errors": (404, {"success": False, "errors": [{"message": "Contact or code not found"}]}),
    "404 html": (404, b"<html><body><h1>404 Not Found</h1></body></html>"),
}


def _random_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


class Simulator:
    """A fake AIQ account with members, wallets, PINs and redemptions."""

    def __init__(
        self,
        api_key: str = DEMO_API_KEY,
        uid: str = DEMO_UID,
        base_url: str = "https://simulator.invalid",
        pin_source: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
        seed: bool = True,
    ) -> None:
        #: Compared on every request; never stored anywhere else (request records keep a bool).
        self.api_key = api_key
        #: Called with (phone digits, PIN) each time a PIN is "texted", outside the lock, on the
        #: thread that handled the request.
        self.on_pin_sent: Callable[[str, str], None] | None = None
        #: Called with what a feed received, in words ("received sale POS-1001, $42.00, 1 line"),
        #: like ``on_pin_sent``: outside the lock, on the thread that handled the request.
        self.on_feed_received: Callable[[str], None] | None = None
        #: The problem a trainer armed (training's in-process transport acts on it; kept across reset).
        self.faults = TrainingFaults()
        self._uid = uid
        self._base_url = base_url
        self._pin_source = pin_source or _random_pin
        self._clock = clock
        self._seed = seed
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[int, Any]] = {}
        self._state = self._fresh_state()

    @property
    def uid(self) -> str:
        """The account UID the v1.1 paths must carry."""
        return self._uid

    @property
    def base_url(self) -> str:
        """Where redemption URLs point. Read when a wallet is served, so the HTTP server can set
        it to its real port after binding."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        with self._lock:
            self._base_url = self._state.base_url = value

    # -- the HTTP face ---------------------------------------------------------------------

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        fault: int | str | None = None,
        record: bool = True,
        texts: bool = True,
    ) -> tuple[int, object | None]:
        """Answer one request: ``target`` is path + query. Returns (status, JSON-able body).

        ``fault`` labels the request record (the server's fault injection); ``record=False``
        processes a request already recorded (a hung request answered late); ``texts=False``
        issues a PIN whose text never arrives (``on_pin_sent`` is not called: training's lost SMS).
        """
        method = method.upper()
        raw_path, _, query = target.partition("?")
        authorized, key_ok = _check_auth(headers, self.api_key)
        parsed, malformed = _parse_json(body)
        with self._lock:
            state = self._state
            if record:
                state.requests.append(RequestRecord(method, unquote(raw_path), parsed, key_ok, fault, query))
            answer = _answer(state, method, raw_path, query, (parsed, malformed), authorized)
            texted, state.texted = state.texted, []
            received, state.received = state.received, []
        # Outside the lock: the callback may well read the simulator (last_pin, points_of).
        callback = self.on_pin_sent if texts else None
        for phone, pin in texted:
            if callback is not None:
                callback(phone, pin)
        for words in received:
            if self.on_feed_received is not None:
                self.on_feed_received(words)
        return answer

    def record(self, method: str, target: str, headers: Mapping[str, str], body: bytes, *,
               fault: int | str) -> None:
        """Record a request that a fault stops from reaching ``handle`` (nothing else changes)."""
        raw_path, _, query = target.partition("?")
        parsed, _ = _parse_json(body)
        _, key_ok = _check_auth(headers, self.api_key)
        with self._lock:
            self._state.requests.append(
                RequestRecord(method.upper(), unquote(raw_path), parsed, key_ok, fault, query)
            )

    # -- inspection and set-up for tests -----------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request so far, oldest first (a copy). Keys are never stored, only whether ok."""
        with self._lock:
            return list(self._state.requests)

    @property
    def redemptions(self) -> list[Redemption]:
        """Every redemption so far, oldest first (a copy)."""
        with self._lock:
            return list(self._state.redemptions)

    @property
    def adjustments(self) -> list[Adjustment]:
        """Every E10 points adjustment so far (a copy)."""
        with self._lock:
            return list(self._state.adjustments)

    @property
    def sales(self) -> dict[str, dict[str, Any]]:
        """F1: every sale received, keyed by ``pos_id`` (the newest body of each; a copy)."""
        with self._lock:
            return copy.deepcopy(self._state.sales)

    @property
    def feed_members(self) -> list[dict[str, Any]]:
        """F2/F4: every member object received, in order, its phone as AIQ stored it (a copy)."""
        with self._lock:
            return copy.deepcopy(self._state.feed_members)

    @property
    def inventory(self) -> dict[str, dict[str, Any]]:
        """F3: every inventory item received, keyed by ``sku`` (else ``productId``; a copy)."""
        with self._lock:
            return copy.deepcopy(self._state.inventory)

    @property
    def feed_events(self) -> list[tuple[str, str]]:
        """What the feeds received in order: ("sale", pos_id), ("member", contactID),
        ("inventory", item count); a trainer's "a sale arrived" reads this."""
        with self._lock:
            return list(self._state.feed_events)

    def points_of(self, phone: str) -> int:
        """The real balance of the member with ``phone`` (even when the wallet hides it)."""
        with self._lock:
            return self._state.known_member(phone).points

    def contact_id_of(self, phone: str) -> str:
        """The contactID of the member with ``phone``."""
        with self._lock:
            return self._state.known_member(phone).contact_id

    def last_pin(self, phone: str) -> str | None:
        """The newest PIN texted to ``phone``, or None."""
        with self._lock:
            issued = self._state.pins.get(phone)
            return None if issued is None else issued[0]

    def redemption_url(self, phone: str, discount_id: str) -> str:
        """The redemption URL the wallet gives ``phone`` for ``discount_id``."""
        with self._lock:
            return self._state.redemption_url(self._state.known_member(phone), discount_id)

    def add_shopper(
        self,
        phone: str,
        *,
        first_name: str = "Test",
        last_name: str = "Shopper",
        email: str = "",
        points: int = 0,
        hide_points: bool = False,
        discounts: Sequence[Mapping[str, Any]] = (),
        raw_templates: Sequence[Any] = (),
        wallet_extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Add a member; returns the contactID.

        ``discounts`` are laid over a well-formed template (so give only what matters) and get
        a working redemption URL unless they carry their own ``redemptionURL``.
        ``raw_templates`` go into the wallet exactly as given (missing fields, wrong types) and
        ``wallet_extra`` is laid over the wallet's top level last (e.g. ``loyaltyPoints: "lots"``).
        """
        if not (isinstance(phone, str) and _TEN_DIGITS.fullmatch(phone)):
            raise ValueError("phone must be 10 digits")
        with self._lock:
            return self._state.add_shopper(
                phone, first_name=first_name, last_name=last_name, email=email, points=points,
                hide_points=hide_points, discounts=discounts, raw_templates=raw_templates,
                wallet_extra=wallet_extra,
            ).contact_id

    def answer_with(self, case: str, status: int, body: Any = ENVELOPE) -> None:
        """Answer ``case`` (REFUSAL_CASES) with ``status`` and ``body`` from now on (kept across
        reset): ENVELOPE is AIQ's error envelope, None no body, ``bytes`` a raw text/html body.
        E.g. ``answer_with("wrong_pin", *WRONG_PIN_SHAPES["401 empty"])``."""
        if case not in REFUSAL_CASES:
            raise ValueError(f"unknown case {case!r}")
        if not (isinstance(status, int) and 400 <= status <= 499):
            raise ValueError("a refusal is a 4xx status")
        with self._lock:
            self._answers[case] = (status, body)
            self._state.answers = dict(self._answers)

    def reset(self) -> None:
        """Forget everything (requests too) and re-seed the demo shoppers if seeding."""
        state = self._fresh_state()
        with self._lock:
            self._state = state

    def _fresh_state(self) -> SimulatedAiq:
        # Built whole before it is swapped in, so no request ever sees a half-seeded account.
        state = SimulatedAiq(self._uid, self._base_url, self._clock, self._pin_source)
        state.answers = dict(self._answers)
        if self._seed:
            for shopper in demo_shoppers(self._clock()):
                state.add_shopper(**shopper)
        return state


def _answer(state: SimulatedAiq, method: str, raw_path: str, query: str, body: tuple[Any, bool],
            authorized: bool) -> tuple[int, object]:
    if not authorized:
        return 403, _error("Invalid API key")
    parsed, malformed = body
    segments = [unquote(part) for part in raw_path.split("/")[1:]]
    try:
        handler, args = routes.match(method, segments)
        if malformed:
            raise SimFailure(400, "Malformed JSON body")
        params = {key: values[0] for key, values in parse_qs(query).items()}
        data = handler(state, args, params, parsed)
    except SimFailure as failure:
        return failure.status, failure.payload()
    return 200, {"success": True, "data": data}


def _check_auth(headers: Mapping[str, str], api_key: str) -> tuple[bool, bool]:
    """(authorized, key_ok). AIQ refuses Bearer tokens even next to a good key."""
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    key_ok = hmac.compare_digest(lowered.get("x-apikey", "").encode(), api_key.encode())
    bearer = lowered.get("authorization", "").strip().lower().startswith("bearer")
    return key_ok and not bearer, key_ok


def _parse_json(body: bytes) -> tuple[Any, bool]:
    """(parsed body or None, malformed?)."""
    if not body or not body.strip():
        return None, False
    try:
        return json.loads(body), False
    except (ValueError, UnicodeDecodeError):
        return None, True


def _error(message: str) -> dict[str, Any]:
    return error_envelope(message)
