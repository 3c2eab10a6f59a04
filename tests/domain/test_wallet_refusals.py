"""Discounts a broken or hostile AIQ sends are not offered, each with a reason a cashier can read.

Issue 10: a redemption link that would carry the API key off the store's AIQ origin, a missing
points cost recorded as 0, and one huge number that blocked or froze the whole wallet.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from budtender_app.domain.eligibility import evaluate
from budtender_app.domain.money import format_money
from budtender_app.domain.redemption import Outcome, Status, record_text
from budtender_app.domain.wallet import (
    MAX_DISCOUNTS,
    MAX_NAME,
    MAX_POINTS,
    NO_URL,
    NOT_AIQ,
    ODD_URL,
    parse_wallet,
    redemption_url_problem,
)

AIQ = "https://lab.alpineiq.com"
PATH = "/api/v1.1/discount/redeem/1234/d1/tok"
URL = AIQ + PATH
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Seconds the GUI thread may be blocked by parsing; ten times that under a line tracer (coverage),
# which slows every line of Python several times over.
FAST = 0.05 if sys.gettrace() is None else 0.5


def template(**kw):
    base = {"id": "d1", "name": "$10 off", "redemptionURL": URL, "pointsDeduction": 250,
            "dollarValue": 10, "percentageValue": 0, "posDiscountID": "POS-10", "available": True}
    base.update(kw)
    return base


def read_one(bad, base_url=AIQ):
    """The wallet with ``bad`` first and a good discount after it (the good one must survive)."""
    wallet = parse_wallet({"loyaltyPoints": 500, "discountTemplates": [bad, template(id="ok", name="Good")]},
                          base_url=base_url)
    assert wallet.discounts[-1].id == "ok", "one bad discount must not take the rest with it"
    return wallet


# -- 1. the API key goes only to the store's AIQ origin -------------------------------------

@pytest.mark.parametrize(
    "url",
    [
        "http://lab.alpineiq.com" + PATH,  # plain HTTP on the AIQ host: the key would travel readable
        "https://lab.alpineiq.com:8443" + PATH,  # another port on it
        "http://lab.alpineiq.com:443" + PATH,
        "https://alpineiq.com" + PATH,  # a sibling host (the old "same domain" rule let it through)
        "https://evil.alpineiq.com" + PATH,
        "https://lab.alpineiq.com.evil.example" + PATH,
        "https://lab.alpineiq.com@evil.example" + PATH,
        "https://evil.example" + PATH,
        "https://lab.alpineiq.com:99999" + PATH,
    ],
)
def test_a_redemption_link_off_the_stores_aiq_origin_is_not_offered_and_says_why(url):
    wallet = read_one(template(redemptionURL=url))
    assert [d.id for d in wallet.discounts] == ["ok"]
    assert wallet.problems == (f"'$10 off' skipped: {NOT_AIQ}",)
    assert "tell a manager" in wallet.problems[0]


@pytest.mark.parametrize(
    ("base", "url"),
    [
        (AIQ, "https://lab.alpineiq.com:443" + PATH),  # the default port, written out
        (AIQ, "HTTPS://LAB.AlpineIQ.com" + PATH),  # scheme and host are case-blind
        (AIQ + "/", URL + "?store=9"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080" + PATH),  # the simulator on this computer
    ],
)
def test_the_same_origin_written_differently_is_offered(base, url):
    wallet = parse_wallet({"discountTemplates": [template(redemptionURL=url)]}, base_url=base)
    assert [d.redemption_url for d in wallet.discounts] == [url] and wallet.problems == ()


@pytest.mark.parametrize(
    "url",
    [
        URL + "/..",  # the PUT would land on .../d1/<transaction>: the token dropped
        AIQ + "/api/v1.1/discount/redeem/../../adjust/loyaltyPoints/1234/c1",
        AIQ + "/api/./v1.1/discount/redeem/1234/d1/tok",
        AIQ + "/api/v1.1/discount/redeem/1234/%2e%2E/tok",  # a server may decode, then remove it
        AIQ + "/api/v1.1/discount/redeem/1234/.%2e/tok",
        AIQ + "/api/v1.1/discount/redeem/1234/%252E%252E/tok",  # decoded twice by a sloppy proxy
        AIQ + "/api/v1.1/discount/redeem/1234/..;jsessionid=1/tok",  # Tomcat reads it as ".."
        AIQ + "/api\\v1.1/discount/redeem/1234/d1/tok",  # some servers read "\" as "/"
        URL + "#frag",
        AIQ + "/api/v1.1/disc ount/redeem/1234/d1/tok",
        AIQ + "/api/v1.1/discount/redeem/1234/d1/t\u00f6k",
        URL + "%zz",
        URL + "\x00",
        AIQ + "/" + "a" * 3000,
    ],
)
def test_a_redemption_link_whose_path_a_server_could_move_is_not_offered(url):
    wallet = read_one(template(redemptionURL=url))
    assert [d.id for d in wallet.discounts] == ["ok"]
    assert wallet.problems == (f"'$10 off' skipped: {ODD_URL}",)


def test_a_link_with_a_login_in_its_address_is_not_offered():
    wallet = read_one(template(redemptionURL="https://user:pw@lab.alpineiq.com" + PATH))
    assert [d.id for d in wallet.discounts] == ["ok"] and len(wallet.problems) == 1


@pytest.mark.parametrize("url", [None, 42, "", "   ", "javascript:alert(1)", "lab.alpineiq.com/x", "https:///x",
                                 "ftp://lab.alpineiq.com/x"])
def test_no_usable_redemption_link(url):
    assert redemption_url_problem(url, AIQ) == NO_URL


@pytest.mark.parametrize("url", [AIQ, AIQ + "/", AIQ + "//"])
def test_a_link_with_no_path_is_not_a_redemption_link(url):
    assert redemption_url_problem(url, AIQ) == ODD_URL


# -- 3. a discount must say what it costs ---------------------------------------------------

def test_a_discount_without_a_points_cost_is_not_offered_rather_than_recorded_as_free():
    missing = template()
    del missing["pointsDeduction"]
    for bad in (missing, template(pointsDeduction=None)):
        wallet = read_one(bad)
        assert [d.id for d in wallet.discounts] == ["ok"]
        assert wallet.problems == ("'$10 off' skipped: AIQ did not say how many points it costs",)


@pytest.mark.parametrize(("raw", "points"),
                         [(0, 0), ("250", 250), (250.0, 250), ("2.5e2", 250), (MAX_POINTS, MAX_POINTS)])
def test_a_points_cost_that_is_a_whole_number_is_read(raw, points):
    wallet = parse_wallet({"discountTemplates": [template(pointsDeduction=raw)]}, base_url=AIQ)
    assert [d.points for d in wallet.discounts] == [points]


@pytest.mark.parametrize("raw", ["", "lots", -1, 2.5, "0.5", True, [], {}, MAX_POINTS + 1, "1e30", float("nan"),
                                 float("inf"), "Infinity", 10**400])
def test_a_points_cost_that_is_not_a_whole_number_of_points_is_not_offered(raw):
    wallet = read_one(template(pointsDeduction=raw))
    assert wallet.problems == ("'$10 off' skipped: its points cost is not a whole number of points",)


# -- 4. one number can neither block nor freeze the wallet ----------------------------------

def timed_read(data):
    """The wallet, and the best of three parse times: the parser's cost, not the machine's load."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        wallet = parse_wallet(data, base_url=AIQ)
        best = min(best, time.perf_counter() - start)
    return wallet, best


