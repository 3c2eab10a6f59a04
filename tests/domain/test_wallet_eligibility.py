from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from budtender_app.domain.eligibility import amount_off, evaluate, selection_problem, totals, why_not
from budtender_app.domain.errors import BadResponse
from budtender_app.domain.wallet import Discount, parse_wallet

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
AIQ = "https://lab.alpineiq.com"
URL = AIQ + "/api/v1.1/discount/redeem/1234/d1/tok"


def read(data, base_url=AIQ):
    return parse_wallet(data, base_url=base_url)


def disc(**kw) -> Discount:
    base = {"id": "d", "name": "A discount", "redemption_url": URL, "points": 100}
    base.update(kw)
    return Discount(**base)


@pytest.mark.parametrize(
    ("discount", "cart", "balance", "reason"),
    [
        (disc(dollar_value=Decimal(10)), "42", 1500, None),
        (disc(dollar_value=Decimal(42)), "42", 1500, None),  # exactly the sale is fine
        (disc(dollar_value=Decimal(100)), "75", 1500, "needs a $100.00 sale: $25.00 more"),
        (disc(percentage_value=Decimal(15)), "1", 1500, None),  # a % never exceeds the sale
        (disc(points=1200), "42", 1000, "needs 1,200 points: 200 more"),
        (disc(points=1200), "42", None, None),  # hidden points: AIQ enforces the cost
        (disc(available=False), "42", 1500, "not available right now"),
        (disc(expires_at=NOW - timedelta(seconds=1)), "42", 1500, "expired"),
        (disc(expires_at=NOW), "42", 1500, "expired"),
        (disc(expires_at=NOW + timedelta(days=1)), "42", 1500, None),
        (disc(in_store=False), "42", 1500, "online only"),
        (disc(dollar_value=Decimal(5)), "0", 1500, "needs a $5.00 sale: $5.00 more"),
    ],
)
def test_eligibility_rules(discount, cart, balance, reason):
    got = why_not(discount, Decimal(cart), balance, NOW)
    if reason is None:
        assert got is None
    else:
        assert got is not None and got.startswith(reason)


def test_usable_discounts_come_first_and_changing_the_cart_refilters():
    big, small = disc(id="big", dollar_value=Decimal(100)), disc(id="small", dollar_value=Decimal(5))
    offers = evaluate([big, small], Decimal(75), 1500, NOW)
    assert [(o.discount.id, o.usable) for o in offers] == [("small", True), ("big", False)]
    offers = evaluate([big, small], Decimal(150), 1500, NOW)
    assert [(o.discount.id, o.usable) for o in offers] == [("big", True), ("small", True)]


def test_percentage_discounts_are_worked_out_on_the_cart():
    # Unrounded: cents are rounded once, where the figure is shown.
    assert amount_off(disc(percentage_value=Decimal(15)), Decimal("33.33")) == Decimal("4.9995")
    assert amount_off(disc(), Decimal(10)) == 0


@pytest.mark.parametrize(
    ("selected", "cart", "balance", "problem"),
    [
        ([disc(dollar_value=Decimal(10)), disc(dollar_value=Decimal(20))], "30", 1500, None),
        ([disc(dollar_value=Decimal(10)), disc(dollar_value=Decimal(25))], "30", 1500, "take $35.00 off a $30.00 sale"),
        ([disc(points=600), disc(points=500)], "30", 1000, "cost 1,100 points; the shopper has 1,000"),
        ([disc(points=600), disc(points=500)], "30", None, None),
        # keyed in the POS order: $20 off, then 50% of the $10 left
        ([disc(dollar_value=Decimal(20)), disc(percentage_value=Decimal(50))], "30", 1500, None),
    ],
)
def test_selection_together_may_not_exceed_the_sale_or_the_balance(selected, cart, balance, problem):
    got = selection_problem(selected, Decimal(cart), balance)
    assert (got is None) if problem is None else (problem in got)


def test_totals_of_a_selection():
    picks = [disc(dollar_value=Decimal(10), points=250), disc(percentage_value=Decimal(10), points=300)]
    got = totals(picks, Decimal(50))
    # $10 off, then 10% of the $40 left: what the POS charges when keyed in that order
    assert (got.amount_off, got.points, got.estimated) == (Decimal(14), 550, True)


def template(**kw):
    base = {"id": "d1", "name": "$10 off", "redemptionURL": URL, "pointsDeduction": 250,
            "dollarValue": 10, "percentageValue": 0, "posDiscountID": "POS-10", "available": True}
    base.update(kw)
    return base


def test_a_wallet_with_extra_and_missing_fields_still_reads():
    wallet = read({
        "loyaltyPoints": 1500, "contactID": 77, "tier": "Gold",
        "discountTemplates": [template(somethingNew={"x": 1}),
                              {"id": "d2", "name": "Gift", "redemptionURL": URL, "pointsDeduction": 0}],
    })
    assert (wallet.points, wallet.contact_id, wallet.hide_points) == (1500, "77", False)
    gift = wallet.discounts[1]
    assert (gift.points, gift.dollar_value, gift.pos_discount_id, gift.available) == (0, None, "", True)
    assert wallet.problems == ()


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (template(redemptionURL=None), "no usable redemption link"),
        (template(redemptionURL="javascript:alert(1)"), "no usable redemption link"),
        (template(pointsDeduction="lots"), "points cost"),
        (template(pointsDeduction=-5), "points cost"),
        (template(pointsDeduction=2.5), "points cost"),
        (template(dollarValue="ten"), "dollar value cannot be read"),
        (template(percentageValue=150, dollarValue=0), "over 100%"),
        (template(id=None), "no id"),
        (template(name=None), "no name"),
        ("not a dict", "not a discount"),
    ],
)
def test_a_bad_discount_is_skipped_and_named_the_rest_still_work(bad, why):
    wallet = read({"loyaltyPoints": 10, "discountTemplates": [bad, template(id="ok")]})
    assert [d.id for d in wallet.discounts] == ["ok"]
    assert len(wallet.problems) == 1 and why in wallet.problems[0]


def test_wrong_types_at_the_top_level_do_not_crash():
    wallet = read({"loyaltyPoints": "many", "discountTemplates": None, "hidePointsInWallet": "yes"})
    assert (wallet.points, wallet.discounts, wallet.hide_points) == (0, (), False)
    with pytest.raises(BadResponse):
        read([1, 2])
    with pytest.raises(BadResponse):
        read({"discountTemplates": {"not": "a list"}})


def test_hidden_points_are_never_shown_as_a_balance():
    wallet = read({"loyaltyPoints": 800, "hidePointsInWallet": True, "discountTemplates": []})
    assert wallet.hide_points and wallet.points == 0


def test_string_numbers_and_expiry_are_read():
    wallet = read({"discountTemplates": [template(dollarValue="7.50", expiration=1_800_000_000)]})
    d = wallet.discounts[0]
    assert d.dollar_value == Decimal("7.50") and d.expires_at.year == 2027
    assert d.value_text == "$7.50 off"
