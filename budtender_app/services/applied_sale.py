"""The sale in progress: discounts the cashier has applied in the POS but not yet checked out.

From the moment a selection is applied, the cashier has keyed those discounts into the POS, so
the sale must survive a quit, a crash or a power cut: it is written to the journal's database
(one row per store on this terminal), and at the next start the terminal offers to finish it
(F9 and the POS transaction ID) or to cancel it. It is never sent by itself: nothing reaches AIQ
without a transaction ID the cashier confirmed.

Checkout turns it into journal rows in ONE transaction (``checkout``): the queued redemptions
appear and the applied sale disappears together, so a crash between the two can neither lose
the sale nor leave it to be checked out a second time under another transaction ID.

The row holds the chosen discounts' redemption URLs (tokens), like a queued journal row: it
lives in the same owner-only file and is deleted at checkout or cancel. Phones only masked.

The row itself is not on the keyed audit trail, but its 'applied' event is, and that event
carries a digest of the row: a row edited outside the app (a cost, a total, a link) no longer
matches the latest 'applied' event and is refused instead of resumed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import (
    Journal,
    JournalEntry,
    JournalError,
    safe_text,
)
from budtender_app.services.journal.audit import utc_text

_ROW = "applied_at, cart_total, shopper_masked, contact_id, balance, pin_skipped, discounts"
_DISCOUNT_FIELDS = ("id", "name", "redemption_url", "points", "pos_discount_id", "description")


@dataclass(frozen=True, slots=True)
class AppliedSale:
    """A selection applied in the POS and waiting for checkout. ``balance`` None = hidden."""

    cart_total: Decimal
    discounts: tuple[Discount, ...]
    shopper_masked: str = ""
    contact_id: str = ""
    balance: int | None = None
    pin_skipped: str = ""
    applied_at: datetime | None = None
    #: The manager who skipped the PIN, if one did: on its 'applied' event, not in the row.
    pin_approver: Actor | None = None

    def __repr__(self) -> str:  # the discounts carry tokens
        return f"AppliedSale({len(self.discounts)} discounts, {self.shopper_masked or 'no shopper'})"

    def summary(self) -> str:
        """For the audit trail: POS discount IDs and points, no token, no name from AIQ."""
        parts = [f"{d.pos_discount_id or d.id} ({d.points:,} points)" for d in self.discounts]
        who = f" for {self.shopper_masked}" if self.shopper_masked else ""
        return f"applied in the POS{who}: " + ", ".join(parts)


class AppliedSales:
    """This terminal's sale in progress, one per store, kept in the journal's database."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def save(self, sale: AppliedSale, *, staff: Actor, approver: Actor | None = None) -> None:
        """Keep ``sale`` as this store's sale in progress (replacing an earlier selection), applied
        by ``staff`` (``approver``: the manager who skipped its PIN, if one did)."""
        row = (utc_text(self._journal.now()), str(sale.cart_total), sale.shopper_masked, sale.contact_id,
               sale.balance, sale.pin_skipped, json.dumps([_discount_json(d) for d in sale.discounts]))
        with self._journal.atomic() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO applied_sale (store, {_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self._journal.store, *row))
            # Verbatim: the redactor would mask the digest as if it were a key.
            self._journal.record_event("applied", staff=staff, approver=approver, verbatim=True,
                                       detail=f"{safe_text(sale.summary())} (selection {_digest(row)})")

    def current(self) -> AppliedSale | None:
        """This store's sale in progress, or None. A row that cannot be read raises JournalError."""
        row = self._journal.read_one(f"SELECT {_ROW} FROM applied_sale WHERE store = ?", (self._journal.store,))
        if row is None:
            return None
        last = self._journal.read_one(
            "SELECT event, detail, approver_id, approver_name FROM audit WHERE store = ? "
            "AND event IN ('applied', 'applied_cancelled') ORDER BY id DESC LIMIT 1", (self._journal.store,))
        if last is None or last[0] != "applied" or not last[1].endswith(f"(selection {_digest(row)})"):
            raise JournalError("The sale in progress saved in the journal cannot be read: it does not "
                               "match what the audit trail says was applied (changed outside the app?).")
        return replace(_sale(row), pin_approver=Actor.from_columns(last[2], last[3]))

    def cancel(self, why: str, *, staff: Actor) -> bool:
        """Forget this store's sale in progress (``staff`` cancelled it); True if there was one."""
        with self._journal.atomic() as conn:
            gone = conn.execute("DELETE FROM applied_sale WHERE store = ?", (self._journal.store,)).rowcount
            if gone:
                self._journal.record_event("applied_cancelled", staff=staff, detail=why)
            return bool(gone)

    def checkout(self, transaction_id: str, discounts: Sequence[Discount], *, shopper_masked: str,
                 contact_id: str, staff: Actor, approver: Actor | None = None,
                 feed: Callable[[sqlite3.Connection, Decimal], None] | None = None) -> list[JournalEntry]:
        """Queue the redemptions of the checked-out sale and forget it as one transaction; the
        rows remember ``staff`` (the cashier) and ``approver`` (who skipped the PIN, if anyone).
        ``feed`` (the store sends its sales to AIQ: services/sale_feed) journals the sale, with
        the cart total applied, in the same transaction.

        The one place a redemption row is journaled, and only after checkout is confirmed: the
        counter calls this once the cashier confirmed the POS transaction ID (the flow's
        ``Event.TRANSACTION_CONFIRMED``), never earlier. tests/services/test_journal_invariants.py
        fails when ``Journal.queue`` gains another caller or this is reached another way."""
        with self._journal.atomic() as conn:
            entries = self._journal.queue(transaction_id, discounts, shopper_masked=shopper_masked,
                                          contact_id=contact_id, staff=staff, approver=approver)
            cart = conn.execute("SELECT cart_total FROM applied_sale WHERE store = ?",
                                (self._journal.store,)).fetchone()
            if feed is not None and cart is not None:
                feed(conn, Decimal(cart[0]))
            conn.execute("DELETE FROM applied_sale WHERE store = ?", (self._journal.store,))
            return entries


def _digest(row: Sequence[Any]) -> str:
    """sha256 of the saved row as written: the 'applied' event's (keyed, chained) word for it."""
    return hashlib.sha256(json.dumps(list(row), separators=(",", ":")).encode()).hexdigest()[:32]


def _discount_json(d: Discount) -> dict[str, Any]:
    return {**{k: getattr(d, k) for k in _DISCOUNT_FIELDS},
            "dollar_value": None if d.dollar_value is None else str(d.dollar_value),
            "percentage_value": None if d.percentage_value is None else str(d.percentage_value)}


def _sale(row: Sequence[Any]) -> AppliedSale:
    applied_at, cart, masked, contact, balance, pin_skipped, raw = row
    try:
        discounts = tuple(_discount(item) for item in json.loads(raw))
        return AppliedSale(cart_total=Decimal(cart), discounts=discounts, shopper_masked=masked,
                           contact_id=contact, balance=balance, pin_skipped=pin_skipped,
                           applied_at=datetime.fromisoformat(applied_at))
    except (ValueError, TypeError, KeyError, InvalidOperation) as exc:
        raise JournalError("The sale in progress saved in the journal cannot be read.") from exc


def _discount(item: dict[str, Any]) -> Discount:
    fields: dict[str, Any] = {k: item[k] for k in _DISCOUNT_FIELDS}
    for k in ("dollar_value", "percentage_value"):
        fields[k] = None if item.get(k) is None else Decimal(item[k])
    return Discount(**fields)
