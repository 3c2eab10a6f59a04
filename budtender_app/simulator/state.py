"""The simulated AIQ account's data and the small operations the endpoints share.

Not thread-safe by itself: ``Simulator`` holds its one lock around every use, so the endpoint
functions in routes.py can read and change several things as one step.
"""

from __future__ import annotations

import copy
import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from budtender_app.simulator.records import ENVELOPE, Adjustment, Contact, Redemption, RequestRecord, SimFailure
from budtender_app.simulator.seed import make_template


class SimulatedAiq:
    """Members, their tokens and PINs, and what happened (requests, redemptions, adjustments)."""

    def __init__(self, uid: str, base_url: str, clock: Callable[[], float], pin_source: Callable[[], str]) -> None:
        self.uid = uid
        self.base_url = base_url
        self.clock = clock
        self.pin_source = pin_source
        self.requests: list[RequestRecord] = []
        self.redemptions: list[Redemption] = []
        self.adjustments: list[Adjustment] = []
        self.contacts: dict[str, Contact] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # URL token -> (contact id, discount id)
        self.pins: dict[str, tuple[str, float]] = {}  # phone -> (newest PIN, when issued)
        #: (phone, PIN) texted during the current request; Simulator announces them unlocked.
        self.texted: list[tuple[str, str]] = []
        #: case ("wrong_pin", "unknown_member") -> (status, body) to answer it with; see
        #: Simulator.answer_with. Absent: 400 with AIQ's error envelope.
        self.answers: dict[str, tuple[int, Any]] = {}
        #: What the feeds (simulator/feeds.py) received: sales by pos_id, members as sent (the
        #: phone as AIQ stored it), inventory by sku/productId, and (kind, key) in arrival order.
        self.sales: dict[str, dict[str, Any]] = {}
        self.feed_members: list[dict[str, Any]] = []
        self.inventory: dict[str, dict[str, Any]] = {}
        self.feed_events: list[tuple[str, str]] = []
        #: What the feeds received during the current request, in words ("received sale POS-1001,
        #: $42.00, 1 line"); Simulator announces them unlocked (a trainer sees a sale arrive).
        self.received: list[str] = []
        self._contact_count = self._redemption_count = self._discount_count = 0

    # -- PINs ---------------------------------------------------------------------------------

    def text_pin(self, phone: str) -> None:
        """Issue a new PIN for ``phone``, replacing the last one, and queue the "text"."""
        pin = str(self.pin_source())
        self.pins[phone] = (pin, self.clock())
        self.texted.append((phone, pin))

    def pin_matches(self, phone: str, code: str, lifetime: float) -> bool:
        """True when ``code`` is the newest PIN for ``phone`` and younger than ``lifetime``."""
        issued = self.pins.get(phone)
        if issued is None or self.clock() - issued[1] >= lifetime:
            return False
        return hmac.compare_digest(issued[0].encode(), code.encode())

    def failure(self, case: str, message: str) -> SimFailure:
        """The refusal for ``case``, in the shape set with Simulator.answer_with."""
        status, body = self.answers.get(case, (400, ENVELOPE))
        return SimFailure(status, message, body=body)

    # -- members ------------------------------------------------------------------------------

    def member_by_phone(self, phone: str) -> Contact | None:
        return next((c for c in self.contacts.values() if c.phone and c.phone == phone), None)

    def member_by_email(self, email: str) -> Contact | None:
        email = email.strip().lower()
        return next((c for c in self.contacts.values() if c.email and c.email == email), None)

    def known_member(self, phone: str) -> Contact:
        contact = self.member_by_phone(phone)
        if contact is None:
            raise KeyError("no member with that phone")  # no phone in the message: it may be logged
        return contact

    def new_contact(self, **fields: Any) -> Contact:
        """Create a contact; each of its ``discounts`` gets a token so its URL can be redeemed."""
        self._contact_count += 1
        contact = Contact(contact_id=f"C{1000 + self._contact_count}", **fields)
        for template in contact.discounts:
            token = secrets.token_urlsafe(12)
            contact.tokens[str(template.get("id"))] = token
            self.tokens[token] = (contact.contact_id, str(template.get("id")))
        self.contacts[contact.contact_id] = contact
        return contact

    def add_shopper(self, phone: str, *, email: str = "", discounts: Sequence[Mapping[str, Any]] = (),
                    raw_templates: Sequence[Any] = (), wallet_extra: Mapping[str, Any] | None = None,
                    **fields: Any) -> Contact:
        """See Simulator.add_shopper."""
        if self.member_by_phone(phone) is not None:
            raise ValueError("a member already has that phone")
        templates = []
        for given in discounts:
            discount_id = str(given.get("id") or self.next_discount_id())
            base = make_template(discount_id, "Test discount", points=0, dollar=5)
            # A given "id" wins even when odd (None, a number): tests use that for bad wallets.
            templates.append({**base, **copy.deepcopy(dict(given)), "id": given.get("id", discount_id)})
        return self.new_contact(
            phone=phone, email=email.strip().lower(), discounts=templates,
            raw_templates=copy.deepcopy(list(raw_templates)),
            wallet_extra=copy.deepcopy(dict(wallet_extra or {})), **fields,
        )

    def next_discount_id(self) -> str:
        self._discount_count += 1
        return f"d{self._discount_count}"

    # -- wallets and redemptions ------------------------------------------------------------

    def token_owner(self, token: str) -> tuple[Contact, str] | None:
        """(contact, discount id) a redemption URL token was issued for, or None."""
        owner = self.tokens.get(token)
        return None if owner is None else (self.contacts[owner[0]], owner[1])

    def redemption_url(self, contact: Contact, discount_id: str) -> str:
        token = contact.tokens.get(discount_id)
        if token is None:
            raise KeyError(discount_id)
        return (
            f"{self.base_url.rstrip('/')}/api/v1.1/discount/redeem/"
            f"{quote(self.uid, safe='')}/{quote(discount_id, safe='')}/{token}"
        )

    def wallet_data(self, contact: Contact) -> dict[str, Any]:
        """The ``data`` of E2/E3: used-up single-use discounts are gone, reusable ones stay."""
        templates = []
        for template in contact.discounts:
            discount_id = str(template.get("id"))
            if template.get("reusable") is not True and discount_id in contact.redeemed:
                continue
            shown = copy.deepcopy(template)
            shown.setdefault("redemptionURL", self.redemption_url(contact, discount_id))
            templates.append(shown)
        templates += copy.deepcopy(contact.raw_templates)
        data = {
            "contactID": contact.contact_id,
            "loyaltyPoints": 0 if contact.hide_points else contact.points,
            "hidePointsInWallet": contact.hide_points,
            "discountTemplates": templates,
            # Extra fields real AIQ may send: clients must tolerate them.
            "tier": "Gold",
            "firstName": contact.first_name,
            "optIns": {"sms": True, "email": False},
        }
        data.update(copy.deepcopy(contact.wallet_extra))
        return data

    def add_redemption(self, contact: Contact, discount_id: str, transaction_id: str, points: int) -> str:
        """Record a redemption; returns its id ("r-0001", ...)."""
        self._redemption_count += 1
        redemption_id = f"r-{self._redemption_count:04d}"
        self.redemptions.append(Redemption(
            redemption_id, self.uid, discount_id, contact.contact_id, transaction_id, points, self.clock()
        ))
        return redemption_id

    def add_adjustment(self, contact: Contact, value: int, note: str) -> None:
        self.adjustments.append(Adjustment(contact.contact_id, value, note, self.clock()))

    def redemptions_between(self, start: int, end: int) -> list[Redemption]:
        return [r for r in self.redemptions if start <= int(r.created) <= end]
