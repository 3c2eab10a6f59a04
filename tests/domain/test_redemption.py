import pytest

from budtender_app.domain.redemption import (
    Outcome,
    Status,
    TransactionIdError,
    parse_transaction_id,
    record_text,
    redemption_put_url,
)
from budtender_app.domain.wallet import Discount

BASE = "https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d1/tok"


@pytest.mark.parametrize(
    ("url", "txid", "expected"),
    [
        (BASE, "T-1001", BASE + "/T-1001"),
        (BASE + "/", "T-1001", BASE + "/T-1001"),  # one slash, never two
        (BASE, "A/B 7?#%", BASE + "/A%2FB%207%3F%23%25"),  # the ID cannot change the path
        (BASE + "?store=9", "T1", BASE + "/T1?store=9"),  # the query string stays after it
        (BASE, "Ünï", BASE + "/%C3%9Cn%C3%AF"),
    ],
)
def test_the_transaction_id_is_appended_as_aiq_asks(url, txid, expected):
    assert redemption_put_url(url, txid) == expected


@pytest.mark.parametrize(("typed", "says"),
                         [("", "Type the POS"), ("a\tb", "cannot be typed"), ("x" * 129, "at most 128")])
def test_bad_transaction_ids(typed, says):
    with pytest.raises(TransactionIdError, match=says):
        parse_transaction_id(typed)


def test_any_printable_transaction_id_is_kept():
    assert parse_transaction_id("  #42/ä b  ") == "#42/ä b"


def test_the_record_names_each_discount_its_pos_id_and_points():
    d1 = Discount(id="1", name="$10 off", redemption_url=BASE, points=250, pos_discount_id="POS-10")
    d2 = Discount(id="2", name="15% off", redemption_url=BASE, points=300)
    text = record_text("T-9", [Outcome(d1, Status.REDEEMED), Outcome(d2, Status.UNKNOWN)],
                       shopper="***-***-4567", balance_after=1250)
    assert "POS transaction T-9" in text
    assert "$10 off | POS discount ID POS-10" in text and "REDEEMED | points deducted: 250" in text
    assert "UNKNOWN | points deducted: 0" in text
    assert "Total points deducted: 250" in text and "1,250 points" in text
    assert "NOT ALL REDEEMED" in text
