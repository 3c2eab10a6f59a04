"""The POS hands the sale to the terminal (issue 14): what a hand-off may carry, and its rules.

A hand-off comes three ways, each turned into one ``Handoff`` here:

- ``budtender-app sale --total 42.50 [--transaction T-1001] [--discount POS-5OFF ...]``
  (``from_fields``);
- a link, ``budtender://sale?total=42.50&transaction=T-1001&discount=POS-5OFF``
  (``parse_url``), which the OS hands to ``budtender-app URL``;
- the message the second process sends the running one over the per-user local socket
  (``to_wire`` / ``from_wire``, one JSON object on one line).

Rules (what is refused, with the usual messages, and changes nothing):

- the total follows the cart total's rule (``parse_money``), the transaction ID checkout's
  (``parse_transaction_id``); a POS discount ID is 1 to 64 printable characters, at most 10 of
  them, no repeats;
- a link is exactly ``budtender://sale`` with only the names above (``discount`` may repeat; the
  others once), nothing else: no user, port, path or fragment, at most 2,000 characters;
- no shopper phone in a link or on a command line (other local users see both): a ``phone`` in
  a link is refused and says why. Only the local socket may carry one (``phone``, checked by the
  counter's own phone rule when it is used);
- a hand-off only fills in: it never texts a PIN, opens a wallet or redeems by itself (the
  counter's side: viewmodels/handoff.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from budtender_app.domain.money import MoneyError, parse_money
from budtender_app.domain.redemption import TransactionIdError, parse_transaction_id

SCHEME = "budtender"
MAX_URL = 2000
MAX_WIRE = 8192  # bytes of one socket message, its newline included
MAX_DISCOUNTS = 10
MAX_DISCOUNT_ID = 64
WIRE_VERSION = 1


class HandoffError(ValueError):
    """A hand-off that is refused; the message says why in a cashier's (or IT's) words."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """What the POS handed over. ``total`` None: only raise the window (a bare second launch)."""

    total: Decimal | None = None
    transaction: str = ""
    discounts: tuple[str, ...] = ()
    phone: str = field(default="", repr=False)  # only ever from the local socket; never logged

    @property
    def raise_only(self) -> bool:
        return self.total is None and not self.transaction and not self.discounts and not self.phone


def from_fields(total: str | None, transaction: str | None = None, discounts: tuple[str, ...] | list[str] = (),
                phone: str = "") -> Handoff:
    """A hand-off from its fields as typed (command line, link, socket); HandoffError when refused."""
    if total is None or not str(total).strip():
        raise HandoffError("A hand-off needs the cart total (--total 42.50).")
    try:
        amount = parse_money(str(total))
    except MoneyError as exc:
        raise HandoffError(f"Cart total: {exc}") from None
    txid = ""
    if transaction:  # "" (a link's empty transaction=): none yet; anything else follows checkout's rule
        try:
            txid = parse_transaction_id(str(transaction))
        except TransactionIdError as exc:
            raise HandoffError(f"Transaction ID: {exc}") from None
    return Handoff(total=amount, transaction=txid, discounts=_discount_ids(discounts), phone=phone.strip())


def parse_url(url: str) -> Handoff:
    """``budtender://sale?total=…&transaction=…&discount=…`` as a Handoff; HandoffError when malformed."""
    if len(url) > MAX_URL:
        raise HandoffError(f"The link is longer than {MAX_URL} characters.")
    if not url.isprintable():
        raise HandoffError("The link has a character that cannot be typed.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise HandoffError("That is not a budtender:// link.") from None
    if parts.scheme.lower() != SCHEME:
        raise HandoffError("That is not a budtender:// link.")
    if parts.hostname != "sale" or parts.username or parts.password or port is not None or parts.path.strip("/") \
            or parts.fragment:
        raise HandoffError("A budtender link is budtender://sale?total=…; this one is not.")
    return _from_query(parts.query)


def _from_query(query: str) -> Handoff:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=40)
    except ValueError:
        raise HandoffError("The link's ?… part cannot be read.") from None
    single: dict[str, str] = {}
    discounts: list[str] = []
    for name, value in pairs:
        if name == "phone":
            raise HandoffError("A link never carries the shopper's phone (other people on this computer can "
                               "see links): type it at the counter.")
        if name == "discount":
            discounts.append(value)
        elif name in ("total", "transaction"):
            if name in single:
                raise HandoffError(f"The link names the {name} twice.")
            single[name] = value
        else:
            said = f"'{name[:20]}'" if name.isascii() and name.isalpha() else "a name"  # never a phone's digits
            raise HandoffError(f"The link has {said}, which a budtender link does not take.")
    return from_fields(single.get("total"), single.get("transaction"), discounts)


def _discount_ids(ids: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    cleaned = [str(i).strip() for i in ids]
    if len(cleaned) > MAX_DISCOUNTS:
        raise HandoffError(f"At most {MAX_DISCOUNTS} POS discount IDs in one hand-off.")
    for one in cleaned:
        if not one or len(one) > MAX_DISCOUNT_ID or not one.isprintable():
            raise HandoffError(f"A POS discount ID is 1 to {MAX_DISCOUNT_ID} printable characters.")
    if len(set(cleaned)) != len(cleaned):
        raise HandoffError("The same POS discount ID is named twice.")
    return tuple(cleaned)


def to_wire(handoff: Handoff) -> bytes:
    """One line of JSON for the local socket (a raise-only hand-off has no sale)."""
    sale = None if handoff.raise_only else {
        "total": None if handoff.total is None else str(handoff.total), "transaction": handoff.transaction,
        "discounts": list(handoff.discounts), "phone": handoff.phone}
    return json.dumps({"v": WIRE_VERSION, "sale": sale}, separators=(",", ":")).encode() + b"\n"


def from_wire(data: bytes) -> Handoff:
    """The socket's line back into a Handoff, checked as from_fields checks; HandoffError otherwise."""
    if len(data) > MAX_WIRE:
        raise HandoffError("The hand-off message is too long.")
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[…" nested past Python's limit
        raise HandoffError("The hand-off message cannot be read.") from None
    version = message.get("v") if isinstance(message, dict) else None
    if type(version) is not int or version != WIRE_VERSION:  # true == 1 and 1.0 == 1 in Python: not version 1
        raise HandoffError("The hand-off message is not one this terminal reads.")
    sale = message.get("sale")
    if sale is None:
        return Handoff()
    if not isinstance(sale, dict):
        raise HandoffError("The hand-off message cannot be read.")
    total, transaction, discounts, phone = (sale.get(k) for k in ("total", "transaction", "discounts", "phone"))
    if not (total is None or isinstance(total, str)) or not isinstance(transaction, str | None) \
            or not isinstance(discounts, list | None) or not isinstance(phone, str | None) \
            or not all(isinstance(d, str) for d in discounts or []):  # never str() of a number or an object
        raise HandoffError("The hand-off message cannot be read.")
    return from_fields(total, transaction, list(discounts or []), phone or "")
