"""The owning terminal's side of a settlement without a hub (HubSettler on a real journal): each
decision goes through the journal's own moves once, names who decided and who approved, and a
request the journal cannot vouch for is refused in words, changing nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.hub.carry_out import HubSettler, marker
from budtender_app.services.hub.settlements import Settlement, seal
from budtender_app.services.journal import ReversalPhase, State
from budtender_app.services.redemption_sender import RedemptionSender
from tests.helpers import no_sleep
from tests.helpers.fake_aiq import ScriptedAiq

CASHIER = Actor("c-1", "Dana")
MANAGER = Actor("m-9", "Morgan Manager")
KEY = b"the store's staff lookup key, as IT carries it to every till"
URL = "https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d1/tok3nSECRETabcdef12345"


def sale(journal, txid="POS-1"):
    [entry] = journal.queue(txid, [Discount(id="d1", name="$5 off", redemption_url=URL, points=100)], staff=CASHIER,
                            shopper_masked="***-***-4567", contact_id="C-1")
    return entry


def asked(journal, entry, action, ref="abcdefghijkl", reason="AIQ's report shows it"):
    latest = journal.audit.latest_for(entry.id)
    return seal(Settlement(ref, journal.store, "t-1", entry.id, entry.transaction_id, entry.discount_id, action, reason,
                           latest.id, "t-2", "Register 2", Actor("c-2", "Casey"), MANAGER, datetime.now(UTC)), KEY)


def settler(journal, *answers):
    api = ScriptedAiq(*answers)
    return HubSettler(journal, RedemptionSender(api, journal, sleep=no_sleep), key=KEY), api


@pytest.mark.asyncio
async def test_a_queued_row_sent_again_is_sent_once_and_the_decision_is_on_record(journal):
    entry = sale(journal)
    s, api = settler(journal, "r-1")
    request = asked(journal, entry, "retry")
    assert await s.carry_out(request) == ("done", "sent again: now redeemed")
    assert await s.carry_out(request) == ("done", "carried out (the terminal stopped before it could say so)")
    assert len(api.redeems) == 1
    [record] = [r for r in journal.audit.rows() if marker(request.ref) in r.detail]
    assert (record.event, record.staff_name, record.approver_name) == ("manager_retry", "Casey", MANAGER.name)


@pytest.mark.asyncio
async def test_an_unanswered_refund_given_up_leaves_the_points_taken(journal):
    entry = sale(journal)
    journal.mark_sending(entry.id)
    journal.mark_redeemed(entry.id, "r-1")
    journal.queue_reversal(entry.id, staff=CASHIER)
    journal.mark_reversal_sending(entry.id)
    journal.mark_failed(entry.id, "reversal_unknown", "no answer")
    assert journal.get(entry.id).reversal_phase is ReversalPhase.UNKNOWN
    s, api = settler(journal)
    assert await s.carry_out(asked(journal, entry, "abandoned")) == ("done", "now redeemed")
    assert journal.get(entry.id).state is State.REDEEMED and not api.adjusts


@pytest.mark.asyncio
async def test_requests_the_journal_cannot_vouch_for_are_refused_and_change_nothing(journal):
    entry = sale(journal)
    journal.mark_sending(entry.id)
    journal.mark_unknown(entry.id, "no answer")
    s, api = settler(journal)
    good = asked(journal, entry, "redeemed")
    cases = {
        "not the redemption": seal(replace(good, transaction_id="POS-999"), KEY),
        "changed here since": seal(replace(good, as_of_seq=good.as_of_seq - 1), KEY),
        "reason of at most": seal(replace(good, reason="x" * 201), KEY),
        "approving manager": seal(replace(good, approver=Actor("m-9", " ")), KEY),
        "no such redemption": seal(replace(good, entry_id=999), KEY),
        "does not fit": seal(replace(good, action="reversed"), KEY),  # not a refund
        "not a settlement": replace(good, ref="ABC"),
    }
    for words, request in cases.items():
        outcome, text = await s.carry_out(request)
        assert outcome == "refused" and words in text, (words, text)
    assert journal.get(entry.id).state is State.UNKNOWN and not api.redeems


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"not sealed with this store's key")
async def test_a_request_written_or_edited_on_the_hub_without_the_stores_key_is_refused(journal):
    """Whoever can write the hub's tables (its password is in every till's keyring) cannot make
    this register send a redemption again, nor name a manager who never approved the decision."""
    entry = sale(journal)
    journal.mark_sending(entry.id)
    journal.mark_unknown(entry.id, "no answer")
    s, api = settler(journal, "r-1")
    good = asked(journal, entry, "retry")
    forged = {
        "a made-up ref": replace(good, ref="qwertyuiopas"),
        "another manager named": replace(good, approver=Actor("m-1", "Owner")),
        "another action": replace(good, action="abandoned"),
        "another reason": replace(good, reason="the manager said so"),
        "sealed with another key": seal(good, b"a key that is not the store's"),
    }
    for what, request in forged.items():
        outcome, text = await s.carry_out(request)
        assert outcome == "refused" and "not sealed with this store's key" in text, what
    assert journal.get(entry.id).state is State.UNKNOWN and not api.redeems
    assert await s.carry_out(good) == ("done", "sent again: now redeemed")  # the sealed one is carried out


@pytest.mark.asyncio
async def test_a_retry_waits_while_the_counter_is_redeeming(journal):
    entry = sale(journal)
    api = ScriptedAiq("r-1")
    s = HubSettler(journal, RedemptionSender(api, journal, sleep=no_sleep), key=KEY, may_send=lambda: False)
    assert await s.carry_out(asked(journal, entry, "retry")) is None
    assert journal.get(entry.id).state is State.QUEUED and not api.redeems
