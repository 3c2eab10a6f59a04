"""The order discounts are keyed into the POS, and what each takes off there: dollar discounts
first, then percentages on what is left; a percentage's figure is an estimate, rounded once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budtender_app.domain.eligibility import (
    estimate_text,
    keyed_for,
    keyed_with,
    off_text,
    pos_order,
    selection_problem,
    totals,
)
from budtender_app.domain.money import format_money
from budtender_app.domain.wallet import Discount

URL = "https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d1/tok"


def d(name: str) -> Discount:
    """"$5", "15%", "gift", "50%#2" (a second one): a discount of that value, named after it."""
    value = name.split("#")[0]
    kw: dict[str, Decimal] = {}
    if value.startswith("$"):
        kw["dollar_value"] = Decimal(value[1:])
    elif value.endswith("%"):
        kw["percentage_value"] = Decimal(value[:-1])
    return Discount(id=name, name=name, redemption_url=URL, points=100, **kw)


@pytest.mark.parametrize(
    ("chosen", "cart", "order", "offs"),
    [
        # one of each: the dollar one is keyed first, the percentage works on what is left
        (["15%", "$10"], "42", ["$10", "15%"], ["$10.00", "$4.80"]),
        (["$10", "15%"], "42", ["$10", "15%"], ["$10.00", "$4.80"]),
        # the chosen order is kept inside each group
        (["10%", "$5", "20%", "$2"], "100", ["$5", "$2", "10%", "20%"], ["$5.00", "$2.00", "$9.30", "$16.74"]),
        # a gift (no value) goes with the dollar ones and takes nothing
        (["15%", "gift"], "42", ["gift", "15%"], ["$0.00", "$6.30"]),
        # percentages compound: each on the cart left after the one before
        (["50%", "50%#2"], "40", ["50%", "50%#2"], ["$20.00", "$10.00"]),
        # a percentage never works on less than $0
        (["$50", "10%"], "30", ["$50", "10%"], ["$50.00", "$0.00"]),
        # 100% takes what is left, not the whole cart
        (["$10", "100%"], "42", ["$10", "100%"], ["$10.00", "$32.00"]),
        # no cart, nothing off
        (["15%"], "0", ["15%"], ["$0.00"]),
    ],
)
def test_dollar_discounts_are_keyed_before_percentages(chosen, cart, order, offs):
    keyed = pos_order([d(name) for name in chosen], Decimal(cart))
    assert [k.discount.name for k in keyed] == order
    assert [format_money(k.off) for k in keyed] == offs
    assert [k.estimated for k in keyed] == [name.split("#")[0].endswith("%") for name in order]


def test_cents_are_rounded_once_at_display_not_per_step():
    # Three 0.4% discounts on $1.00: each is $0.004 (shown $0.00), together about $0.012 (shown
    # $0.01). Rounding each one first would say $0.00 off for the three.
    chosen = [d("0.4%"), d("0.4%#2"), d("0.4%#3")]
    assert [format_money(k.off) for k in pos_order(chosen, Decimal(1))] == ["$0.00"] * 3
    assert format_money(totals(chosen, Decimal(1)).amount_off) == "$0.01"
    sums = totals([d("15%")], Decimal("33.33"))
    assert sums.amount_off == Decimal("4.9995") and format_money(sums.amount_off) == "$5.00"


@pytest.mark.parametrize(
    ("chosen", "cart", "text"),
    [
        (["$10", "$5"], "42", "$15.00 off"),
        (["15%"], "42", "about $6.30 off a $42.00 cart"),
        (["$10", "15%"], "42", "about $14.80 off a $42.00 cart"),
        (["gift"], "42", "$0.00 off"),
    ],
)
def test_the_total_is_marked_as_an_estimate_when_a_percentage_is_in_it(chosen, cart, text):
    sums = totals([d(n) for n in chosen], Decimal(cart))
    assert off_text(sums, Decimal(cart)) == text
    assert sums.points == 100 * len(chosen)


@pytest.mark.parametrize(
    ("discount", "chosen", "cart", "text"),
    [
        ("15%", [], "42", "about $6.30 on a $42.00 cart"),
        ("15%", ["15%"], "42", "about $6.30 on a $42.00 cart"),
        # with a dollar discount chosen, the percentage is worked out after it
        ("15%", ["$10"], "42", "about $4.80 on the $32.00 left of a $42.00 cart"),
        ("15%", ["15%", "$10"], "42", "about $4.80 on the $32.00 left of a $42.00 cart"),
        ("$10", ["15%"], "42", ""),  # a dollar discount's value already says what it takes
    ],
)
def test_a_percentage_rows_estimate_is_at_its_place_in_the_pos(discount, chosen, cart, text):
    keyed = keyed_with(d(discount), [d(n) for n in chosen], Decimal(cart))
    assert estimate_text(keyed, Decimal(cart)) == text


@pytest.mark.parametrize(
    ("chosen", "cart", "problem"),
    [
        (["$20", "50%"], "30", None),  # $20, then 50% of the $10 left: $25 off a $30 sale
        (["$25", "$10"], "30", "take $35.00 off a $30.00 sale"),
        (["60%", "60%#2"], "30", None),  # compounding: 84% of the cart, not 120%
    ],
)
def test_only_dollar_discounts_can_exceed_the_sale(chosen, cart, problem):
    got = selection_problem([d(n) for n in chosen], Decimal(cart), None)
    assert (got is None) if problem is None else (problem in got)


@pytest.mark.parametrize("chosen", [[], ["$10"], ["15%"], ["$10", "15%"], ["20%", "$50", "$5"], ["$50", "$40"]])
def test_keyed_for_a_whole_wallet_is_each_discount_added_to_the_selection_in_pos_order(chosen):
    cart = Decimal(60)
    selected = [d(n) for n in chosen]
    wallet = [d(n) for n in ("$10", "$5", "gift", "15%", "20%", "$50", "$40", "7.5%")]
    by_id = keyed_for(wallet, selected, cart)
    for discount in wallet:
        plain = [*selected] if discount.id in chosen else [*selected, discount]
        expected = next(k for k in pos_order(plain, cart) if k.discount.id == discount.id)
        assert by_id[discount.id] == expected
