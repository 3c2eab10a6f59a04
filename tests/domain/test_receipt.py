"""The receipt block: the record's facts on paper lines, no balance when the brand hides points,
and the right QR link for members and everyone else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from budtender_app.domain.receipt import (
    HIDDEN_POINTS,
    TRAINING_LINE,
    SlipHeader,
    build_receipt,
    check_qr_url,
    qr_modules,
)
from budtender_app.domain.redemption import Outcome, Status, record_text
from budtender_app.domain.wallet import Discount

WALLET_URL = "https://lab.alpineiq.com/wallet/1234"
SIGNUP_URL = "https://lab.alpineiq.com/join/1234?store=42"


def discount(i, name, points, pos):
    return Discount(id=str(i), name=name, redemption_url=f"https://lab.alpineiq.com/r/{i}", points=points,
                    pos_discount_id=pos, dollar_value=Decimal(5 * i))


def record(balance_after):
    outcomes = [Outcome(discount(1, "$5 off", 100, "POS-5OFF"), Status.REDEEMED),
                Outcome(discount(2, "$10 off", 250, "POS-10OFF"), Status.REDEEMED)]
    return record_text("T-7", outcomes, shopper="***-***-4567", balance_after=balance_after)


def test_each_discount_shows_its_pos_id_and_points_and_the_total():
    receipt = build_receipt(record(1150), member=True, hide_points=False, wallet_url=WALLET_URL, brand="Green Leaf")
    text = receipt.text()
    assert receipt.lines[0] == "AIQ loyalty redemption - POS transaction T-7"
    assert receipt.lines[2:7] == ("- $5 off", "    POS discount ID POS-5OFF", "    $5.00 off", "    REDEEMED",
                                  "    points deducted: 100")
    assert "Total points deducted: 350" in text
    assert "Points balance after: 1,150 points" in text


def test_hidden_points_print_no_balance_even_when_the_record_has_one():
    assert "balance" not in build_receipt(record(None), member=True, hide_points=True).text().lower()
    assert "balance" not in build_receipt(record(1150), member=True, hide_points=True).text().lower()


def point_figures(text: str) -> list[str]:
    """Every point figure in ``text``: "350 points", "1 point", "points deducted: 350"."""
    return re.findall(r"\d[\d,]*\s+points?\b|points?\b[^$\n\d]*:\s*\d", text, flags=re.IGNORECASE)


@pytest.mark.parametrize("balance_after", [None, 1150])
def test_a_brand_that_hides_points_prints_no_point_figure_but_the_record_keeps_each(balance_after):
    receipt = build_receipt(record(balance_after), member=True, hide_points=True, header=HEADER)
    paper = receipt.text()
    assert point_figures(paper) == [] and "100" not in paper and "350" not in paper
    assert HIDDEN_POINTS in receipt.lines  # where the total would be
    assert "    POS discount ID POS-5OFF" in receipt.lines  # the rest of each discount still prints
    copied = receipt.record_text()
    assert "- $5 off | POS discount ID POS-5OFF | $5.00 off | REDEEMED | points deducted (for the record): 100" \
        in copied
    assert "Total points deducted (for the record): 350" in copied
    assert "balance" not in copied.lower()  # AIQ sends no balance to show for such a brand


@pytest.mark.parametrize(
    ("statuses", "deducted"),
    [
        ([Status.REDEEMED], [100]),
        ([Status.REDEEMED, Status.REJECTED], [100, 0]),
        ([Status.UNKNOWN, Status.NOT_SENT], [0, 0]),
        ([Status.REDEEMED, Status.REDEEMED], [100, 250]),
    ],
)
def test_hidden_points_on_paper_and_in_the_record_whatever_the_outcomes(statuses, deducted):
    names = [("$5 off", 100, "POS-5OFF"), ("$10 off", 250, "POS-10OFF")]
    outcomes = [Outcome(discount(i + 1, *names[i]), status) for i, status in enumerate(statuses)]
    text = record_text("T-8", outcomes, shopper="***-***-4567", balance_after=None)
    receipt = build_receipt(text, member=True, hide_points=True, header=HEADER)
    assert point_figures(receipt.text()) == []
    assert receipt.lines.count(HIDDEN_POINTS) == 1
    copied = receipt.record_text()
    assert [int(n) for n in re.findall(r"\| points deducted \(for the record\): (\d+)", copied)] == deducted
    assert f"Total points deducted (for the record): {sum(deducted)}" in copied


def test_a_brand_that_shows_points_prints_them_and_the_record_is_unchanged():
    receipt = build_receipt(record(1150), member=True, hide_points=False)
    assert receipt.record_text() == record(1150)
    assert "Total points deducted: 350" in receipt.text() and HIDDEN_POINTS not in receipt.text()


HEADER = SlipHeader(store="Green Leaf Downtown", terminal="till-2",
                    moment=datetime(2026, 11, 22, 14, 3, tzinfo=timezone(timedelta(hours=-8), "PST")))


@pytest.mark.parametrize("training", [False, True])
def test_receipts_and_records_carry_the_store_terminal_date_and_time_in_both_modes(training):
    header = SlipHeader(HEADER.store, HEADER.terminal, HEADER.moment, training=training)
    receipt = build_receipt(record(1150), member=True, hide_points=False, header=header)
    for text in (receipt.text(), receipt.record_text()):
        assert "Store: Green Leaf Downtown" in text and "Terminal: till-2" in text
        assert "Date: Nov 22, 2026" in text and "Time: 14:03 PST" in text
        assert "POS transaction T-7" in text
        assert (TRAINING_LINE in text) is training
    if training:  # first and last, so a torn-off half still says so
        assert receipt.lines[0] == receipt.lines[-1] == TRAINING_LINE
        lines = receipt.record_text().splitlines()
        assert lines[0] == lines[-1] == TRAINING_LINE


def test_the_header_is_one_line_each_whatever_the_names():
    header = SlipHeader(store="Green\nLeaf\x1b[2J", terminal="", moment=datetime(2026, 1, 5, 9, 7, tzinfo=UTC))
    assert header.lines() == ["Store: Green Leaf [2J", "Terminal: (not set)", "Date: Jan 5, 2026", "Time: 09:07 UTC"]


def test_a_training_sign_up_slip_says_training_too():
    slip = build_receipt("", member=False, hide_points=True, signup_url=SIGNUP_URL,
                         header=SlipHeader("S", "T", HEADER.moment, training=True))
    assert slip.lines[0] == TRAINING_LINE and TRAINING_LINE in slip.record_text()


def test_members_get_the_wallet_link_others_the_sign_up_link():
    member = build_receipt(record(1150), member=True, hide_points=False, wallet_url=WALLET_URL,
                           signup_url=SIGNUP_URL, brand="Green Leaf")
    stranger = build_receipt("", member=False, hide_points=False, wallet_url=WALLET_URL, signup_url=SIGNUP_URL,
                             brand="Green Leaf", country="CA")
    assert (member.qr_url, member.qr_caption) == (WALLET_URL, "Scan to open your Green Leaf loyalty wallet")
    assert stranger.qr_url == SIGNUP_URL
    assert stranger.qr_caption == "Not a member yet? Scan to join the Green Leaf club program"
    assert stranger.lines == ()
    assert member.text().endswith("Scan to open your Green Leaf loyalty wallet\n" + WALLET_URL)


def test_no_link_set_means_no_qr():
    receipt = build_receipt(record(1150), member=True, hide_points=False, signup_url=SIGNUP_URL)
    assert receipt.qr_url == "" and receipt.qr_modules() == () and "Scan" not in receipt.text()


def test_the_qr_matrix_is_square_with_a_quiet_zone():
    modules = qr_modules(WALLET_URL)
    assert len(modules) == len(modules[0]) >= 21 + 8
    assert not any(modules[0]) and not any(row[0] for row in modules)  # 4 light modules all round
    assert all(modules[4][4:11])  # the top-left finder pattern's top edge


@pytest.mark.parametrize(("typed", "says"), [
    ("http://lab.alpineiq.com/join", "https://"), ("lab.alpineiq.com/join", "https://"),
    ("https://x.com/a b", "spaces"), ("https://x.com/" + "a" * 200, "200 characters"),
])
def test_qr_links_must_be_https_and_short(typed, says):
    with pytest.raises(ValueError, match=says):
        check_qr_url(typed, "wallet link")


def test_an_empty_qr_link_is_none():
    assert check_qr_url("  ") == "" and check_qr_url(f" {WALLET_URL} ") == WALLET_URL
