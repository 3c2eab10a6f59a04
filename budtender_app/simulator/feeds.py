"""The simulated AIQ's feed endpoints (F1..F4 of ../shared/AIQ-API.md "Feeds").

What real AIQ does, as far as the contract knows it: a sale is keyed by ``pos_id`` (a resend
updates it), a member is matched by phone or email (duplicates are ignored), inventory comes as
an array of at most 100 items each with ``sku`` or ``productId``, and an invalid phone is
stored blank (the contact is still created). Everything received is kept (deep copies) in the
account state, so tests and a trainer can see a sale arrive.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from budtender_app.simulator.records import SimFailure
from budtender_app.simulator.state import SimulatedAiq

#: The most items one createUpdateInventory call takes (CONFIRMED).
INVENTORY_BATCH_LIMIT = 100

_TEN_DIGITS = re.compile(r"\d{10}")


def _check_uid(state: SimulatedAiq, uid: str) -> None:
    if uid != state.uid:
        raise SimFailure(404, "Unknown account")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    return str(value).strip() if isinstance(value, (str, int)) else ""


def create_update_sale(state: SimulatedAiq, args, params, body) -> Any:
    """F1: add or update one sale, keyed by ``visit.pos_id``."""
    _check_uid(state, args[0])
    if not isinstance(body, dict) or not isinstance(body.get("visit"), dict):
        raise SimFailure(400, "Expected a visit object")
    visit = body["visit"]
    pos_id = _text(visit.get("pos_id"))
    if not pos_id:
        raise SimFailure(400, "visit.pos_id is required")
    lines = visit.get("visit_details_attributes", [])
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise SimFailure(400, "visit_details_attributes must be a list of objects")
    total = visit.get("transaction_total")
    if isinstance(total, bool) or not isinstance(total, (int, float)):
        raise SimFailure(400, "transaction_total must be a number")
    kept = copy.deepcopy(body)
    member = kept.get("member")
    if isinstance(member, dict) and "mobilePhone" in member:
        member["mobilePhone"] = _stored_phone(member.get("mobilePhone"))
    updated = pos_id in state.sales
    state.sales[pos_id] = kept
    state.feed_events.append(("sale", pos_id))
    state.received.append(sale_words(pos_id, total, len(lines), updated=updated))
    return {"pos_id": pos_id, "updated": updated}


def sale_words(pos_id: str, total: float, lines: int, *, updated: bool = False) -> str:
    """A sale as the trainer sees it arrive: "received sale POS-1001, $42.00, 1 line"."""
    money = Decimal(str(total)).quantize(Decimal("0.01"))
    amount = f"-${-money:,}" if money < 0 else f"${money:,}"
    what = "refund" if money < 0 else "sale"
    again = " (an update: AIQ had it)" if updated else ""
    shown = pos_id if len(pos_id) <= 40 else pos_id[:39] + "…"
    return f"received {what} {shown}, {amount}, {lines} line{'s' if lines != 1 else ''}{again}"


def create_update_member(state: SimulatedAiq, args, params, body) -> Any:
    """F2: add or update one member (``{"member": {...}}``)."""
    _check_uid(state, args[0])
    if not isinstance(body, dict) or not isinstance(body.get("member"), dict):
        raise SimFailure(400, "Expected a member object")
    stored = _store_member(state, body["member"])
    state.received.append("received 1 member")
    return stored


def create_update_members(state: SimulatedAiq, args, params, body) -> Any:
    """F4: many members at once (an array of F2's member objects)."""
    _check_uid(state, args[0])
    if not isinstance(body, list) or not all(isinstance(m, dict) for m in body):
        raise SimFailure(400, "Expected an array of member objects")
    stored = [_store_member(state, member) for member in body]
    state.received.append(f"received {len(body)} member{'s' if len(body) != 1 else ''}")
    return stored


def create_update_inventory(state: SimulatedAiq, args, params, body) -> Any:
    """F3: up to 100 items, each with ``sku`` or ``productId``; the whole call is refused if one
    item is bad (nothing of it stored)."""
    _check_uid(state, args[0])
    if not isinstance(body, list):
        raise SimFailure(400, "Expected an array of inventory items")
    if len(body) > INVENTORY_BATCH_LIMIT:
        raise SimFailure(400, f"At most {INVENTORY_BATCH_LIMIT} items per call")
    keys = []
    for index, item in enumerate(body):
        key = (_text(item.get("sku")) or _text(item.get("productId"))) if isinstance(item, dict) else ""
        if not key:
            raise SimFailure(400, f"Item {index}: sku or productId is required")
        keys.append(key)
    for key, item in zip(keys, body, strict=True):
        state.inventory[key] = copy.deepcopy(item)
    state.feed_events.append(("inventory", str(len(body))))
    state.received.append(f"received {len(body)} inventory item{'s' if len(body) != 1 else ''}")
    return []


def _stored_phone(value: Any) -> str:
    """AIQ's quirk: a phone that is not 10 digits is stored blank."""
    return value if isinstance(value, str) and _TEN_DIGITS.fullmatch(value) else ""


def _store_member(state: SimulatedAiq, member: dict[str, Any]) -> dict[str, str]:
    kept = copy.deepcopy(member)
    kept["phone_number"] = _stored_phone(member.get("phone_number"))
    email = _text(member.get("email")).lower()
    phone = kept["phone_number"]
    contact = (phone and state.member_by_phone(phone)) or (email and state.member_by_email(email)) or None
    if contact is None:
        contact = state.new_contact(
            phone=phone, email=email, first_name=_text(member.get("first_name")),
            last_name=_text(member.get("last_name")), points=0, loyalty=member.get("loyalty") is True,
        )
    elif member.get("loyalty") is True:
        contact.loyalty = True
    state.feed_members.append(kept)
    state.feed_events.append(("member", contact.contact_id))
    return {"contactID": contact.contact_id, "srcID": contact.src_id}
