"""The sales feed's pure rules: F1's body, the refund's own ID, the totals it takes, the retry times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain import json_wire
from budtender_app.domain.actor import Actor
from budtender_app.domain.redemption import MAX_TRANSACTION_ID
from budtender_app.domain.sale_feed import (
    BACKOFF,
    FedSale,
    FeedKind,
    FeedState,
    aiq_date,
    check_total,
    count_feed,
    next_try,
    refund_id,
    sale_body,
)

AT = datetime(2026, 12, 1, 19, 3, 53, tzinfo=UTC)
DENVER = ZoneInfo("America/Denver")


def fed(**kw) -> FedSale:
    values = {"id": 1, "store": "Main St", "kind": FeedKind.SALE, "pos_id": "POS-1", "transaction_id": "POS-1",
              "total": Decimal("42.50"), "sold_at": AT, "location": "Main St", "contact_id": "c0ffee" * 5 + "00",
              "shopper_masked": "***-***-4567", "staff": Actor("7", "Dana Cashier"), "state": FeedState.WAITING,
              "attempts": 0, "message": "", "next_try_at": None, "updated_at": AT}
    values.update(kw)
    return FedSale(**values)


def test_the_body_holds_what_the_contract_asks_in_the_stores_zone():
    visit, member = sale_body(fed(), zone=DENVER, phone="5551234567")
    assert visit["pos_id"] == "POS-1" and visit["transaction_total"] == 42.5
    assert visit["transaction_date"] == "2026-12-01 12:03:53 -0700"  # AIQ's format, the store's clock
    assert visit["location"] == "Main St" and visit["budtenderName"] == "Dana Cashier" and visit["budtenderID"] == "7"
    assert visit["pos_user"] == member["contactID"] == "c0ffee" * 5 + "00"
    assert member["mobilePhone"] == "5551234567"
    assert visit["visit_details_attributes"] == [{"sku": "COUNTER-SALE", "name": "Counter sale", "price": 42.5,
                                                  "quantity": 1}]


def test_without_the_phone_in_memory_the_member_is_its_contact_id_alone():
    _, member = sale_body(fed(), zone=UTC)
    assert member == {"contactID": "c0ffee" * 5 + "00"}
    _, member = sale_body(fed(contact_id="", shopper_masked=""), zone=UTC)
    assert member is None


def test_a_refund_is_a_negative_total_and_a_negative_quantity():
    visit, _ = sale_body(fed(kind=FeedKind.REFUND, pos_id="POS-1-R1", total=Decimal("-42.50")), zone=UTC)
    assert visit["transaction_total"] == -42.5 and visit["pos_id"] == "POS-1-R1"
    assert visit["visit_details_attributes"][0]["quantity"] == -1
    assert visit["visit_details_attributes"][0]["price"] == 42.5


@pytest.mark.parametrize(("total", "kind"), [
    (Decimal(1000000), FeedKind.SALE), (Decimal("1e30"), FeedKind.SALE), (Decimal("NaN"), FeedKind.SALE),
    (Decimal("Infinity"), FeedKind.SALE), (Decimal("1.005"), FeedKind.SALE), (Decimal(-1), FeedKind.SALE),
    (Decimal(1), FeedKind.REFUND), (Decimal(-1000000), FeedKind.REFUND)])
def test_a_total_the_counter_never_takes_is_never_sent(total, kind):
    with pytest.raises(ValueError, match="total"):
        check_total(total, kind)


def test_the_largest_cart_goes_exact_to_the_cent():
    visit, _ = sale_body(fed(total=Decimal("999999.99")), zone=UTC)
    assert json_wire.dumps(visit["transaction_total"]) == "999999.99"


def test_the_refund_takes_the_next_free_number():
    assert refund_id("A", []) == "A-R1"
    assert refund_id("A", ["A", "A-R1", "A-R2"]) == "A-R3"


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
               max_size=MAX_TRANSACTION_ID).filter(lambda t: t.strip() == t and t.isprintable()),
       st.sets(st.text(max_size=12), max_size=5))
def test_any_transaction_id_goes_as_typed_and_its_refund_never_takes_another_id(txid, taken):
    visit, _ = sale_body(fed(pos_id=txid, transaction_id=txid), zone=UTC)
    assert json.loads(json_wire.dumps(visit))["pos_id"] == txid
    assert refund_id(txid, taken | {txid}) not in taken | {txid}


def test_retries_back_off_to_half_an_hour_and_honour_a_longer_retry_after():
    assert next_try(1, AT) == AT + timedelta(seconds=BACKOFF[0])
    assert next_try(99, AT) == AT + timedelta(minutes=30)
    assert next_try(1, AT, retry_after=90) == AT + timedelta(seconds=90)
    assert next_try(1, AT, retry_after=10**9) == AT + timedelta(minutes=30)


def test_aiq_date_is_utc_offset_aware():
    assert aiq_date(AT, UTC) == "2026-12-01 19:03:53 +0000"


def test_the_report_counts_each_pos_id_by_its_last_word():
    count = count_feed([("feed_queued", "A"), ("feed_sent", "A"), ("feed_queued", "B"), ("feed_queued", "C"),
                        ("feed_refused", "C"), ("redeemed", "D")])
    assert (count.sent, count.waiting, count.refused) == (1, 1, 1)
    assert "1 sent, 1 waiting, 1 refused" in count.sentence()
