"""The hand-off's rules (issue 14): links, fields and the socket's message, refused when malformed."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain.handoff import (
    Handoff,
    HandoffError,
    from_fields,
    from_wire,
    parse_url,
    to_wire,
)


def test_a_link_fills_the_total_the_transaction_and_the_discounts():
    got = parse_url("budtender://sale?total=42.50&transaction=T-1001&discount=POS-5OFF&discount=POS-10")
    assert got == Handoff(total=Decimal("42.50"), transaction="T-1001", discounts=("POS-5OFF", "POS-10"))
    assert parse_url("BUDTENDER://sale/?total=%2412.00").total == Decimal("12.00")


@pytest.mark.parametrize(("url", "says"), [
    ("https://sale?total=1", "not a budtender:// link"),
    ("budtender://redeem?total=1", "budtender://sale?total"),
    ("budtender://sale:99?total=1", "budtender://sale?total"),
    ("budtender://me@sale?total=1", "budtender://sale?total"),
    ("budtender://sale/x?total=1", "budtender://sale?total"),
    ("budtender://sale?total=1#x", "budtender://sale?total"),
    ("budtender://sale?transaction=T-1", "needs the cart total"),
    ("budtender://sale?total=-5", "Cart total"),
    ("budtender://sale?total=1e9", "Cart total"),
    ("budtender://sale?total=1&total=2", "twice"),
    ("budtender://sale?total=1&phone=5551234567", "never carries the shopper's phone"),
    ("budtender://sale?total=1&pin=1234", "does not take"),
    ("budtender://sale?total=1&transaction=%0A", "Transaction ID"),
    ("budtender://sale?total=1&discount=", "POS discount ID"),
    ("budtender://sale?total=1&discount=A&discount=A", "named twice"),
    ("budtender://sale?total=1" + "".join(f"&discount=x{n}" for n in range(11)), "At most 10"),
    ("budtender://sale?total=1&transaction=" + "9" * 3000, "longer than"),
])
def test_a_malformed_link_is_refused_with_words(url, says):
    with pytest.raises(HandoffError, match=re.escape(says)):
        parse_url(url)


def test_the_socket_message_carries_the_phone_and_a_bare_launch_only_raises():
    sale = from_fields("42.50", "T-1", ["POS-5OFF"], phone="555-123-4567")
    assert from_wire(to_wire(sale)) == sale and "555" not in repr(sale)
    assert from_wire(to_wire(Handoff())).raise_only


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"v":2,"sale":null}', b'{"v":1,"sale":5}',
                                  b'{"v":1,"sale":{"total":5}}', b'{"v":1,"sale":{"total":"1","discounts":"x"}}',
                                  b"\xff\xfe", b'{"v":1,"sale":null}' + b" " * 9000])
def test_a_bad_socket_message_is_refused(data):
    with pytest.raises(HandoffError):
        from_wire(data)


@given(st.text(max_size=300))
def test_no_text_crashes_the_link_parser(text):
    for url in (text, "budtender://sale?" + text):
        try:
            got = parse_url(url)
        except HandoffError:
            continue
        assert got.total is not None and got.total >= 0 and not got.phone


@given(st.binary(max_size=400))
def test_no_bytes_crash_the_socket_reader(data):
    with contextlib.suppress(HandoffError):
        from_wire(data)
