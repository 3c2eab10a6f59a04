"""The simulated AIQ's demo data: the shoppers training mode and the tests can name.

Each seeded discount exercises one rule the counter must get right (too big for the cart, not
available, expired, more points than the balance, online only), so a trainee meets every case.
"""

from __future__ import annotations

from typing import Any

DEMO_API_KEY = "demo-key"
DEMO_UID = "1234"

#: "Alex": 1,500 points and one discount for each eligibility rule.
DEMO_PHONE = "5551234567"
#: "Sam": the brand hides points (wallet says 0; 800 inside).
DEMO_PHONE_HIDDEN = "5559876543"
#: "Jordan": a brand-new member, 0 points, only the welcome gift.
DEMO_PHONE_NEW = "5552223333"

DEMO_POINTS = 1_500
DEMO_HIDDEN_POINTS = 800

#: AIQ's PINs stop working after 10 minutes (our assumption; AIQ does not publish it).
PIN_LIFETIME_SECONDS = 600

WELCOME_GIFT_NAME = "$5 welcome gift"

_DAY = 24 * 60 * 60


def make_template(
    discount_id: str,
    name: str,
    *,
    points: int,
    dollar: float = 0,
    percent: float = 0,
    pos_id: str = "",
    reusable: bool = False,
    available: bool = True,
    in_store: bool = True,
    expiration: int = 0,
    desc: str = "",
) -> dict[str, Any]:
    """A well-formed discount template in AIQ's field names, without its ``redemptionURL``
    (the simulator adds that per shopper, with a token)."""
    return {
        "id": discount_id,
        "posDiscountID": pos_id,
        "name": name,
        "pageTitle": desc or name,
        "avatar": f"https://simulator.invalid/img/{discount_id}.png",
        "inStoreRedemption": in_store,
        "pointsDeduction": points,
        "dollarValue": dollar,
        "percentageValue": percent,
        "reusable": reusable,
        "available": available,
        "expiration": expiration,
        "tierDiscount": False,
        "internalName": f"{name} ({discount_id})",
        "desc": desc,
        # Not in the contract: present so clients prove they ignore what they do not know.
        "category": "general",
    }


def welcome_gift(discount_id: str, now: float) -> dict[str, Any]:
    """The 0-point gift every new member gets (AIQ's usual signup reward)."""
    return make_template(
        discount_id, WELCOME_GIFT_NAME, points=0, dollar=5, pos_id="POS-WELCOME",
        expiration=int(now) + 30 * _DAY, desc="Thanks for joining: $5 off your next visit",
    )


def _alex_discounts(now: float) -> list[dict[str, Any]]:
    later = int(now) + 30 * _DAY
    return [
        make_template("101", "$5 off any purchase", points=100, dollar=5, pos_id="POS-5OFF",
                      reusable=True, expiration=later),
        make_template("102", "$10 off your order", points=250, dollar=10, pos_id="POS-10OFF",
                      expiration=later),
        make_template("103", "15% off everything", points=300, percent=15, pos_id="POS-15PCT",
                      expiration=later),
        make_template("104", "$100 off a big haul", points=1_200, dollar=100, pos_id="POS-100OFF",
                      expiration=later, desc="For carts over $100"),
        make_template("105", "$20 off edibles", points=400, dollar=20, pos_id="POS-20EDIBLE",
                      available=False, expiration=later),
        make_template("106", "Summer sale $15 off", points=200, dollar=15, pos_id="POS-SUMMER15",
                      expiration=int(now) - 7 * _DAY),
        make_template("107", "VIP $50 off", points=2_000, dollar=50, pos_id="POS-VIP50",
                      expiration=later),
        make_template("108", "Online orders: $5 off", points=100, dollar=5, pos_id="POS-WEB5",
                      in_store=False, expiration=later),
    ]


def demo_shoppers(now: float) -> list[dict[str, Any]]:
    """Keyword arguments for ``Simulator.add_shopper``, one dict per seeded shopper."""
    later = int(now) + 30 * _DAY
    return [
        {"phone": DEMO_PHONE, "first_name": "Alex", "last_name": "Rivera",
         "email": "alex@example.com", "points": DEMO_POINTS, "discounts": _alex_discounts(now)},
        {"phone": DEMO_PHONE_HIDDEN, "first_name": "Sam", "last_name": "Chen",
         "email": "sam@example.com", "points": DEMO_HIDDEN_POINTS, "hide_points": True,
         "discounts": [
             make_template("201", "$5 off any purchase", points=100, dollar=5, pos_id="POS-5OFF",
                           reusable=True, expiration=later),
             make_template("202", "10% off flower", points=300, percent=10, pos_id="POS-10FLOWER",
                           expiration=later),
         ]},
        {"phone": DEMO_PHONE_NEW, "first_name": "Jordan", "last_name": "Lee",
         "email": "jordan@example.com", "points": 0,
         "discounts": [welcome_gift("301", now)]},
    ]
