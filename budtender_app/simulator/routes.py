"""The simulated AIQ's endpoints (E1..E11 of ../shared/AIQ-API.md), one function each;
the feeds F1..F4 are in feeds.py.

Each handler gets the account state (the Simulator's lock held), the path's wildcard segments
(percent-decoded), the query parameters and the parsed JSON body; it returns the ``data`` of a
success or raises SimFailure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from budtender_app.simulator import feeds
from budtender_app.simulator.records import Contact, SimFailure
from budtender_app.simulator.seed import PIN_LIFETIME_SECONDS, welcome_gift
from budtender_app.simulator.state import SimulatedAiq

Handler = Callable[[SimulatedAiq, list[str], dict[str, str], Any], Any]

_TEN_DIGITS = re.compile(r"\d{10}")
_INT = re.compile(r"-?\d{1,12}")

CONTACT_NOT_FOUND = "Contact not found"
BAD_CODE = "Invalid or expired code"


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SimFailure(400, "Expected a JSON object")
    return body


def _phone(body: dict[str, Any], key: str = "phone") -> str:
    phone = body.get(key)
    if not (isinstance(phone, str) and _TEN_DIGITS.fullmatch(phone)):
        raise SimFailure(400, "Phone must be 10 digits")
    return phone


def _member(state: SimulatedAiq, phone: str) -> Contact:
    contact = state.member_by_phone(phone)
    if contact is None or not contact.loyalty:
        raise state.failure("unknown_member", CONTACT_NOT_FOUND)
    return contact


def _check_uid(state: SimulatedAiq, uid: str) -> None:
    if uid != state.uid:
        raise SimFailure(404, "Unknown account")


def _whole(text: str | None, what: str) -> int:
    if text is None or not _INT.fullmatch(text):
        raise SimFailure(400, f"{what} must be a whole number")
    return int(text)


# -- E1, E2, E3: the wallet --------------------------------------------------------------------

def verify_wallet(state: SimulatedAiq, args, params, body) -> Any:
    """E1: text a new PIN (the old one stops working)."""
    phone = _phone(_object(body))
    _member(state, phone)
    state.text_pin(phone)
    return {"sent": True}


def view_wallet(state: SimulatedAiq, args, params, body) -> Any:
    """E2: the wallet, for the newest PIN while it is under 10 minutes old."""
    body = _object(body)
    phone = _phone(body)
    code = body.get("code")
    if not isinstance(code, str):
        # A number would lose a PIN's leading zero: AIQ wants the code as a string.
        raise state.failure("wrong_pin", BAD_CODE)
    contact = state.member_by_phone(phone)
    if contact is None or not state.pin_matches(phone, code, PIN_LIFETIME_SECONDS):
        raise state.failure("wrong_pin", BAD_CODE)
    return state.wallet_data(contact)


def wallet(state: SimulatedAiq, args, params, body) -> Any:
    """E3: the wallet without a PIN, by phone and/or email."""
    body = _object(body)
    if body.get("phone") is not None:
        return state.wallet_data(_member(state, _phone(body)))
    email = body.get("email")
    contact = state.member_by_email(email) if isinstance(email, str) and email.strip() else None
    if contact is None or not contact.loyalty:
        raise state.failure("unknown_member", CONTACT_NOT_FOUND)
    return state.wallet_data(contact)


# -- E4: redeem ----------------------------------------------------------------------------

def redeem(state: SimulatedAiq, args, params, body) -> Any:
    """E4: take the points at once and record the redemption."""
    uid, discount_id, token, transaction_id = args
    if not transaction_id:
        raise SimFailure(400, "Missing transaction id")
    _check_uid(state, uid)
    owner = state.token_owner(token)
    if owner is None or owner[1] != discount_id:
        raise SimFailure(404, "Unknown discount")
    contact, _ = owner
    template = next(t for t in contact.discounts if str(t.get("id")) == discount_id)
    reusable = template.get("reusable") is True
    if not reusable and discount_id in contact.redeemed:
        raise SimFailure(409, "Already redeemed")
    _check_redeemable(state, template)
    cost = template.get("pointsDeduction")
    cost = cost if isinstance(cost, int) and not isinstance(cost, bool) else 0
    if contact.points < cost:
        raise SimFailure(400, "Insufficient points")
    contact.points -= cost
    if not reusable:
        contact.redeemed.add(discount_id)
    return {"id": state.add_redemption(contact, discount_id, transaction_id, cost)}


def redeem_without_transaction(state: SimulatedAiq, args, params, body) -> Any:
    """E4 with the URL ending at the token: native POS redemptions must append the ID."""
    raise SimFailure(400, "Missing transaction id")


def _check_redeemable(state: SimulatedAiq, template: dict[str, Any]) -> None:
    if template.get("available") is False:
        raise SimFailure(400, "Discount not available")
    expiration = template.get("expiration")
    if isinstance(expiration, (int, float)) and 0 < expiration <= state.clock():
        raise SimFailure(400, "Discount expired")
    if template.get("inStoreRedemption") is False:
        raise SimFailure(400, "Discount is for online orders only")


# -- E5, E6, E7: members --------------------------------------------------------------------

def signup(state: SimulatedAiq, args, params, body) -> Any:
    """E5: a new member with 0 points and the welcome gift; an existing one is returned as is."""
    body = _object(body)
    raw_phone = body.get("mobilePhone")
    # AIQ's real quirk: an invalid phone is stored blank, and the contact is still created.
    phone = raw_phone if isinstance(raw_phone, str) and _TEN_DIGITS.fullmatch(raw_phone) else ""
    email = body.get("email").strip().lower() if isinstance(body.get("email"), str) else ""
    loyalty = body.get("loyalty") is not False
    existing = (phone and state.member_by_phone(phone)) or (email and state.member_by_email(email))
    if existing:
        existing.loyalty = existing.loyalty or loyalty
        return {"contactID": existing.contact_id, "srcID": existing.src_id}
    contact = state.new_contact(
        phone=phone, email=email, first_name=_str(body, "firstName"), last_name=_str(body, "lastName"),
        points=0, loyalty=loyalty, discounts=[welcome_gift(state.next_discount_id(), state.clock())],
    )
    return {"contactID": contact.contact_id, "srcID": contact.src_id}


def _str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value.strip() if isinstance(value, str) else ""


def lookup(state: SimulatedAiq, args, params, body) -> Any:
    """E6: loyalty status of a phone or email (``loyalty: false`` for a stranger)."""
    term = args[0].strip()
    if "@" in term:
        contact = state.member_by_email(term)
    else:
        digits = re.sub(r"\D", "", term)
        contact = state.member_by_phone(digits) if len(digits) == 10 else None
    if contact is None:
        return {"loyalty": False}
    return {"loyalty": contact.loyalty, "contactID": contact.contact_id}


def piis(state: SimulatedAiq, args, params, body) -> Any:
    """E7: contacts matching ``search`` (phone, email or name); ``results`` is null for none."""
    _check_uid(state, args[0])
    limit = _whole(params.get("limit", "10"), "limit")
    term = params.get("search", "").strip().lower()
    found = [c for c in state.contacts.values() if _matches(c, term)][: max(limit, 0)]
    results = [
        {"contactID": c.contact_id, "mobilePhone": c.phone, "email": c.email, "firstName": c.first_name,
         "lastName": c.last_name, "loyalty": c.loyalty, "loyaltyPoints": c.points}
        for c in found
    ]
    return {"results": results or None}


def _matches(contact: Contact, term: str) -> bool:
    fields = (contact.phone, contact.email, contact.first_name.lower(), contact.last_name.lower())
    return any(term in value for value in fields if value)


# -- E10, E11: after the sale --------------------------------------------------------------

def adjust_points(state: SimulatedAiq, args, params, body) -> Any:
    """E10: add (or take) points, e.g. a re-credit after a voided sale."""
    uid, contact_id = args
    _check_uid(state, uid)
    contact = state.contacts.get(contact_id)
    if contact is None:
        raise SimFailure(404, CONTACT_NOT_FOUND)
    body = _object(body)
    value, note = body.get("value"), body.get("note", "")
    if not isinstance(value, int) or isinstance(value, bool):
        raise SimFailure(400, "value must be a whole number")
    if not isinstance(note, str):
        raise SimFailure(400, "note must be text")
    if contact.points + value < 0:
        raise SimFailure(400, "Insufficient points")
    contact.points += value
    state.add_adjustment(contact, value, note)
    return {"contactID": contact.contact_id, "loyaltyPoints": contact.points}


def redemptions(state: SimulatedAiq, args, params, body) -> Any:
    """E11: redemptions whose time is in [start, end] (epoch seconds, both ends included)."""
    uid, start, end = args
    _check_uid(state, uid)
    return [r.as_aiq() for r in state.redemptions_between(_whole(start, "start"), _whole(end, "end"))]


# -- routing -------------------------------------------------------------------------------

_ROUTES: tuple[tuple[str, tuple[str, ...], Handler], ...] = tuple(
    (method, tuple(pattern.split("/")), handler)
    for method, pattern, handler in (
        ("POST", "api/v2/verify/contact/wallet", verify_wallet),
        ("POST", "api/v2/view/contact/wallet", view_wallet),
        ("POST", "api/v2/wallet", wallet),
        ("PUT", "api/v1.1/discount/redeem/*/*/*/*", redeem),
        ("PUT", "api/v1.1/discount/redeem/*/*/*", redeem_without_transaction),
        ("POST", "api/v2/loyalty", signup),
        ("GET", "api/v2/loyalty/lookup/*", lookup),
        ("GET", "api/v1.1/piis/*", piis),
        ("PUT", "api/v1.1/adjust/loyaltyPoints/*/*", adjust_points),
        ("GET", "api/v1.1/redemptions/*/*/*", redemptions),
        ("POST", "api/v1.1/createUpdateSale/*", feeds.create_update_sale),
        ("POST", "api/v1.1/createUpdateMember/*", feeds.create_update_member),
        ("POST", "api/v1.1/createUpdateMembers/*", feeds.create_update_members),
        ("POST", "api/v1.1/createUpdateInventory/*", feeds.create_update_inventory),
    )
)


def match(method: str, segments: list[str]) -> tuple[Handler, list[str]]:
    """The handler and wildcard values for a decoded path; SimFailure 404 / 405 otherwise.

    Segments are split before decoding, so an encoded "/" inside a transaction ID stays in its
    segment, and an unencoded one adds a segment and fails to match, as it would on AIQ.
    """
    path_known = False
    for route_method, pattern, handler in _ROUTES:
        if len(pattern) != len(segments):
            continue
        if all(p == "*" or p == s for p, s in zip(pattern, segments, strict=True)):
            if route_method == method:
                return handler, [s for p, s in zip(pattern, segments, strict=True) if p == "*"]
            path_known = True
    if path_known:
        raise SimFailure(405, "Method not allowed")
    raise SimFailure(404, "Not found")
