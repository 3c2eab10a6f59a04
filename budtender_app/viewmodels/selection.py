"""The wallet's offers for this cart total, and the discounts the cashier chose among them.

An object the redemption view model holds: the eligibility rules (domain/eligibility.py) applied
to the sale as it changes, and the words for what they refuse. The view model says and signals.
``CartEdit`` decides when a cart total being typed counts: with a wallet open, only once the
cashier is done with it (Enter, leaving the field, or a pause), never at "$1" on the way to "$12".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import QObject, QTimer

from budtender_app.domain.eligibility import Offer, evaluate, off_text, selection_problem, totals
from budtender_app.domain.messages import Level
from budtender_app.domain.money import MoneyError, format_money, format_points, parse_money
from budtender_app.domain.wallet import Discount, Wallet
from budtender_app.viewmodels.operation import MessageLine

#: A pause this long in typing the cart total counts as done (Enter or leaving the field: at once).
CART_SETTLE_MS = 900


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
        if chosen and self.cart_total is None:
            return self.tr("Selected: {count}; type a valid cart total to see what fits.").format(
                count=self.count_text(len(chosen)))
        if not chosen or self.cart_total is None:
            return self.tr("Nothing selected yet: Space selects the highlighted discount.")
        sums = totals(chosen, self.cart_total)
        text = self.tr("Selected: {count}, {off}").format(count=self.count_text(len(chosen)),
                                                         off=off_text(sums, self.cart_total))
        return text if self.hide_points else text + self.tr(", {points:,} points").format(points=sums.points)

    def dropped_line(self, dropped: list[str]) -> str:
        """What the cashier reads when a cart edit dropped chosen discounts (``refilter``'s lines)."""
        total = format_money(self.cart_total) if self.cart_total is not None else ""
        return " ".join([self.tr("Cart total now {total}.").format(total=total), *dropped])

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

    def refilter(self, wallet: Wallet | None, balance: int | None, now: datetime) -> list[str]:
        """The offers again, for the wallet and cart total as they are now. Keeps every chosen
        discount that still fits, in the order chosen; returns a line for each one dropped and why.
        While the cart total does not read, nothing is dropped: the choice waits for a total."""
        self.hide_points = wallet is not None and wallet.hide_points
        if wallet is None:
            self.offers = []
            return []
        if self.cart_total is None:
            reason = self.tr("type a valid cart total first")
            self.offers = [Offer(d, reason) for d in wallet.discounts]
            return []
        self.offers = evaluate(wallet.discounts, self.cart_total, balance, now)
        offered = {o.discount.id: o for o in self.offers}
        kept: list[Discount] = []
        dropped: list[str] = []
        for discount_id in self.selected_ids:
            offer = offered.get(discount_id)
            if offer is None:
                continue  # no longer in the wallet at all
            why = offer.reason or self._why_not_with(kept, offer.discount, self.cart_total, balance)
            if why:
                dropped.append(self.tr("Dropped {name}: {why}.").format(name=offer.discount.name, why=why))
            else:
                kept.append(offer.discount)
        self.selected_ids = [d.id for d in kept]
        return dropped

    def _why_not_with(self, kept: list[Discount], discount: Discount, cart: Decimal, balance: int | None) -> str:
        """Why ``discount`` cannot join the ones kept so far on a ``cart`` sale ("" when it can)."""
        if not selection_problem([*kept, discount], cart, balance):
            return ""
        sums = totals([*kept, discount], cart)
        if sums.amount_off > cart:
            return self.tr("with the others it would take {off} off a {cart} sale").format(
                off=format_money(sums.amount_off), cart=format_money(cart))
        return self.tr("with the others it would cost {points}; the shopper has {balance:,}").format(
            points=format_points(sums.points), balance=balance or 0)


class CartEdit(QObject):
    """The cart total as typed, read into ``selection`` now or once the edit is done (``settle``);
    a total that does not read is said on ``line``, and ``refilter`` runs when the total changed."""

    def __init__(self, selection: Selection, line: MessageLine, refilter: Callable[[], list[str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selection = selection
        self._line = line
        self._refilter = refilter
        self._text: str | None = None  # typed and not read yet
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CART_SETTLE_MS)
        self._timer.timeout.connect(self.settle)

    def edited(self, text: str, *, wait: bool) -> None:
        """The field now says ``text``; ``wait``: read it when the edit is done, not now."""
        if not wait:
            self.drop()
            self._read(text)
            return
        self._text = text
        self._timer.start()  # restarted by each key: the pause counts from the last one

    def settle(self) -> bool:
        """Read what was typed, if anything is waiting; True when something was."""
        self._timer.stop()
        text, self._text = self._text, None
        if text is None:
            return False
        self._read(text)
        return True

    def drop(self) -> None:
        """Forget what was typed and not read (the cart total is locked now)."""
        self._timer.stop()
        self._text = None

    def problem(self) -> str:
        """Why no PIN may be texted for this cart total ("" when one may)."""
        if self._selection.cart_total is None:
            return self.tr("Type the cart total first.")
        if not self._selection.cart_total:
            return self.tr("Nothing to discount on a $0.00 sale: type the cart total first.")
        return ""

    def _read(self, text: str) -> None:
        try:
            value = parse_money(text)
        except MoneyError as exc:
            self._selection.cart_total = None
            self._refilter()
            self._line.say(Level.ERROR, str(exc))
            return
        changed = value != self._selection.cart_total
        self._selection.cart_total = value
        if changed and self._refilter():
            return  # the line names each chosen discount the new total dropped
        if self._line.current[0] is Level.ERROR:
            self._line.clear()
