"""What the simulated AIQ remembers, as plain frozen records tests can compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A SimFailure body meaning "AIQ's usual error envelope with the failure's message".
ENVELOPE: Any = object()


def error_envelope(message: str) -> dict[str, Any]:
    """AIQ's error body: ``{"success": false, "message": ..., "errors": [{"message": ...}]}``."""
    return {"success": False, "message": message, "errors": [{"message": message}]}


class SimFailure(Exception):
    """An endpoint's refusal: becomes ``{"success": false, "message": ...}`` with ``status``.

    ``body`` replaces that envelope: any JSON-able value, None (no body at all) or ``bytes``
    (sent as they are, as text/html: a proxy's page, say).
    """

    def __init__(self, status: int, message: str, *, body: Any = ENVELOPE) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body

    def payload(self) -> Any:
        """The body to answer with."""
        return error_envelope(self.message) if self.body is ENVELOPE else self.body


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the simulator saw it. The API key itself is never kept, only ``api_key_ok``."""

    method: str
    #: The URL path, percent-decoded (a transaction ID "A/B" shows as ".../A/B").
    path: str
    #: The parsed JSON body, or None (no body, or not JSON).
    json: Any
    api_key_ok: bool
    #: The injected fault this request met (an HTTP status or a kind such as "hang"), or None.
    fault: int | str | None = None
    #: The raw query string ("" when none).
    query: str = ""


@dataclass(frozen=True, slots=True)
class Redemption:
    """One E4 redemption; ``created`` is the simulator clock's epoch seconds."""

    id: str
    uid: str
    discount_id: str
    contact_id: str
    transaction_id: str
    points: int
    created: float

    def as_aiq(self) -> dict[str, Any]:
        """The record as E11 lists it."""
        return {
            "id": self.id,
            "discountID": self.discount_id,
            "contactID": self.contact_id,
            "transactionID": self.transaction_id,
            "pointsDeduction": self.points,
            "created": int(self.created),
        }


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One E10 points adjustment (a re-credit after a void, say)."""

    contact_id: str
    value: int
    note: str
    created: float


@dataclass
class Contact:
    """One AIQ contact as the simulator keeps it (internal; tests read it through helpers)."""

    contact_id: str
    phone: str  # "" when AIQ stored an invalid phone blank
    email: str
    first_name: str
    last_name: str
    points: int
    hide_points: bool = False
    loyalty: bool = True
    discounts: list[dict[str, Any]] = field(default_factory=list)
    raw_templates: list[Any] = field(default_factory=list)
    wallet_extra: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # discount id -> URL token
    redeemed: set[str] = field(default_factory=set)  # non-reusable discount ids used up

    @property
    def src_id(self) -> str:
        return f"sim-{self.contact_id}"
