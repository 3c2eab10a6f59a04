"""Refund / void a whole transaction against the simulated AIQ over real HTTP: the preview sums
the points, each line goes back once through the journal, a second whole refund sends nothing;
and the Recent lookup finds a sale by the shopper's last 4 digits or by its day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.loyalty import AiqRedemption
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.journal import State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import make_journal, no_sleep

CASHIER = Actor("7", "Dana Cashier")

ADJUST_PATH = "/api/v1.1/adjust"
#: Alex's "$5 off any purchase" (100), "$10 off your order" (250), "15% off everything" (300).
THREE = ("101", "102", "103")
TIMEOUT = httpx.Timeout(connect=2.0, read=2.0, write=2.0, pool=2.0)


@pytest_asyncio.fixture
async def client(server):
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        yield AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def vm(journal, client):
    return PendingViewModel(journal, client, RedemptionSender(client, journal, sleep=no_sleep))


async def checkout(client, journal, txid, ids=THREE, masked="***-***-4567"):
    """The counter's checkout: journal every line, then redeem each through the sender."""
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    picked = [d for d in wallet.discounts if d.id in ids]
    entries = journal.queue(txid, picked, staff=CASHIER, shopper_masked=masked, contact_id=wallet.contact_id)
    sender = RedemptionSender(client, journal, sleep=no_sleep)
    return [await sender.redeem(e) for e in entries]


def adjusts(server):
    return [r for r in server.simulator.requests if r.method == "PUT" and r.path.startswith(ADJUST_PATH)]


@pytest.mark.asyncio
async def test_a_whole_transaction_goes_back_once_with_its_points_summed_first(server, client, journal, vm):
    lines = await checkout(client, journal, "POS-1042")
    assert server.simulator.points_of(DEMO_PHONE) == 1500 - 650
    plan = vm.refund_plan("POS-1042")
    assert plan.points == 650 and len(plan.to_give) == 3 and not plan.skipped
    assert vm.words.whole_refund_question(plan).startswith(
        "Give back all 3 lines of POS-1042: 650 points to ***-***-4567?")

    await vm.reverse_all("POS-1042", "sale refunded", "JD")
    assert [journal.get(e.id).state for e in lines] == [State.REVERSED] * 3
    assert server.simulator.points_of(DEMO_PHONE) == 1500
    assert sorted(a.value for a in server.simulator.adjustments) == [100, 250, 300]
    assert vm.message == ("info", "Gave 650 points back for 3 lines of POS-1042.")

    await vm.reverse_all("POS-1042", "clicked twice", "JD")
    assert len(adjusts(server)) == 3 and server.simulator.points_of(DEMO_PHONE) == 1500
    assert vm.message[0] == "info" and vm.message[1].startswith(
        "Nothing was sent: no line of POS-1042 has points left to give back. Skipped: '$5 off any purchase' "
        "(already given back on ")


@pytest.mark.asyncio
async def test_a_line_already_given_back_or_not_redeemed_is_skipped_and_named(server, client, journal, vm):
    five, ten = await checkout(client, journal, "POS-7", ids=("101", "102"))
    await vm.reverse(five.id, "one line returned", "JD")
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    fifteen = next(d for d in wallet.discounts if d.id == "103")
    journal.queue("POS-7", [fifteen], staff=CASHIER,
                  shopper_masked="***-***-4567", contact_id=wallet.contact_id)  # never sent
    plan = vm.refund_plan("POS-7")
    assert [e.id for e in plan.to_give] == [ten.id] and plan.points == 250
    question = vm.words.whole_refund_question(plan)
    assert question.startswith("Give back 1 of 3 lines of POS-7: 250 points to ***-***-4567?")
    assert "Skipped: '$5 off any purchase' (already given back on " in question
    assert "'15% off everything' (not redeemed)." in question

    await vm.reverse_all("POS-7", "rest of the sale refunded", "JD")
    assert journal.get(ten.id).state is State.REVERSED
    assert len(adjusts(server)) == 2  # the first line once, by itself; the second once, here
    assert vm.message[1].startswith("Gave 250 points back for 1 line of POS-7. Skipped: '$5 off any purchase'")