@pytest.mark.parametrize(
    ("field", "raw", "why"),
    [
        ("pointsDeduction", "1e99999", "points cost"),  # int() of it is quadratic: the window froze
        ("pointsDeduction", "1" * 5000, "points cost"),
        ("expiration", "1e99999", "expiry date"),
        ("expiration", 1_800_000_000_000, "expiry date"),  # milliseconds, not seconds
        ("expiration", -5, "expiry date"),
        ("expiration", "soon", "expiry date"),
        ("dollarValue", 1e30, "dollar value cannot be read"),  # stopped the wallet opening
        ("dollarValue", "1000000.01", "dollar value is over $1,000,000.00"),
        ("dollarValue", "1e999999", "dollar value cannot be read"),
        ("dollarValue", float("inf"), "dollar value cannot be read"),
        ("dollarValue", -5, "dollar value cannot be read"),
        ("percentageValue", "1e-999999", "percentage cannot be read"),  # a megabyte of zeros to show
        ("percentageValue", 100.5, "percentage is over 100%"),
    ],
)
def test_one_huge_number_skips_its_discount_fast_and_the_wallet_opens(field, raw, why):
    wallet, seconds = timed_read({"loyaltyPoints": 500,
                                  "discountTemplates": [template(**{field: raw}), template(id="ok", name="Good")]})
    assert seconds < FAST
    assert [d.id for d in wallet.discounts] == ["ok"]
    assert len(wallet.problems) == 1 and why in wallet.problems[0]


@pytest.mark.parametrize("raw", ["1e99999", 10**400, 1e300, "-5", -5, MAX_POINTS + 1, "lots", None, 2.5])
def test_a_points_balance_out_of_bounds_reads_as_zero_fast(raw):
    wallet, seconds = timed_read({"loyaltyPoints": raw, "discountTemplates": [template()]})
    assert seconds < FAST and wallet.points == 0 and len(wallet.discounts) == 1


def test_the_largest_values_aiq_may_send_still_show_and_evaluate():
    wallet = parse_wallet({"loyaltyPoints": MAX_POINTS, "discountTemplates": [
        template(id="a", dollarValue="1000000", pointsDeduction=MAX_POINTS),
        template(id="b", dollarValue=0, percentageValue="100", expiration=32_503_680_000),
        template(id="c", dollarValue="0.01", pointsDeduction=0, expiration=0),
    ]}, base_url=AIQ)
    assert wallet.problems == ()
    assert [d.value_text for d in wallet.discounts] == ["$1,000,000.00 off", "100% off", "$0.01 off"]
    offers = evaluate(wallet.discounts, Decimal("999999.99"), wallet.points, NOW)
    assert [o.usable for o in offers] == [True, True, False]
    assert format_money(wallet.discounts[0].dollar_value) == "$1,000,000.00"


