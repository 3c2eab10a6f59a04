"""The Redemptions window's "Sales sent to AIQ" list: each checkout's sale (and refund) fed to AIQ,
with its state in words (sent; waiting, with why and when it is tried again; refused, with AIQ's
reason), a manager's "send again" for a refused one, and the refund of a sale given back whole.

Reads and writes the feed's outbox (services/sale_feed); sending stays the background sender's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Acting, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.money import format_money
from budtender_app.domain.sale_feed import FedSale, FeedKind, FeedState
from budtender_app.services.journal import Journal, JournalError, State
from budtender_app.services.sale_feed.feed import SaleFeed

log = logging.getLogger(__name__)

#: A transaction's lines once every point taken is being given back, or was.
_GIVEN_BACK = frozenset({State.REVERSING, State.REVERSED})


class SalesSentViewModel(QObject):
    """This store's fed sales, newest first, for the list; ``changed`` when they may have moved."""

    changed = Signal()

    def __init__(self, feed: SaleFeed, journal: Journal, clock: Clock, *, enabled: Callable[[], bool],
                 acting: Acting = acting_counter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._feed = feed
        self._journal = journal
        self._clock = clock
        self._enabled = enabled
        self.acting = acting
        self.rows: list[FedSale] = []

    def refresh(self) -> None:
        """Read the list again (the window opened, a send ended)."""
        try:
            self.rows = self._feed.outbox.listed()
        except JournalError:
            log.warning("the list of sales sent to AIQ could not be read", exc_info=True)
            self.rows = []
        self.changed.emit()

    def heading(self) -> str:
        """What the tab says above the list: whether the store sends sales, and the counts."""
        counts = {state: sum(1 for r in self.rows if r.state is state) for state in FeedState}
        waiting = counts[FeedState.WAITING] + counts[FeedState.SENDING]
        if self._enabled():
            said = self.tr("This store's checkouts are sent to AIQ's sales feed (Settings, F12).")
        else:
            said = self.tr("This store does not send its sales to AIQ from this terminal (Settings, F12): its "
                           "POS reports them, or nobody does.")
        if not self.rows:
            return said + " " + self.tr("Nothing was sent yet.")
        return said + " " + self.tr("Last {n}: {sent} sent, {waiting} waiting, {refused} refused.").format(
            n=len(self.rows), sent=counts[FeedState.SENT], waiting=waiting, refused=counts[FeedState.REFUSED])

    def cells(self, sale: FedSale) -> list[str]:
        """One row of the list: when, POS ID sent, what, total, shopper, state."""
        when = self._clock.local(sale.sold_at)
        what = self.tr("Refund") if sale.kind is FeedKind.REFUND else self.tr("Sale")
        return [f"{when:%b} {when.day} {when:%H:%M}", sale.pos_id, what, format_money(sale.total),
                sale.shopper_masked or self.tr("no member"), self.state_text(sale)]

    def state_text(self, sale: FedSale) -> str:
        """The row's state in words."""
        if sale.state is FeedState.SENT:
            return self.tr("Sent")
        if sale.state is FeedState.REFUSED:
            return self.tr("Refused: {why}").format(why=sale.message or self.tr("AIQ gave no reason"))
        if sale.state is FeedState.SENDING:
            return self.tr("Sending…")
        if sale.next_try_at is None:
            return self.tr("Waiting to be sent")
        at = self._clock.local(sale.next_try_at)
        return self.tr("Waiting: tried {n}×, again at {at} ({why})").format(
            n=sale.attempts, at=f"{at:%H:%M}", why=sale.message or self.tr("no answer"))

    def may_resend(self, row_id: int | None) -> bool:
        """Whether "Send again" applies to this row: refused by AIQ (not a clash of IDs here)."""
        sale = next((r for r in self.rows if r.id == row_id), None)
        return sale is not None and sale.state is FeedState.REFUSED and sale.attempts > 0

    def resend(self, row_id: int) -> None:
        """A manager's "Send again" of a refused row (its cause fixed); sent in the background."""
        try:
            self._feed.outbox.retry(row_id, staff=self.acting())
        except JournalError:
            log.warning("a refused sale could not be put back to be sent", exc_info=True)
        self._feed.sender.poke()
        self.refresh()

    def after_give_back(self, transaction_id: str) -> None:
        """Points were given back for a line of ``transaction_id``: once every line whose points
        were taken is given back, its fed sale (if any) is refunded whole, under its own ID."""
        try:
            lines = self._journal.for_transaction(transaction_id)
            taken = [e for e in lines if e.state in _GIVEN_BACK or e.state is State.REDEEMED]
            if not taken or any(e.state is State.REDEEMED for e in taken):
                return
            self._feed.refund(transaction_id, staff=self.acting())
        except (JournalError, ValueError):
            log.warning("the refund of transaction %s could not be journaled for AIQ's feed", transaction_id,
                        exc_info=True)
        self.refresh()
