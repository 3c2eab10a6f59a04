"""The wallet's offers for this cart total, and the discounts the cashier chose among them.

An object the redemption view model holds: the eligibility rules (domain/eligibility.py) applied
to the sale as it changes, and the words for what they refuse. The view model says and signals.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import QObject

from budtender_app.domain.eligibility import Offer, evaluate, off_text, selection_problem, totals
from budtender_app.domain.wallet import Discount, Wallet


class Selection(QObject):
    """``cart_total`` as typed (None while it is not a valid amount), the ``offers`` of the wallet
    for it, and ``selected_ids`` in the order the cashier chose them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cart_total: Decimal | None = None
        self.offers: list[Offer] = []
        self.selected_ids: list[str] = []
        #: The wallet's brand hides points: the summary shows no point figure.
        self.hide_points = False

    def clear(self) -> None:
        """No wallet, nothing chosen (the cart total stays)."""
        self.offers = []
        self.selected_ids = []

    def restore(self, discounts: tuple[Discount, ...], *, hide_points: bool = False) -> None:
        """Exactly what was applied in the POS, chosen: not filtered again (an expiry passed
        meanwhile is AIQ's to refuse at checkout, and the cashier sees that answer)."""
        self.hide_points = hide_points
        self.offers = [Offer(d, None) for d in discounts]
        self.selected_ids = [d.id for d in discounts]

    @property
    def selected(self) -> list[Discount]:
        """The chosen discounts that are still offered, in the order chosen."""
        by_id = {o.discount.id: o.discount for o in self.offers}
        return [by_id[i] for i in self.selected_ids if i in by_id]

    def summary(self) -> str:
        """One line under the list: how many, how much off (marked as an estimate when a percentage
        is in it), how many points (no figure when the brand hides them)."""
        chosen = self.selected
        if not chosen or self.cart_total is None:
            return self.tr("Nothing selected yet: Space selects the highlighted discount.")
        sums = totals(chosen, self.cart_total)
        text = self.tr("Selected: {count}, {off}").format(count=self.count_text(len(chosen)),
                                                         off=off_text(sums, self.cart_total))
        return text if self.hide_points else text + self.tr(", {points:,} points").format(points=sums.points)

    def count_text(self, n: int) -> str:
        """"1 discount", "3 discounts"."""
        return self.tr("1 discount") if n == 1 else self.tr("{n} discounts").format(n=n)

    def toggle(self, discount_id: str, balance: int | None) -> str | None:
        """Select or unselect a discount: None when nothing changed and nothing is to be said,
        "" when the choice changed, else why this sale cannot take it."""
        if discount_id in self.selected_ids:
            self.selected_ids.remove(discount_id)
            return ""
        offer = next((o for o in self.offers if o.discount.id == discount_id), None)
        if offer is None or self.cart_total is None:
            return None
        if not offer.usable:
            return self.tr("'{name}' cannot be used: {reason}.").format(name=offer.discount.name, reason=offer.reason)
        problem = selection_problem([*self.selected, offer.discount], self.cart_total, balance)
        if problem:
            return problem
        self.selected_ids.append(discount_id)
        return ""

    def refilter(self, wallet: Wallet | None, balance: int | None, now: datetime) -> bool:
        """The offers again, for the wallet and cart total as they are now; True when chosen
        discounts were dropped because they no longer fit."""
        self.hide_points = wallet is not None and wallet.hide_points
        if wallet is None:
            self.offers = []
        elif self.cart_total is None:
            reason = self.tr("type a valid cart total first")
            self.offers = [Offer(d, reason) for d in wallet.discounts]
        else:
            self.offers = evaluate(wallet.discounts, self.cart_total, balance, now)
        usable = {o.discount.id for o in self.offers if o.usable}
        dropped = [i for i in self.selected_ids if i not in usable]
        self.selected_ids = [i for i in self.selected_ids if i in usable]
        if self.cart_total is not None and self.selected and selection_problem(
                self.selected, self.cart_total, balance):
            dropped += self.selected_ids
            self.selected_ids = []
        return bool(dropped)
