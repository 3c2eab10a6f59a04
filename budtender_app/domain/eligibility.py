"""What the wallet offers for this sale: a pure function of discounts, cart, balance and clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from budtender_app.domain.money import format_money, format_points
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
    """Dollars this discount alone takes off this cart, unrounded (a % is worked out on the total).

    Rounded to cents only where it is shown (money.format_money). With other discounts, see
    ``pos_order``: a percentage then applies to what the ones keyed before it left.
    """
    if discount.dollar_value:
        return discount.dollar_value
    if discount.percentage_value:
        return cart_total * discount.percentage_value / 100
    return Decimal(0)


def is_percentage(discount: Discount) -> bool:
    """A percentage discount: what it takes off depends on the cart and on what is keyed before it."""
    return bool(discount.percentage_value) and not discount.dollar_value


@dataclass(frozen=True, slots=True)
class Keyed:
    """One discount at its place in the POS: the cart left when it is keyed, and what it takes off.

    ``off`` is exact (rounded once, at display); for a percentage it is an estimate (``estimated``).
    """

    discount: Discount
    base: Decimal
    off: Decimal

    @property
    def estimated(self) -> bool:
        return is_percentage(self.discount)


def pos_order(selected: Sequence[Discount], cart_total: Decimal) -> list[Keyed]:
    """The order to key ``selected`` into the POS, each with what it takes off there.

    Dollar discounts first (and those with no value), then percentages, each group in the order
    chosen; each percentage is worked out on what the discounts before it left of the cart (never
    below $0). AIQ only says a discount has a ``dollarValue`` or a ``percentageValue``; how its
    builder stacks them is not public (AIQ-API.md), so a percentage's figure is an estimate on the
    whole cart, in the order the cashier keys them.
    """
    keyed: list[Keyed] = []
    left = cart_total
    for discount in sorted(selected, key=is_percentage):  # sorted() is stable: chosen order kept
        base = max(left, Decimal(0))
        off = amount_off(discount, base)
        keyed.append(Keyed(discount, base, off))
        left -= off
    return keyed


def keyed_with(discount: Discount, selected: Sequence[Discount], cart_total: Decimal) -> Keyed:
    """``discount`` at its place among ``selected`` (added after them when it is not chosen)."""
    return keyed_for([discount], selected, cart_total)[discount.id]


def keyed_for(discounts: Iterable[Discount], selected: Sequence[Discount], cart_total: Decimal) -> dict[str, Keyed]:
    """``keyed_with`` for each of ``discounts`` (by id), in one pass: a wallet of a thousand
    redraws in time. An unchosen dollar discount comes after the chosen dollar ones (before any
    percentage), an unchosen percentage after every chosen discount: what pos_order would do."""
    placed = {k.discount.id: k for k in pos_order(selected, cart_total)}
    after_dollars = cart_total - sum((k.off for k in placed.values() if not k.estimated), Decimal(0))
    after_all = cart_total - sum((k.off for k in placed.values()), Decimal(0))
    keyed: dict[str, Keyed] = {}
    for d in discounts:
        if d.id in placed:
            keyed[d.id] = placed[d.id]
            continue
        base = max(after_all if is_percentage(d) else after_dollars, Decimal(0))
        keyed[d.id] = Keyed(d, base, amount_off(d, base))
    return keyed


# A wallet of a thousand rows repeats the same few sums (the cart, what is left, each percentage
# of it): formatted once each, the list redraws in a third of the time.
_money_words = lru_cache(maxsize=256)(format_money)


def estimate_text(keyed: Keyed, cart_total: Decimal) -> str:
    """What a percentage takes off, marked as an estimate: "about $6.30 on a $42.00 cart", or on
    what the discounts keyed before it left: "about $4.80 on the $32.00 left of a $42.00 cart".
    "" for a dollar discount (its value says it)."""
    if not keyed.estimated:
        return ""
    off, cart = _money_words(keyed.off), _money_words(cart_total)
    if keyed.base == cart_total:
        return f"about {off} on a {cart} cart"
    return f"about {off} on the {_money_words(keyed.base)} left of a {cart} cart"


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
    """A selection's sums: dollars off (unrounded; estimated when ``estimated``) and points."""

    amount_off: Decimal
    points: int
    estimated: bool = False


def totals(selected: Sequence[Discount], cart_total: Decimal) -> SelectionTotals:
    """What ``selected`` takes off together, keyed in ``pos_order``, and the points it costs."""
    keyed = pos_order(selected, cart_total)
    return SelectionTotals(
        amount_off=sum((k.off for k in keyed), Decimal(0)),
        points=sum(d.points for d in selected),
        estimated=any(k.estimated for k in keyed),
    )


def off_text(sums: SelectionTotals, cart_total: Decimal) -> str:
    """"$15.00 off", or "about $10.55 off a $42.00 cart" when a percentage is in it."""
    if sums.estimated:
        return f"about {format_money(sums.amount_off)} off a {format_money(cart_total)} cart"
    return f"{format_money(sums.amount_off)} off"


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
