"""Issue 14 attacked (session 6): what a broken POS or a hostile peer sends over the socket.

Everything the socket carries is refused with a HandoffError (the server's one way of saying
no), never another exception: a deeply nested JSON line, or a discount ID that is not text.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budtender_app.domain.handoff import MAX_WIRE, HandoffError, from_wire, parse_url


@pytest.mark.parametrize("line", [
    b"[" * 4000 + b"]" * 4000 + b"\n",
    b'{"v":1,"sale":' + b"[" * 3000 + b"]" * 3000 + b"}\n",
    b'{"v":1,"sale":{"total":"1","discounts":' + b"[" * 3000 + b"]" * 3000 + b"}}\n",
])
def test_a_deeply_nested_line_is_refused_as_unreadable(line):
    assert len(line) <= MAX_WIRE
    with pytest.raises(HandoffError, match="cannot be read"):
        from_wire(line)


@pytest.mark.parametrize("discounts", [[{"a": 1}], [2], [None], [True], [["POS-5OFF"]]])
def test_a_discount_id_that_is_not_text_is_refused(discounts):
    line = json.dumps({"v": 1, "sale": {"total": "1.00", "discounts": discounts}}).encode() + b"\n"
    with pytest.raises(HandoffError):
        from_wire(line)


@pytest.mark.parametrize("version", [True, 1.0])
def test_only_version_1_itself_is_read(version):
    line = json.dumps({"v": version, "sale": None}).encode() + b"\n"
    with pytest.raises(HandoffError, match="not one this terminal reads"):
        from_wire(line)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
                    max_leaves=20))
def test_any_json_sale_is_a_handoff_or_a_handoff_error(sale):
    line = json.dumps({"v": 1, "sale": sale}).encode() + b"\n"
    with contextlib.suppress(HandoffError):
        from_wire(line)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_a_handoff_or_a_handoff_error(data):
    with contextlib.suppress(HandoffError):
        from_wire(data)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["budtender://sale?", "BudTender://SALE?", "budtender://sale/?", ""]))
def test_any_link_is_a_handoff_or_a_handoff_error(tail, head):
    with contextlib.suppress(HandoffError):
        parse_url(head + tail)


@pytest.mark.parametrize("link", [
    "budtender://sale?total=1&5550102030=x",
    "budtender://sale?total=5550102030x",
    "budtender://sale?total=1&discount=" + "5550102030" * 7,
    "budtender://sale?total=1&phone=5550102030",
    "budtender://sale?total=1&ph%6Fne=5550102030",
    "budtender://5550102030@sale?total=1",
])
def test_a_refused_link_never_repeats_a_phone_it_carried(link):
    with pytest.raises(HandoffError) as refused:
        parse_url(link)
    assert "0102030" not in str(refused.value)
