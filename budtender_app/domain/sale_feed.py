"""Sales this terminal sends to AIQ's sales feed (F1, ``createUpdateSale``): what one holds, the
body AIQ receives, the refund's own ID, and when a sale that did not get through is tried again.

Pure Python. Only for a store whose POS sends AIQ nothing (the store setting ``send_sales``): a
POS that reports too would count every point twice (../shared/AIQ-API.md, "Feeds").

AIQ keys a sale by ``pos_id``, so sending the same sale again updates it rather than adding a
second one: unlike a redemption, a sale whose answer was lost (a timeout, a 5xx, the app stopped
mid-send) is simply sent again. Only AIQ's definite refusal (a refusal with its reason) ends it
unsent; a manager may send it again from the Redemptions window.

A refund is journaled when a whole transaction's points are given back (no line of it left
redeemed): the sale's total, negative, under ``<pos_id>-R1`` with one line of quantity -1. The
counter sees the cart total, not the POS's items, so a sale carries one line (``SALE_SKU``), and a
partial give-back (one line of several) sends no refund: its money is not known here.

The shopper's phone is never part of a ``FedSale`` (it is written to the journal): the sender
adds it to the member block only while this run of the app still holds it in memory (the sale
checked out a moment ago). A sale sent after a restart goes with AIQ's contact ID alone, which
is AIQ's own key for the member.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from budtender_app.domain.actor import Actor
from budtender_app.domain.money import CENT, MAX_CART

#: AIQ's date format for ``transaction_date`` ("2014-04-20 04:03:53 +0000"), in the store's zone.
AIQ_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
#: The refund of sale X goes under its own ID: X, this, and a number (X-R1; X-R2 only when X-R1
#: is taken by another sale of this store).
REFUND_SUFFIX = "-R"
#: Seconds before each further try of a sale that did not get through (then every 30 minutes).
BACKOFF = (15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
#: Longest AIQ reason kept for a refused sale.
MAX_REASON = 300
#: The one line a counter sale carries: the terminal sees the cart total, not the POS's items.
SALE_SKU = "COUNTER-SALE"


class FeedKind(enum.StrEnum):
    """A sale checked out at the counter, or the refund of one given back in the Redemptions window."""

    SALE = "sale"
    REFUND = "refund"


class FeedState(enum.StrEnum):
    """Where a fed sale is: waiting (to be sent, or to be tried again), being sent, sent, refused."""

    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class FedSale:
    """One sale (or refund) as journaled for the feed: all AIQ needs but the phone."""

    id: int
    store: str
    kind: FeedKind
    pos_id: str  # AIQ's key for it: the POS transaction ID, or the refund's own ID
    transaction_id: str  # the POS transaction it is (the refund's: the refunded sale's)
    total: Decimal  # negative for a refund
    sold_at: datetime  # timezone-aware (UTC as journaled)
    location: str  # the store's name, as AIQ's location
    contact_id: str  # AIQ's contact ID of the member ("" when the sale had none)
    shopper_masked: str  # ***-***-4567, for people to read
    staff: Actor  # who checked it out (or gave it back)
    state: FeedState
    attempts: int
    message: str  # AIQ's reason for a refusal, or why the last try did not get through
    next_try_at: datetime | None
    updated_at: datetime


def refund_id(transaction_id: str, taken: Iterable[str]) -> str:
    """The refund's own pos_id: ``<transaction>-R1``, or the next number free among ``taken`` (the
    pos_ids this store has fed): a POS whose IDs end in -R1 themselves never has its sale replaced."""
    used = set(taken)
    n = 1
    while f"{transaction_id}{REFUND_SUFFIX}{n}" in used:
        n += 1
    return f"{transaction_id}{REFUND_SUFFIX}{n}"


def check_total(total: Decimal, kind: FeedKind) -> Decimal:
    """The total in whole cents, positive for a sale, negative for a refund; ValueError when it is
    not (or is beyond the counter's largest cart: a JSON number that large loses its cents)."""
    if not total.is_finite():
        raise ValueError("the total is not a number")
    if abs(total) >= MAX_CART or total != total.quantize(CENT):  # size first: quantize() fails on 1e30
        raise ValueError(f"the total {total} is not a sum of money the counter takes")
    cents = total.quantize(CENT)
    if (kind is FeedKind.SALE and total < 0) or (kind is FeedKind.REFUND and total > 0):
        raise ValueError(f"a {kind.value}'s total cannot be {total}")
    return cents


def aiq_date(moment: datetime, zone: tzinfo | None) -> str:
    """``moment`` in the store's zone (None: this computer's), in AIQ's format."""
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    return local.strftime(AIQ_DATE_FORMAT)


def sale_body(sale: FedSale, *, zone: tzinfo | None, phone: str = "") -> tuple[dict[str, Any], dict[str, str] | None]:
    """F1's ``visit`` and ``member`` for ``sale``. ``phone`` (10 digits, only from memory, never
    journaled) joins the member block when known; AIQ's contact ID is there, and as ``pos_user``
    (this terminal's key for the shopper is AIQ's), whenever the sale had a member."""
    total = check_total(sale.total, sale.kind)  # Decimal to the wire: domain/json_wire.py writes its digits
    refund = sale.kind is FeedKind.REFUND
    line = {"sku": SALE_SKU, "name": "Refund at the counter" if refund else "Counter sale",
            "price": abs(total), "quantity": -1 if refund else 1}
    visit: dict[str, Any] = {
        "pos_id": sale.pos_id, "pos_type": sale.location, "transaction_date": aiq_date(sale.sold_at, zone),
        "transaction_total": total, "location": sale.location, "visit_details_attributes": [line],
    }
    if sale.contact_id:
        visit["pos_user"] = sale.contact_id
    if sale.staff.name:
        visit["budtenderName"] = sale.staff.name
    if sale.staff.staff_id:
        visit["budtenderID"] = sale.staff.staff_id
    member = {k: v for k, v in (("contactID", sale.contact_id), ("mobilePhone", phone)) if v}
    return visit, member or None


def next_try(attempts: int, now: datetime, retry_after: float | None = None) -> datetime:
    """When to try again after ``attempts`` tries that did not get through (AIQ's Retry-After
    when longer than ours)."""
    wait = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    if retry_after is not None and retry_after > wait:
        wait = min(retry_after, BACKOFF[-1])
    return now + timedelta(seconds=wait)


@dataclass(frozen=True, slots=True)
class FeedCount:
    """The shift report's count of fed sales (and refunds): their last word in the span."""

    sent: int = 0
    waiting: int = 0
    refused: int = 0

    @property
    def any(self) -> bool:
        return bool(self.sent or self.waiting or self.refused)

    def sentence(self) -> str:
        """The report's line about them."""
        return (f"Sales sent to AIQ from this terminal (the store's sales feed): {self.sent} sent, "
                f"{self.waiting} waiting, {self.refused} refused by AIQ.")


#: Audit events of the feed: journaled, sent, refused (their transaction_id is the pos_id).
FEED_EVENTS: Mapping[str, FeedState] = {"feed_queued": FeedState.WAITING, "feed_sent": FeedState.SENT,
                                        "feed_refused": FeedState.REFUSED}


def count_feed(events: Iterable[tuple[str, str]]) -> FeedCount:
    """``FeedCount`` of (event, pos_id) pairs in time order: each pos_id counted by its last event."""
    last: dict[str, FeedState] = {}
    for event, pos_id in events:
        state = FEED_EVENTS.get(event)
        if state is not None:
            last[pos_id] = state
    states = list(last.values())
    return FeedCount(states.count(FeedState.SENT), states.count(FeedState.WAITING), states.count(FeedState.REFUSED))
