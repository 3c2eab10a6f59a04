"""Loyalty at the counter beyond redeeming: status, sign-up, points adjustments, AIQ's report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from budtender_app.domain.phone import Phone


@dataclass(frozen=True, slots=True)
class LoyaltyStatus:
    member: bool
    contact_id: str = ""


@dataclass(frozen=True, slots=True)
class SignUp:
    """What E5 needs to create a loyalty member. The phone is parsed; names and email optional."""

    phone: Phone
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    favorite_store: str = ""
    favorite_store_id: int | None = None
    sms_opt_in: bool = True
    email_opt_in: bool = False

    def as_aiq(self) -> dict[str, Any]:
        body = {
            "mobilePhone": self.phone.digits, "email": self.email, "firstName": self.first_name,
            "lastName": self.last_name, "favoriteStore": self.favorite_store, "loyalty": True,
            "smsoptin": self.sms_opt_in, "emailOptIn": self.email_opt_in,
        }
        if self.favorite_store_id is not None:
            body["favoriteStoreID"] = self.favorite_store_id
        return body


@dataclass(frozen=True, slots=True)
class AiqRedemption:
    """One row of AIQ's redemptions report (E11), read tolerantly."""

    id: str
    discount_id: str
    contact_id: str
    transaction_id: str
    points: int | None
    created: datetime | None


def _str(raw: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = raw.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return ""


def parse_redemptions(data: object) -> list[AiqRedemption]:
    """E11's ``data``: a list (or ``{"results": [...]}``); rows we cannot read are left out."""
    if isinstance(data, dict):
        data = data.get("results") or data.get("redemptions") or []
    if not isinstance(data, list):
        return []
    rows = []
    for raw in data:
        if not isinstance(raw, dict):
            continue
        points = raw.get("pointsDeduction", raw.get("points"))
        created = raw.get("created", raw.get("createdAt"))
        when = None
        if isinstance(created, (int, float)) and not isinstance(created, bool) and created > 0:
            when = datetime.fromtimestamp(int(created), tz=UTC)
        rows.append(AiqRedemption(
            id=_str(raw, "id", "redemptionID"), discount_id=_str(raw, "discountID", "discountId", "templateID"),
            contact_id=_str(raw, "contactID", "contactId"),
            transaction_id=_str(raw, "transactionID", "transactionId", "posTransactionID"),
            points=points if isinstance(points, int) and not isinstance(points, bool) else None, created=when))
    return rows