# -- text from AIQ is bounded and cannot forge lines ----------------------------------------

def test_a_discount_name_cannot_add_a_line_to_the_auditors_record():
    forged = "$5 off\n- Free gift | POS discount ID X | $500.00 off | REDEEMED | points deducted: 0\u202e"
    wallet = parse_wallet({"discountTemplates": [template(name=forged)]}, base_url=AIQ)
    d = wallet.discounts[0]
    text = record_text("T-1", [Outcome(d, Status.REDEEMED)], shopper="***-***-4567", balance_after=None)
    assert len(text.splitlines()) == 4 and "\u202e" not in text and d.name.startswith("$5 off - Free gift")


def test_long_texts_are_cut_for_display_and_long_identifiers_refused():
    wallet = parse_wallet({"contactID": "c" * 5000, "discountTemplates": [
        template(id="long-name", name="n" * 100_000, pageTitle="p" * 100_000),
        template(id="x" * 101), template(id="bad\nid"), template(id="pos", posDiscountID="P" * 101),
        template(id=10**500),
    ]}, base_url=AIQ)
    (d,) = wallet.discounts
    assert len(d.name) == MAX_NAME and d.name.endswith("…") and len(d.description) <= 500
    assert wallet.contact_id == ""
    assert [p.split(" skipped: ")[1] for p in wallet.problems] == [
        "its id cannot be read", "its id cannot be read", "its POS discount ID cannot be read", "no id"]


def test_numeric_ids_are_kept_as_text():
    wallet = parse_wallet({"contactID": 77, "discountTemplates": [template(id=101, posDiscountID=55)]}, base_url=AIQ)
    assert (wallet.contact_id, wallet.discounts[0].id, wallet.discounts[0].pos_discount_id) == ("77", "101", "55")


def test_a_flood_of_discounts_is_read_up_to_a_bound_fast():
    templates = [template(id=str(i), pointsDeduction="1e999999") for i in range(100_000)]
    wallet, seconds = timed_read({"discountTemplates": templates})
    assert seconds < FAST
    assert wallet.discounts == () and len(wallet.problems) == 12
    assert wallet.problems[-2:] == (f"{MAX_DISCOUNTS - 10} more skipped",
                                    "AIQ sent more than 1,000 discounts; the rest are not offered")


def test_the_reasons_are_a_cashiers_words():
    for reason in (NO_URL, NOT_AIQ, ODD_URL):
        assert "URL" not in reason and "origin" not in reason


def test_a_discount_listed_twice_is_offered_once():
    wallet = parse_wallet({"discountTemplates": [template(), template(name="Again")]}, base_url=AIQ)
    assert [d.name for d in wallet.discounts] == ["$10 off"]
    assert wallet.problems == ("'Again' skipped: listed twice",)


def test_a_discount_with_both_a_dollar_and_a_percentage_value_is_not_offered():
    wallet = read_one(template(dollarValue=5, percentageValue=10))
    assert wallet.problems == ("'$10 off' skipped: it has both a dollar and a percentage value",)


@pytest.mark.parametrize("segment", ["%25252e%25252E", "%2525252e", "%2e%2e;v=1", ".;x"])
def test_a_dot_segment_hidden_under_any_number_of_encodings_is_refused(segment):
    assert redemption_url_problem(f"{AIQ}/api/{segment}/tok", AIQ) == ODD_URL


def test_the_benchmarks_big_wallet_still_reads_whole_and_fast():
    templates = [template(id=f"big{i:04d}", name=f"Deal {i:04d}",
                          redemptionURL=f"{AIQ}/api/v1.1/discount/redeem/1/{i}/t{i:x}",
                          pointsDeduction=10 + i, expiration=1_900_000_000) for i in range(MAX_DISCOUNTS)]
    wallet, seconds = timed_read({"loyaltyPoints": 5000, "discountTemplates": templates})
    assert len(wallet.discounts) == MAX_DISCOUNTS and wallet.problems == ()
    assert seconds < FAST


@pytest.mark.parametrize("path", ["/api/x%2F..%2Fy/tok", "/api/x%2F%2E%2E%5Cy/tok", "/api/x%5C..%5Cy/tok",
                                  "/api/d1%00/tok",
                                  "/api/d1%250A/tok"])
def test_a_dot_segment_behind_an_encoded_slash_or_a_control_character_is_refused(path):
    assert redemption_url_problem(AIQ + path, AIQ) == ODD_URL


@pytest.mark.parametrize("path", ["/api/a%2Fb/tok", "/api/T%20x/tok", "/api/...", "/api/.x/..y/tok", "/api/%41/tok",
                                  "/api/100%25/tok"])
def test_odd_but_harmless_paths_are_kept(path):
    assert redemption_url_problem(AIQ + path, AIQ) is None
