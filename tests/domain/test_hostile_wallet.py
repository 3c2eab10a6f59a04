"""A hostile or broken AIQ, generated: random and extreme shapes into the wallet parser, the PUT
URL join and eligibility. Nothing but BadResponse escapes, nothing is slow enough to freeze the
window, and nothing that comes out could send the API key elsewhere or record a wrong cost.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import unquote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budtender_app.domain.eligibility import evaluate, selection_problem, totals
from budtender_app.domain.errors import BadResponse
from budtender_app.domain.money import MAX_CART, format_money, to_decimal
from budtender_app.domain.origin import same_origin
from budtender_app.domain.redemption import (
    MAX_TRANSACTION_ID,
    Outcome,
    Status,
    TransactionIdError,
    parse_transaction_id,
    record_text,
    redemption_put_url,
)
from budtender_app.domain.wallet import (
    MAX_NAME,
    MAX_POINTS,
    Discount,
    parse_wallet,
    redemption_url_problem,
)

AIQ = "https://lab.alpineiq.com"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Seconds the GUI thread may be blocked by parsing; ten times that under a line tracer (coverage),
# which slows every line of Python several times over.
FAST = 0.05 if sys.gettrace() is None else 0.5
HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXTREME_TEXT = ["1e999999", "-1e999999", "1e-999999", "1e9999999999999999999", "NaN", "-NaN", "sNaN", "Infinity",
                "-Infinity", "inf", "0E-1000000", "0E+1000000", "1e30", "1e31", "-0", "1_000", "\uff11\uff12",
                " 7 ", "", "0x10", "250", "2.5e2", "9" * 40, "0." + "0" * 38 + "1"]
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-10**40, max_value=10**40),
    st.sampled_from([MAX_POINTS, MAX_POINTS + 1, 1_800_000_000, 1_800_000_000_000, 10**20, 10**21]),
    st.integers(min_value=20, max_value=4000).map(lambda n: 10**n),  # a JSON parser lets 4300 digits through
    st.integers(min_value=20, max_value=20_000).map(lambda n: "1" * n),
    st.floats(),
    st.decimals(allow_nan=True).map(str),
    st.sampled_from(EXTREME_TEXT),
    st.text(max_size=40),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=300))
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

SEGMENTS = ["api", "v1.1", "discount", "redeem", "1234", "d1", "tok", ".", "..", "%2e", "%2E%2E", ".%2e", "..;x",
            "%252e%252e", "", "a b", "t\u00f6k", "%zz", "\\", "x%2Fy", "%00", "~_-!$&'()*+,;=:@", "a" * 40]
HOSTS = ["lab.alpineiq.com", "LAB.AlpineIQ.com", "lab.alpineiq.com:443", "lab.alpineiq.com:8443",
         "lab.alpineiq.com:80", "alpineiq.com", "lab.alpineiq.com.", "user@lab.alpineiq.com",
         "lab.alpineiq.com@evil.example", "evil.example", "[::1]", "", "lab.alpineiq.com:x"]
PCHARS = (st.text(alphabet="abcXYZ019-._~!$&'()*+,;=:@", min_size=1, max_size=12)
          | st.sampled_from(["%41", "%2F", "%7e"]))
good_urls = st.builds(
    lambda segments, slash, query: AIQ + "/" + "/".join(segments) + slash + query,
    st.lists(PCHARS, min_size=1, max_size=6),
    st.sampled_from(["", "/"]),
    st.sampled_from(["", "?store=9", "?a=b&c=d"]),
).filter(lambda url: redemption_url_problem(url, AIQ) is None)
urls = st.one_of(
    good_urls,
    good_urls.map(lambda url: url.replace("https://", "http://")),
    st.builds(
        lambda scheme, host, segments, query, fragment: f"{scheme}{host}/{'/'.join(segments)}{query}{fragment}",
        st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "", "https:", "//"]),
        st.sampled_from(HOSTS),
        st.lists(st.sampled_from(SEGMENTS) | st.text(max_size=8), max_size=8),
        st.sampled_from(["", "?store=9", "?", "?a=/../b"]),
        st.sampled_from(["", "#", "#x"]),
    ),
    st.text(max_size=100),
    junk,
)
template = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=120), st.integers(), junk),
        "name": st.one_of(st.text(max_size=200), junk),
        "internalName": junk,
        "redemptionURL": urls,
        "pointsDeduction": st.one_of(st.integers(0, MAX_POINTS), numbers, junk),
        "dollarValue": numbers,
        "percentageValue": numbers,
        "expiration": numbers,
        "posDiscountID": junk,
        "pageTitle": junk,
        "inStoreRedemption": junk,
        "available": junk,
        "reusable": junk,
    },
)
sound_template = st.fixed_dictionaries({
    "id": st.text(min_size=1, max_size=10) | st.integers(0, 10**9),
    "name": st.text(min_size=1, max_size=40) | st.sampled_from(["$5 off", "15% off", "Gift"]),
    "redemptionURL": good_urls,
    "pointsDeduction": st.integers(0, MAX_POINTS) | st.integers(0, 10**6).map(str) | st.just(250.0),
    "dollarValue": st.just(0) | st.decimals(min_value=0, max_value=MAX_CART, places=2).map(str) | st.floats(0, 1e6),
    "expiration": st.just(0) | st.integers(1, 32_503_680_000),
})
# A mostly sound discount with a few hostile fields laid over it: most of what comes out is offered.
mixed_template = st.builds(lambda sound, hostile: {**sound, **hostile}, sound_template, template)
top_level = {"loyaltyPoints": st.one_of(numbers, junk), "hidePointsInWallet": junk, "contactID": junk}
wallets = st.one_of(
    st.fixed_dictionaries(
        {"discountTemplates": st.lists(st.one_of(sound_template, mixed_template, template, junk), max_size=8)},
        optional=top_level,
    ),
    st.fixed_dictionaries({}, optional={**top_level, "discountTemplates": junk}),
    junk,
)


def check_discount(d: Discount) -> None:
    assert same_origin(d.redemption_url, AIQ) and redemption_url_problem(d.redemption_url, AIQ) is None
    assert type(d.points) is int and 0 <= d.points <= MAX_POINTS
    assert d.dollar_value is None or 0 < d.dollar_value <= MAX_CART
    assert d.percentage_value is None or 0 < d.percentage_value <= 100
    assert not (d.dollar_value and d.percentage_value)
    assert d.id and len(d.id) <= 100 and d.id.isprintable()
    assert 0 < len(d.name) <= MAX_NAME and d.name.isprintable() and d.pos_discount_id.isprintable()
    assert len(d.value_text) < 40
    if d.expires_at is not None:
        assert d.expires_at.year < 3001


@HOSTILE
@given(data=wallets)
def test_nothing_but_bad_response_escapes_the_parser_and_nothing_out_is_unsafe(data):
    start = time.perf_counter()
    try:
        wallet = parse_wallet(data, base_url=AIQ)
    except BadResponse:
        return
    assert time.perf_counter() - start < FAST
    assert type(wallet.points) is int and 0 <= wallet.points <= MAX_POINTS
    assert len({d.id for d in wallet.discounts}) == len(wallet.discounts)
    for d in wallet.discounts:
        check_discount(d)
    for offer in evaluate(wallet.discounts, Decimal(75), wallet.points, NOW):
        assert offer.reason is None or offer.reason.isprintable()


@settings(HOSTILE, max_examples=40)
@given(templates=st.lists(mixed_template | template, min_size=1, max_size=5))
def test_a_full_wallet_of_hostile_discounts_parses_fast(templates):
    full = [dict(templates[i % len(templates)], id=str(i)) for i in range(250)]
    data = {"loyaltyPoints": "1e999999", "discountTemplates": full}
    # The fastest of three: the parse's own cost, not a moment the other core's work took the CPU.
    took = []
    for _ in range(3):
        start = time.perf_counter()
        wallet = parse_wallet(data, base_url=AIQ)
        took.append(time.perf_counter() - start)
    assert min(took) < FAST
    for d in wallet.discounts:
        check_discount(d)


@HOSTILE
@given(value=st.one_of(numbers, junk))
def test_to_decimal_is_fast_finite_and_bounded(value):
    start = time.perf_counter()
    number = to_decimal(value)
    assert time.perf_counter() - start < FAST
    if number is not None:
        assert number.is_finite() and abs(number) < Decimal(10) ** 21
        int(number)  # cheap once bounded
        format_money(number)


# -- the PUT URL -----------------------------------------------------------------------------

typed_ids = st.one_of(
    st.text(max_size=MAX_TRANSACTION_ID + 10),
    st.sampled_from([".", "..", "...", " . ", "a/b", "?x", "%2e", "%2E%2E", "#", "\u00dcn\u00ef", "a b", "x" * 128,
                     "\u202e", "\\", "../..", "./", "/", ";", "..;x", "%", "\U0001f600"]),
)


@HOSTILE
@given(url=good_urls, typed=typed_ids)
def test_the_put_url_keeps_aiqs_path_and_adds_exactly_the_typed_id(url, typed):
    try:
        txid = parse_transaction_id(typed)
    except TransactionIdError:
        return
    original, put = httpx.URL(url), httpx.URL(redemption_put_url(url, txid))
    assert (put.scheme, put.host, put.port) == (original.scheme, original.host, original.port)
    assert put.query == original.query
    prefix = original.raw_path.split(b"?")[0].rstrip(b"/") + b"/"
    path = put.raw_path.split(b"?")[0]
    assert path.startswith(prefix)
    last = path[len(prefix):].decode("ascii")
    assert "/" not in last and unquote(last) == txid


@HOSTILE
@given(typed=st.text(max_size=300))
def test_a_transaction_id_is_refused_or_printable_and_bounded(typed):
    try:
        txid = parse_transaction_id(typed)
    except TransactionIdError as exc:
        message = str(exc)
        assert message
        return
    assert txid == typed.strip() and 0 < len(txid) <= MAX_TRANSACTION_ID and txid.isprintable()


# -- eligibility: pure, total -----------------------------------------------------------------

money = st.decimals(min_value=0, max_value=MAX_CART, places=2)
discounts = st.builds(
    Discount,
    id=st.text(min_size=1, max_size=5),
    name=st.text(min_size=1, max_size=20),
    redemption_url=st.just(AIQ + "/r/1/tok"),
    points=st.integers(0, MAX_POINTS),
    dollar_value=st.none() | money.filter(bool),
    percentage_value=st.none() | st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    in_store=st.booleans(),
    available=st.booleans(),
    expires_at=st.none() | st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 31),  # noqa: DTZ001 - hypothesis bounds are naive
                                        timezones=st.just(UTC)),
)


@HOSTILE
@given(ds=st.lists(discounts, max_size=10),
       cart=st.decimals(min_value=0, max_value=MAX_CART - Decimal("0.01"), places=2),
       balance=st.none() | st.integers(0, MAX_POINTS),
       now=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1),  # noqa: DTZ001 - naive bounds
                        timezones=st.just(UTC)))
def test_eligibility_never_raises_on_bounded_input(ds, cart, balance, now):
    offers = evaluate(ds, cart, balance, now)
    assert sorted(id(o.discount) for o in offers) == sorted(id(d) for d in ds)
    usable = [o.discount for o in offers if o.usable]
    sums = totals(usable, cart)
    assert sums.points == sum(d.points for d in usable)
    problem = selection_problem(usable, cart, balance)
    assert problem is None or problem.isprintable()
    record_text("T", [Outcome(d, Status.REDEEMED) for d in usable], shopper="***", balance_after=balance)
