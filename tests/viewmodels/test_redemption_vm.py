"""The flow's rules that cost money: when a redemption is sent, re-sent, or never sent."""

from __future__ import annotations

import asyncio

import pytest

from budtender_app.domain import errors
from budtender_app.domain.flow import Step
from budtender_app.domain.redemption import Status
from budtender_app.domain.wallet import parse_wallet
from budtender_app.services.resend_loop import ResendLoop
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, no_sleep, wait_for_step
from tests.helpers.fake_aiq import CLOCK, URL, FakeAiq, demo_wallet

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"could not journal transaction",
    r"could not save the applied selection",
    r"unexpected failure in the redemption flow",
)


@pytest.fixture
def journal(tmp_path):
    with make_journal(tmp_path, clock=CLOCK) as j:
        yield j


async def at_wallet(api, journal, cart="50"):
    vm = RedemptionViewModel(api, journal, clock=CLOCK, sleep=no_sleep)
    vm.set_cart_text(cart)
    vm.start()
    vm.submit_phone("555-123-4567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    return vm


async def redeem(vm, ids, txid="T-1"):
    for i in ids:
        vm.toggle(i)
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout(txid)
    await wait_for_step(vm, Step.DONE)


@pytest.mark.asyncio
async def test_a_bad_discount_is_reported_and_the_rest_work(journal):
    vm = await at_wallet(FakeAiq(), journal)
    assert [o.discount.id for o in vm.offers if o.usable] == ["a", "b"]
    assert vm.message[0] == "info" and "Discount #4 skipped" in vm.message[1]


@pytest.mark.asyncio
async def test_nothing_is_redeemed_until_the_transaction_is_confirmed(journal):
    api = FakeAiq()
    vm = await at_wallet(api, journal)
    vm.toggle("a")
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("   ")  # a blank ID is refused: still nothing sent
    assert vm.step is Step.CHECKOUT and api.redeems == []
    vm.confirm_checkout("T-9")
    await wait_for_step(vm, Step.DONE)
    assert api.redeems == [("redeem", URL.format("a"), "T-9")]


@pytest.mark.asyncio
async def test_not_reaching_aiq_is_retried_then_reported_not_sent(journal):
    api = FakeAiq([errors.Unreachable("down")] * 4)
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a"])
    assert len(api.redeems) == 4  # the first try and three retries: nothing was ever sent
    assert [o.status for o in vm.outcomes] == [Status.NOT_SENT]
    assert vm.points_deducted == 0 and vm.message[1] == ""  # said once, by the done page's red banner


@pytest.mark.asyncio
async def test_a_retry_that_gets_through_counts_once(journal):
    api = FakeAiq([errors.Unreachable("down"), "r-7"])
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a"])
    assert [(o.status, o.redemption_id) for o in vm.outcomes] == [(Status.REDEEMED, "r-7")]


@pytest.mark.asyncio
async def test_an_unanswered_redemption_is_never_sent_again(journal):
    api = FakeAiq([errors.OutcomeUnknown("timeout"), "r-2"])
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a", "b"])
    assert [c[1] for c in api.redeems] == [URL.format("a"), URL.format("b")]
    assert [o.status for o in vm.outcomes] == [Status.UNKNOWN, Status.REDEEMED]
    assert vm.points_deducted == 200
    record = vm.record()
    assert "UNKNOWN | points deducted: 0" in record and "NOT ALL REDEEMED" in record


@pytest.mark.asyncio
async def test_a_refusal_keeps_aiqs_reason(journal):
    api = FakeAiq([errors.Rejected("Refused by AIQ: no points were taken.", detail="Insufficient points")])
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a"])
    assert vm.outcomes[0].status is Status.REJECTED and "Insufficient points" in vm.outcomes[0].message


@pytest.mark.asyncio
async def test_redeeming_cannot_be_cancelled(journal):
    api = FakeAiq()
    vm = await at_wallet(api, journal)
    vm.toggle("a")
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("T-1")
    vm.cancel()
    vm.abandon()
    await wait_for_step(vm, Step.DONE)
    assert len(api.redeems) == 1 and vm.outcomes[0].status is Status.REDEEMED


@pytest.mark.asyncio
async def test_escape_while_the_pin_is_being_sent_cancels_the_request(journal):
    api = FakeAiq()
    api.verify_gate = asyncio.Event()  # AIQ never answers
    vm = RedemptionViewModel(api, journal, clock=CLOCK, sleep=no_sleep)
    vm.set_cart_text("20")
    vm.start()
    vm.submit_phone("5551234567")
    assert vm.step is Step.SENDING_PIN and vm.busy
    vm.cancel()
    assert vm.step is Step.PHONE and vm.busy == ""
    await vm.wait_idle()
    assert vm.step is Step.PHONE


@pytest.mark.asyncio
async def test_selection_may_not_exceed_the_cart_or_the_balance(journal):
    api = FakeAiq()
    api.wallet = demo_wallet(points=250)
    vm = await at_wallet(api, journal, cart="12")
    vm.toggle("a")
    vm.toggle("b")  # $15 off a $12 sale
    assert vm.selected_ids == ["a"] and "take $15.00 off a $12.00 sale" in vm.message[1]
    vm.set_cart_text("100")
    vm.toggle("b")  # 300 points, the shopper has 250
    assert vm.selected_ids == ["a"] and "the shopper has 250" in vm.message[1]


@pytest.mark.asyncio
async def test_a_smaller_cart_clears_a_selection_that_no_longer_fits(journal):
    vm = await at_wallet(FakeAiq(), journal, cart="50")
    vm.toggle("b")
    vm.set_cart_text("8")
    vm.finish_cart_edit()  # Enter, or the keyboard leaves the field
    assert vm.selected_ids == [] and "Dropped $10 off: needs a $10.00 sale: $2.00 more." in vm.message[1]
    assert not next(o for o in vm.offers if o.discount.id == "b").usable


@pytest.mark.asyncio
async def test_hidden_points_never_show_and_do_not_block(journal):
    api = FakeAiq()
    api.wallet = demo_wallet(points=0, hide=True)
    vm = await at_wallet(api, journal, cart="50")
    assert vm.balance is None
    vm.toggle("a")
    assert vm.selected_ids == ["a"]
    await redeem(vm, [])
    assert "balance" not in vm.record()


@pytest.mark.asyncio
async def test_confirming_the_same_transaction_twice_sends_one_put_per_discount(journal):
    api = FakeAiq()
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a", "b"], txid="T-7")
    vm.new_sale()
    vm.set_cart_text("50")
    vm.start()
    vm.submit_phone("5551234567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    await redeem(vm, ["a", "b"], txid="T-7")
    assert len(api.redeems) == 2
    assert [o.status for o in vm.outcomes] == [Status.REDEEMED, Status.REDEEMED]


@pytest.mark.asyncio
async def test_every_redemption_is_on_disk_before_its_put(journal):
    seen_on_disk = []

    class Watching(FakeAiq):
        async def redeem(self, url, txid):
            seen_on_disk.append([(e.discount_id, e.state.value) for e in journal.for_transaction(txid)])
            return await super().redeem(url, txid)

    vm = await at_wallet(Watching(), journal)
    await redeem(vm, ["a", "b"], txid="T-8")
    assert seen_on_disk[0] == [("a", "sending"), ("b", "queued")]
    assert seen_on_disk[1] == [("a", "redeemed"), ("b", "sending")]


@pytest.mark.asyncio
async def test_if_the_journal_cannot_record_the_selection_is_not_applied_and_nothing_is_sent(journal):
    api = FakeAiq()
    vm = await at_wallet(api, journal)
    journal.close()  # the disk is gone
    vm.toggle("a")
    vm.apply_selection()
    assert vm.step is Step.WALLET, "a sale that cannot be recorded must not be keyed into the POS"
    assert vm.message[0] == "error" and "do not apply them in the POS" in vm.message[1]
    assert api.redeems == []


@pytest.mark.asyncio
async def test_if_the_journal_fails_at_checkout_nothing_is_sent(journal):
    api = FakeAiq()
    vm = await at_wallet(api, journal)
    vm.toggle("a")
    vm.apply_selection()
    vm.start_checkout()
    journal.close()  # the disk goes between applying and checkout
    vm.confirm_checkout("T-1")
    await wait_for_step(vm, Step.DONE)
    assert api.redeems == []
    assert [o.status for o in vm.outcomes] == [Status.NOT_SENT]
    assert "could not record" in vm.outcomes[0].message


@pytest.mark.asyncio
async def test_unknown_ones_wait_for_a_manager_and_unsent_ones_go_out_at_the_next_start(journal):
    api = FakeAiq([errors.OutcomeUnknown("timeout")] + [errors.Unreachable("down")] * 4)
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a", "b"], txid="T-9")
    assert [o.status for o in vm.outcomes] == [Status.UNKNOWN, Status.NOT_SENT]
    assert vm.pending_count == 2

    after_restart = FakeAiq()
    restarted = RedemptionViewModel(after_restart, journal, clock=CLOCK, sleep=no_sleep)
    await restarted.resume_queued()
    assert [c[1] for c in after_restart.redeems] == [URL.format("b")], "the unknown one is never resent"
    assert [e.state.value for e in journal.for_transaction("T-9")] == ["unknown", "redeemed"]
    assert restarted.pending_count == 1


@pytest.mark.asyncio
async def test_a_transaction_id_used_for_another_shopper_is_refused_not_shown_redeemed(journal):
    api = FakeAiq()
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a"], txid="1001")
    vm.new_sale()
    other = FakeAiq()
    other.wallet = parse_wallet({"loyaltyPoints": 500, "contactID": "C-OTHER", "discountTemplates": [
        {"id": "a", "name": "$5 off", "redemptionURL": URL.format("a"), "pointsDeduction": 100, "dollarValue": 5}]},
        base_url="https://lab.alpineiq.com")
    vm = RedemptionViewModel(other, journal, clock=CLOCK, sleep=no_sleep)  # the same terminal, the next sale
    vm.set_cart_text("50")
    vm.start()
    vm.submit_phone("555-987-6543")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    vm.toggle("a")
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("1001")
    assert vm.step is Step.CHECKOUT and "already used" in vm.message[1] and "***-***-4567" in vm.message[1]
    assert other.redeems == []
    vm.confirm_checkout("1002")
    await wait_for_step(vm, Step.DONE)
    assert len(other.redeems) == 1 and vm.outcomes[0].status is Status.REDEEMED


@pytest.mark.asyncio
async def test_what_never_reached_aiq_is_retried_in_the_background_a_tick_later(journal):
    api = FakeAiq([errors.Unreachable("down")] * 4)
    vm = await at_wallet(api, journal)
    await redeem(vm, ["a"], txid="T-BG")
    assert vm.outcomes[0].status is Status.NOT_SENT and vm.pending_count == 1
    ticks: asyncio.Queue = asyncio.Queue()
    done = asyncio.get_running_loop().create_future()

    async def tick(_seconds):
        if ticks.empty() and not done.done():
            done.set_result(len(api.redeems))  # every tick given so far has been handled
        await ticks.get()

    background = ResendLoop(vm.redemption_sender, journal, may_send=vm.may_send_queued,
                            after_send=vm.refresh_pending, every=60, sleep=tick)
    background.start()
    for _ in range(2):  # first look: seen waiting; second look: still waiting, so sent
        ticks.put_nowait(None)
    await asyncio.wait_for(done, 5)
    background.stop()
    assert [e.state.value for e in journal.for_transaction("T-BG")] == ["redeemed"]
    assert len(api.redeems) == 5  # the first try, three quick retries, then one in the background


@pytest.mark.asyncio
async def test_a_full_redemption_names_the_signed_in_cashier_on_each_event_and_in_the_export(journal):
    """Issue 13: signed in as a cashier, every audit event of the sale and the export name them."""
    import csv
    import io
    from datetime import timedelta

    from budtender_app.domain.actor import Actor
    from budtender_app.domain.staff import Actor as ChangeActor
    from budtender_app.domain.staff import Role
    from budtender_app.services.staff.store import StaffStore
    from budtender_app.viewmodels.staff_session import StaffSession

    staff = StaffStore(journal.path.parent / "staff.sqlite3", clock=CLOCK, lookup_key=bytes(range(32)))
    staff.add("Max Manager", Role.MANAGER, "2580", by=ChangeActor.command_line("it"))
    member = staff.add("Dana Cashier", Role.CASHIER, "4971", by=ChangeActor.command_line("it"))
    session = StaffSession(staff, CLOCK)
    assert await session.sign_in("4971")  # signed in as the cashier, as at the counter
    dana = Actor(str(member.id), "Dana Cashier")
    vm = RedemptionViewModel(FakeAiq(), journal, clock=CLOCK, sleep=no_sleep, acting=session.actor)
    vm.set_cart_text("50")
    vm.start()
    vm.submit_phone("555-123-4567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    await redeem(vm, [demo_wallet().discounts[0].id])
    rows = journal.audit.rows()
    assert [r.event for r in rows] == ["applied", "queued", "sent", "redeemed"]
    assert {r.staff for r in rows} == {dana} and journal.get(1).staff == dana
    out = io.StringIO()
    day = timedelta(days=1)  # the export's days are the machine's zone's, the clock's today the store's: a margin
    journal.export_csv(out, CLOCK.today() - day, CLOCK.today() + day)
    assert {r["staff"] for r in csv.DictReader(io.StringIO(out.getvalue()))} == {"Dana Cashier"}
