"""What checkout and the refund tab call of the sales feed: journal a sale (or its refund) when
the store's setting is on, then have it sent in the background.

The store setting ("This store's POS does not send sales to AIQ: send them from this terminal",
``StoreProfile.send_sales``) is read at each checkout through ``enabled``: off, nothing is
journaled and nothing is sent. A sale already journaled is still sent after the setting is turned
off: it was a sale of this store that AIQ was promised when it was checked out.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from decimal import Decimal

from budtender_app.domain.actor import Actor
from budtender_app.domain.sale_feed import FedSale
from budtender_app.services.sale_feed.outbox import SaleOutbox
from budtender_app.services.sale_feed.sender import SaleSender

log = logging.getLogger(__name__)

#: Journals a checkout's sale inside the checkout's transaction, given the cart total.
Hold = Callable[[sqlite3.Connection, Decimal], None]


class SaleFeed:
    """The feed as the counter sees it. ``enabled()``: the store's setting now; ``location()``:
    the store's name (AIQ's location); ``phone()``: the shopper's 10 digits held in memory now
    ("" none: a sale resumed after a restart)."""

    def __init__(self, outbox: SaleOutbox, sender: SaleSender, *, enabled: Callable[[], bool],
                 location: Callable[[], str], phone: Callable[[], str] = lambda: "") -> None:
        self.outbox = outbox
        self.sender = sender
        self._enabled = enabled
        self._location = location
        self._phone = phone
        self._held: list[tuple[int, str]] = []  # (row id, phone) journaled, not yet handed to the sender

    def holder(self, transaction_id: str, *, contact_id: str, shopper_masked: str, staff: Actor) -> Hold | None:
        """The checkout's part for the feed (None: the setting is off, nothing is journaled)."""
        self._held = []  # a checkout that failed journaled nothing: its row ids are not to be used
        if not self._enabled():
            return None
        phone = self._phone()

        def hold(conn: sqlite3.Connection, total: Decimal) -> None:
            try:
                sale = self.outbox.hold_sale(conn, transaction_id, total, location=self._location(),
                                             contact_id=contact_id, shopper_masked=shopper_masked, staff=staff)
            except ValueError as exc:  # not a total the counter takes (cannot be: parse_money refused it)
                log.warning("sale of transaction %s not journaled for AIQ's feed: %s", transaction_id, exc)
                return
            self._held.append((sale.id, phone))

        return hold

    def checked_out(self) -> None:
        """The checkout's transaction is committed: send its sale now (in the background)."""
        held, self._held = self._held, []
        for row_id, phone in held:
            self.sender.remember_phone(row_id, phone)
        if held:
            self.sender.poke()

    def refund(self, transaction_id: str, *, staff: Actor) -> FedSale | None:
        """The whole of ``transaction_id`` was given back: journal the refund of its fed sale (none
        when it was never fed) and send it in the background. At most once per sale."""
        refund = self.outbox.hold_refund(transaction_id, staff=staff)
        if refund is not None:
            self.sender.poke()
        return refund
