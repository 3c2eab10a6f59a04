"""What the wallet offers for this sale: a pure function of discounts, cart, balance and clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from budtender_app.domain.money import CENT, format_money, format_points
from budtender_app.domain.wallet import Discount


@dataclass(frozen=True, slots=True)
class Offer:
    """A discount with the reason it cannot be used on this sale (None: it can)."""

    discount: Discount
    reason: str | None = None

    @property
    def usable(self) -> bool:
        return self.reason is None


def amount_off(discount: Discount, cart_total: Decimal) -> Decimal:
    """Dollars this discount takes off this cart (a % discount is worked out on the total)."""
    if discount.dollar_value:
        return discount.dollar_value
    if discount.percentage_value:
        return (cart_total * discount.percentage_value / 100).quantize(CENT)
    return Decimal(0)


def why_not(discount: Discount, cart_total: Decimal, balance: int | None, now: datetime) -> str | None:
    """The first reason, in a cashier's words, that this discount cannot be used now.

    ``balance`` is None when the brand hides points: AIQ then enforces the cost itself.
    """
    if not discount.in_store:
        return "online only"
    if not discount.available:
        return "not available right now"
    if discount.expires_at is not None and discount.expires_at <= now:
        local = discount.expires_at.astimezone()
        return f"expired {local:%b} {local.day}, {local.year}"
    if discount.dollar_value and discount.dollar_value > cart_total:
        short = discount.dollar_value - cart_total
        return f"needs a {format_money(discount.dollar_value)} sale: {format_money(short)} more"
    if balance is not None and discount.points > balance:
        return f"needs {format_points(discount.points)}: {discount.points - balance:,} more"
    return None


def evaluate(
    discounts: Iterable[Discount], cart_total: Decimal, balance: int | None, now: datetime
) -> list[Offer]:
    """Every discount as an Offer: usable ones first, each group in the wallet's own order."""
    offers = [Offer(d, why_not(d, cart_total, balance, now)) for d in discounts]
    return [o for o in offers if o.usable] + [o for o in offers if not o.usable]


@dataclass(frozen=True, slots=True)
class SelectionTotals:
    amount_off: Decimal
    points: int


def totals(selected: Sequence[Discount], cart_total: Decimal) -> SelectionTotals:
    return SelectionTotals(
        amount_off=sum((amount_off(d, cart_total) for d in selected), Decimal(0)),
        points=sum(d.points for d in selected),
    )


def selection_problem(
    selected: Sequence[Discount], cart_total: Decimal, balance: int | None
) -> str | None:
    """Why these discounts cannot be taken together on this sale, or None when they can."""
    sums = totals(selected, cart_total)
    if sums.amount_off > cart_total:
        return (
            f"Together these take {format_money(sums.amount_off)} off a "
            f"{format_money(cart_total)} sale; choose fewer."
        )
    if balance is not None and sums.points > balance:
        return f"Together these cost {format_points(sums.points)}; the shopper has {balance:,}."
    return None