@pytest.mark.asyncio
async def test_a_whole_refund_needs_a_reason_and_a_name(server, client, journal, vm):
    await checkout(client, journal, "POS-8", ids=("101",))
    await vm.reverse_all("POS-8", "  ", "JD")
    assert vm.message[0] == "error" and not adjusts(server)


@pytest.mark.asyncio
async def test_recent_finds_redeemed_lines_by_the_last_4_digits(server, client, journal, vm):
    await checkout(client, journal, "POS-1", ids=("101",))
    await checkout(client, journal, "POS-2", ids=("102",), masked="***-***-9999")
    assert [e.transaction_id for e in vm.find_recent()] == ["POS-2", "POS-1"]  # newest first
    assert [e.transaction_id for e in vm.find_recent("4567")] == ["POS-1"]
    assert [e.transaction_id for e in vm.find_recent("99")] == ["POS-2"]
    assert vm.find_recent("1111") == [] and vm.message == (
        "info", "No redeemed discount for a shopper whose phone ends in 1111 in that time.")
    vm.find_recent("45a7")
    assert vm.message[0] == "error" and "last 4 digits" in vm.message[1]
    vm.find_recent("4567")
    await vm.reverse(vm.found[0].id, "refund", "JD")
    assert vm.state_text(vm.found[0]) == "Points given back"  # the Recent rows are read again


@pytest.mark.asyncio
async def test_recent_finds_a_sale_by_its_day_in_the_stores_zone(tmp_path, client):
    """A sale journaled two days ago is not in today's list but is in its own day's."""
    two_days_ago = Clock.fixed(datetime(2026, 11, 20, 18, 0, tzinfo=UTC), zone=UTC)
    with make_journal(tmp_path, clock=two_days_ago) as journal:
        await checkout(client, journal, "POS-OLD", ids=("101",))
    now = two_days_ago.shifted(timedelta(days=2))
    with make_journal(tmp_path, clock=now) as journal:
        await checkout(client, journal, "POS-NEW", ids=("102",))
        vm = PendingViewModel(journal, client, RedemptionSender(client, journal, sleep=no_sleep), now)
        assert [e.transaction_id for e in vm.find_recent(day=now.today())] == ["POS-NEW"]
        assert [e.transaction_id for e in vm.find_recent(day=two_days_ago.today())] == ["POS-OLD"]
        assert [e.transaction_id for e in vm.find_recent()] == ["POS-NEW", "POS-OLD"]  # the last 7 days
        assert vm.when(vm.found[1].created_at) == "2026-11-20 18:00"


@pytest.mark.asyncio
@pytest.mark.parametrize(("n", "words"), [(1, "shows 1 redemption of"), (2, "shows 2 redemptions of")])
async def test_the_report_counts_untagged_redemptions_in_proper_english(client, journal, vm, n, words):
    [line] = await checkout(client, journal, "POS-9", ids=("102",))
    rows = [AiqRedemption(f"r{i}", "102", "", "", 250, None) for i in range(n)]
    kind, text = vm.words.verdict(line, rows, line.created_at, line.created_at)
    assert kind == "unclear" and words in text and "(s)" not in text


@pytest.mark.asyncio
async def test_a_double_click_on_the_whole_refund_gives_each_line_back_once(server, client, journal, vm):
    await checkout(client, journal, "POS-1042")
    await asyncio.gather(vm.reverse_all("POS-1042", "sale refunded", "JD"),
                         vm.reverse_all("POS-1042", "sale refunded", "JD"))
    assert len(adjusts(server)) == 3 and server.simulator.points_of(DEMO_PHONE) == 1500
