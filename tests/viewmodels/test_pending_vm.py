"""The manager's pending redemptions against the simulated AIQ over real HTTP: checking AIQ's
report, deciding, sending again exactly once, giving points back once, exporting for auditors."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import time
from contextlib import closing
from datetime import date

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.actor import Actor
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.journal import ReversalPhase, State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID
from budtender_app.viewmodels.pending import ABANDONED, REDEEMED, RETRY, REVERSED, PendingViewModel
from tests.helpers import await_signal, no_sleep

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"AIQ PUT failed after sending: (ReadTimeout|RemoteProtocolError)",
    r"export with a broken audit chain",
)

CASHIER = Actor("7", "Dana Cashier")

REDEEM_PATH = "/api/v1.1/discount/redeem"
ADJUST_PATH = "/api/v1.1/adjust"
TEN_OFF = "102"  # Alex's "$10 off your order": 250 points, single use
#: Reads give up after half a second, so a hung PUT becomes "unknown" quickly.
TIMEOUT = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        yield client


@pytest.fixture
def client(server, http):
    return AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))


@pytest.fixture
def vm(journal, client):
    return PendingViewModel(journal, client, RedemptionSender(client, journal, sleep=no_sleep))


async def checkout(server, client, journal, txid="T-100", fault=None, discount_id=TEN_OFF):
    """What the counter does at "Checkout complete": journal, then send (through the sender)."""
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    ten = next(d for d in wallet.discounts if d.id == discount_id)
    entry = journal.queue(txid, [ten], staff=CASHIER, shopper_masked="***-***-4567", contact_id=wallet.contact_id)[0]
    if fault is not None:
        server.inject(fault, path_prefix=REDEEM_PATH)
    return await RedemptionSender(client, journal, sleep=no_sleep).redeem(entry)


def puts(server, prefix=REDEEM_PATH):
    return [r for r in server.simulator.requests if r.method == "PUT" and r.path.startswith(prefix)]


def events(journal):
    return [(r.event, r.detail) for r in journal.audit.rows()]


# -- an unknown that did reach AIQ --------------------------------------------------------------

@pytest.mark.asyncio
async def test_an_unknown_that_reached_aiq_shows_in_the_report_and_is_marked_redeemed(server, client, journal, vm):
    entry = await checkout(server, client, journal, fault="drop_after")
    assert entry.state is State.UNKNOWN
    assert len(server.simulator.redemptions) == 1  # AIQ took the points; the answer was lost
    vm.refresh()
    assert [e.id for e in vm.entries] == [entry.id]
    assert vm.state_text(vm.entries[0]) == "No answer from AIQ — points may have been taken"
    assert vm.allowed_actions(entry) == {"check", RETRY, REDEEMED, ABANDONED}

    results = []
    vm.check_result.connect(lambda i, text: results.append((i, text)))
    await vm.check_with_aiq(entry.id)
    aiq_id = server.simulator.redemptions[0].id
    assert vm.checks[entry.id][0] == "found"
    assert results == [(entry.id, vm.checks[entry.id][1])]
    assert f"AIQ's report shows this redemption (AIQ id {aiq_id}, 250 points)" in results[0][1]
    assert "Do not send it again" in results[0][1]
    start, end = (int(p) for p in server.simulator.requests[-1].path.rsplit("/", 2)[1:])
    assert end <= time.time() + 1 and end - start >= 3600  # an hour before it, capped at now

    await vm.retry(entry.id, "send it anyway", "JD")
    assert vm.message == ("error", "AIQ's report shows this redemption: mark it redeemed instead of sending it again.")
    assert len(puts(server)) == 1

    counts = []
    vm.pending_changed.connect(counts.append)
    vm.resolve(entry.id, REDEEMED, "  AIQ report shows it  ", " J.D. ")
    done = journal.get(entry.id)
    assert (done.state, done.resolved_by, done.resolution_reason) == (State.REDEEMED, "J.D.", "AIQ report shows it")
    assert events(journal)[-1] == ("resolved", "redeemed by J.D.: AIQ report shows it")
    assert vm.entries == [] and counts[-1] == 0
    assert vm.message == ("info", "Marked redeemed: '$10 off your order' on transaction T-100 (250 points).")
    assert len(puts(server)) == 1 and len(server.simulator.redemptions) == 1  # nothing sent again


# -- an unknown that never reached AIQ ------------------------------------------------------------

@pytest.mark.parametrize("fault", ["drop_before", "hang"])
@pytest.mark.asyncio
async def test_an_unknown_that_never_reached_aiq_is_absent_from_the_report_then_sent_exactly_once(
        server, client, journal, vm, fault):
    entry = await checkout(server, client, journal, txid="T-200", fault=fault)
    assert entry.state is State.UNKNOWN and server.simulator.redemptions == []
    vm.refresh()
    await vm.check_with_aiq(entry.id)
    kind, text = vm.checks[entry.id]
    assert kind == "absent"
    assert "AIQ's report shows no redemption of this discount on transaction T-200" in text
    assert "sending it again is safe, as far as the report shows" in text

    await vm.retry(entry.id, "not in AIQ's report", "JD")
    sent = journal.get(entry.id)
    assert sent.state is State.REDEEMED
    assert [(r.transaction_id, r.discount_id) for r in server.simulator.redemptions] == [("T-200", TEN_OFF)]
    assert server.simulator.points_of(DEMO_PHONE) == 1500 - 250
    assert ("resolved", "retry by JD: not in AIQ's report") in events(journal)
    assert vm.message[0] == "info" and vm.message[1].startswith("Redeemed at AIQ: '$10 off your order'")
    assert vm.entries == []

    await vm.retry(entry.id, "again", "JD")  # a second click: refused, nothing sent
    assert vm.message[0] == "error" and "now 'Redeemed'" in vm.message[1]
    assert len(server.simulator.redemptions) == 1


@pytest.mark.asyncio
async def test_a_row_that_was_never_sent_can_be_sent_or_abandoned_but_not_marked_redeemed(server, client, journal, vm):
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    ten = next(d for d in wallet.discounts if d.id == TEN_OFF)
    entry = journal.queue("T-300", [ten], staff=CASHIER, shopper_masked="***-***-4567", contact_id=wallet.contact_id)[0]
    vm.refresh()
    assert vm.state_text(vm.entries[0]) == "Not sent yet"
    assert REDEEMED not in vm.allowed_actions(entry)
    vm.resolve(entry.id, REDEEMED, "sure", "JD")
    assert vm.message[0] == "error" and journal.get(entry.id).state is State.QUEUED

    vm.start_retry(entry.id, "shopper still here", "JD")
    busy = await await_signal(vm.busy_changed)
    assert busy[0].startswith("Sending '$10 off your order' of transaction T-300")
    await vm.wait_idle()
    assert journal.get(entry.id).state is State.REDEEMED and len(server.simulator.redemptions) == 1
    assert events(journal)[-3][0] == "manager_retry"
    assert "sent again by JD: shopper still here" in events(journal)[-3][1]


@pytest.mark.asyncio
async def test_abandoning_sends_nothing_and_says_so(server, client, journal, vm):
    entry = await checkout(server, client, journal, txid="T-310", fault="drop_before")
    vm.refresh()
    vm.resolve(entry.id, ABANDONED, "sale voided before AIQ answered", "KM")
    assert journal.get(entry.id).state is State.ABANDONED
    assert vm.message == ("info", "Abandoned: '$10 off your order' on transaction T-310 will not be sent.")
    assert len(puts(server)) == 1 and server.simulator.redemptions == []


@pytest.mark.asyncio
async def test_nothing_else_starts_while_a_send_is_in_flight(server, client, journal, vm):
    first = await checkout(server, client, journal, txid="T-400", fault="drop_before")
    second = await checkout(server, client, journal, txid="T-401", fault="drop_before", discount_id="103")
    vm.refresh()
    server.inject("hang", path_prefix=REDEEM_PATH)
    vm.start_retry(first.id, "not in the report", "JD")
    assert await asyncio.to_thread(server.wait_hanging)
    assert vm.busy.startswith("Sending '$10 off your order' of transaction T-400")
    vm.resolve(second.id, ABANDONED, "voided", "JD")
    await vm.check_with_aiq(second.id)
    assert vm.message[0] == "error" and vm.message[1].startswith("Wait until this finishes: Sending")
    assert journal.get(second.id).state is State.UNKNOWN and second.id not in vm.checks
    await vm.wait_idle()  # the hung PUT times out: unknown again, and never sent twice
    assert vm.busy == "" and journal.get(first.id).state is State.UNKNOWN
    assert vm.message[1].startswith("Sent, and again no answer from AIQ")
    assert len(puts(server)) == 3 and server.simulator.redemptions == []


# -- every decision needs a reason and a name ----------------------------------------------------

@pytest.mark.parametrize(("reason", "manager", "says"), [
    ("", "JD", "Type a reason"),
    ("   ", "JD", "Type a reason"),
    ("report shows it", "", "Type your name or initials"),
    ("report shows it", "  ", "Type your name or initials"),
    ("report shows it", "x" * 41, "up to 40 characters"),
])
@pytest.mark.parametrize("action", ["redeemed", "abandoned", "retry", "reverse"])
@pytest.mark.asyncio
async def test_every_action_needs_a_reason_and_the_managers_name(server, client, journal, vm, reason, manager, says,
                                                                 action):
    if action == "reverse":
        entry = await checkout(server, client, journal)
    else:
        entry = await checkout(server, client, journal, fault="drop_after")
    before = (journal.get(entry.id), len(server.simulator.requests), len(journal.audit.rows()))
    if action == "retry":
        await vm.retry(entry.id, reason, manager)
    elif action == "reverse":
        await vm.reverse(entry.id, reason, manager)
    else:
        vm.resolve(entry.id, action, reason, manager)
    assert vm.message[0] == "error" and says in vm.message[1]
    assert (journal.get(entry.id), len(server.simulator.requests), len(journal.audit.rows())) == before


# -- AIQ's report unavailable: say so, the manager still decides ---------------------------------

@pytest.mark.parametrize(("setup", "says"), [
    ("bad_key", "This store's API key was refused by AIQ, so its redemption report cannot be checked."),
    ("no_report", "AIQ's redemption report is not available with this store's credentials."),
    ("down", "Cannot reach AIQ to check its redemption report"),
])
@pytest.mark.asyncio
async def test_when_the_report_cannot_be_read_the_manager_is_told_and_can_still_decide(
        server, client, journal, http, setup, says):
    entry = await checkout(server, client, journal, fault="drop_after")
    if setup == "bad_key":
        reporter = AiqClient(http, AiqConfig(server.url, "wrong-key", DEMO_UID))
    elif setup == "down":
        reporter = AiqClient(http, AiqConfig("http://127.0.0.1:9", DEMO_API_KEY, DEMO_UID))
    else:
        server.inject(404, path_prefix="/api/v1.1/redemptions")
        reporter = client
    vm = PendingViewModel(journal, reporter, RedemptionSender(client, journal, sleep=no_sleep))
    await vm.check_with_aiq(entry.id)
    kind, text = vm.checks[entry.id]
    assert kind == "error" and text.startswith(says) and text.endswith("You can still decide without it.")
    vm.resolve(entry.id, REDEEMED, "checked AIQ's dashboard by hand", "JD")
    assert journal.get(entry.id).state is State.REDEEMED


# -- refunds and voids: points back once ---------------------------------------------------------

@pytest.mark.asyncio
async def test_a_refund_gives_the_points_back_once(server, client, journal, vm):
    entry = await checkout(server, client, journal, txid="T-700")
    assert server.simulator.points_of(DEMO_PHONE) == 1250
    assert [e.id for e in vm.find_redeemed(" T-700 ")] == [entry.id]
    assert vm.can_give_back(vm.found[0])

    await vm.reverse(entry.id, "refund at the register", "JD")
    assert journal.get(entry.id).state is State.REVERSED
    assert server.simulator.points_of(DEMO_PHONE) == 1500
    [adjustment] = server.simulator.adjustments
    assert adjustment.value == 250 and "T-700" in adjustment.note and "$10 off your order" in adjustment.note
    assert vm.message == ("info", "Gave 250 points back for '$10 off your order' (transaction T-700).")
    assert vm.state_text(vm.found[0]) == "Points given back" and not vm.can_give_back(vm.found[0])
    assert any(e == "refund_requested" and "by JD: refund at the register" in d for e, d in events(journal))

    await vm.reverse(entry.id, "clicked twice", "JD")
    assert vm.message[1].startswith("Already given back: the 250 points for '$10 off your order' were given back")
    assert len(server.simulator.adjustments) == 1 and len(puts(server, ADJUST_PATH)) == 1
    assert server.simulator.points_of(DEMO_PHONE) == 1500


@pytest.mark.asyncio
async def test_a_refund_without_an_answer_is_pending_until_a_manager_decides(server, client, journal, vm):
    entry = await checkout(server, client, journal, txid="T-710")
    server.inject("drop_after", path_prefix=ADJUST_PATH)
    await vm.reverse(entry.id, "void", "JD")
    assert vm.message[0] == "error" and "they may or may not be back" in vm.message[1]
    row = journal.get(entry.id)
    assert row.reversal_phase is ReversalPhase.UNKNOWN
    assert [e.id for e in vm.entries] == [entry.id]
    assert vm.state_text(row) == "Giving points back: no answer from AIQ — the points may be back"
    await vm.reverse(entry.id, "void", "JD")  # not again by itself
    assert len(puts(server, ADJUST_PATH)) == 1
    vm.resolve(entry.id, REVERSED, "balance in AIQ shows the points back", "JD")
    assert journal.get(entry.id).state is State.REVERSED and vm.entries == []


@pytest.mark.asyncio
async def test_a_transaction_with_nothing_redeemed_says_so(server, client, journal, vm):
    await checkout(server, client, journal, txid="T-720", fault="drop_before")  # unknown, not redeemed
    assert vm.find_redeemed("T-720") == []
    assert vm.message == ("info", "No redeemed discount on transaction T-720 at this store.")


# -- the auditors' export ------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_the_export_has_every_event_and_says_when_the_trail_was_altered(server, client, journal, vm, tmp_path):
    await checkout(server, client, journal, txid="T-800")
    entry = await checkout(server, client, journal, txid="T-801", fault="drop_after", discount_id="103")
    vm.refresh()
    vm.resolve(entry.id, REDEEMED, "report shows it", "JD")
    target = tmp_path / "audit.csv"
    assert vm.export_csv(target, vm.today()) == (len(journal.audit.rows()), True)
    with target.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [line["event"] for line in lines] == [r.event for r in journal.audit.rows()]
    assert vm.message[0] == "info" and "its hash chain is unbroken" in vm.message[1]

    with closing(sqlite3.connect(journal.path)) as db, db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET points = 1 WHERE id = 3")
    assert vm.export_csv(target, vm.today(), vm.today()) == (len(lines), False)
    assert vm.message[0] == "error" and "the audit trail has been altered at row 3" in vm.message[1]
    assert len(target.read_text(encoding="utf-8").splitlines()) == len(lines) + 1  # exported anyway


def test_an_export_that_cannot_be_written_says_so(journal, tmp_path):
    vm = PendingViewModel(journal, None, None)
    assert vm.export_csv(tmp_path / "no such folder" / "audit.csv", date(2024, 1, 1)) is None
    assert vm.message[0] == "error" and "Nothing was exported" in vm.message[1]
    assert vm.export_csv(tmp_path / "a.csv", date(2024, 2, 1), date(2024, 1, 1)) is None
    assert vm.message == ("error", "The end date is before the start date.")


@pytest.mark.asyncio
async def test_a_resolution_is_recorded_by_the_signed_in_person_and_approved_by_the_named_manager(
        server, client, journal):
    entry = await checkout(server, client, journal, fault="drop_after")
    signed_in = Actor("4", "Sam Shift-Lead")
    vm = PendingViewModel(journal, client, RedemptionSender(client, journal, sleep=no_sleep), acting=lambda: signed_in)
    vm.resolve(entry.id, ABANDONED, "not in AIQ's report", "Mo Manager")
    last = journal.audit.rows()[-1]
    assert (last.event, last.staff, last.approver) == ("resolved", signed_in, Actor("", "Mo Manager"))
    assert journal.get(entry.id).approver == Actor("", "Mo Manager")
    assert [r.staff for r in journal.audit.rows()[:3]] == [CASHIER] * 3  # queued, sent, unknown: the cashier's
