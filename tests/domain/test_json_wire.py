"""AIQ's bodies carry money as the Decimal's own digits, never through a float."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain import json_wire

money = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False)


@given(st.lists(money, max_size=5), st.text(max_size=20))
def test_every_decimal_reaches_the_wire_digit_for_digit(amounts, text):
    body = {"total": amounts[0] if amounts else Decimal("0.10"), "lines": [{"price": a} for a in amounts],
            "name": text}
    back = json.loads(json_wire.dumps(body), parse_float=Decimal, parse_int=Decimal)
    assert back["total"] == body["total"] and [line["price"] for line in back["lines"]] == amounts
    assert back["name"] == text


def test_a_cent_a_float_cannot_hold_is_written_as_it_is():
    assert json_wire.dumps({"t": Decimal("999999999999999.99")}) == '{"t": 999999999999999.99}'
    assert float("999999999999999.99") != Decimal("999999999999999.99")  # what json.dumps of a float lost


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_not_a_number_is_refused(bad):
    with pytest.raises(ValueError):
        json_wire.dumps([bad])
