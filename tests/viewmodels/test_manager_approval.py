"""Managers approve with their own passcode (issue 13), and the view models enforce it.

A cashier signed in cannot resolve a redemption, give points back, export, change the settings or
skip a shopper's PIN by calling the view model directly: each act asks ``approving()`` and is
refused with "a manager's passcode is needed" when no manager approved. A manager's passcode typed
over the cashier's session approves; the decision then names the manager's account, and the
cashier who was signed in.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budtender_app.domain.actor import Actor
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NEEDS_MANAGER, NOT_A_MANAGER, Role
from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.applied_sale import AppliedSales
from budtender_app.services.staff.store import StaffStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID
from budtender_app.viewmodels.manager_approval import ApprovalPrompt, ManagerApproval
from budtender_app.viewmodels.pending import ABANDONED, PendingViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import MovingTime, make_journal, no_sleep, wait_for_step
from tests.helpers.fake_aiq import CLOCK, FakeAiq, demo_wallet

pytestmark = pytest.mark.logs_expected(r"refused: no manager approved it")

KEY = bytes(range(32))
IT = ChangeActor.command_line("it")
MANAGER_CODE, CASHIER_CODE = "2580", "4971"


@pytest.fixture
def now():
    return MovingTime()


@pytest.fixture
def store(tmp_path, now):
    with StaffStore(tmp_path / "staff.sqlite3", clock=now.clock(), lookup_key=KEY) as s:
        s.add("Dana Boss", Role.MANAGER, MANAGER_CODE, by=IT)
        s.add("Sam Till", Role.CASHIER, CASHIER_CODE, by=IT)
        yield s


@pytest.fixture
def session(store, now):
    return StaffSession(store, now.clock())


@pytest.fixture
def approval(session):
    return ManagerApproval(session)


@pytest.fixture
def journal(tmp_path):
    with make_journal(tmp_path, clock=CLOCK) as j:
        yield j


def as_actor(store, name):
    member = store.find(name)
    return Actor(str(member.id), member.name)


def queued_row(journal, txid="T-9"):
    """A checked-out line that was never sent: a manager may abandon it."""
    discount = demo_wallet().discounts[0]
    (entry,) = AppliedSales(journal).checkout(txid, [discount], shopper_masked="***-***-4567", contact_id="c-1",
                                              staff=Actor("7", "Sam Till"))
    return entry


# -- the prompt ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_cashiers_passcode_does_not_approve_and_gets_the_words_of_a_wrong_one(session, approval, store):
    assert await session.sign_in(CASHIER_CODE)
    prompt = ApprovalPrompt(approval)
    accepted = []
    prompt.accepted.connect(lambda: accepted.append(True))
    prompt.submit(CASHIER_CODE)
    said_for_cashier = prompt.message
    prompt.submit("8024")  # nobody's
    assert said_for_cashier == prompt.message == (Level.ERROR, NOT_A_MANAGER)
    assert accepted == [] and approval.approver() is None
    prompt.submit(MANAGER_CODE)
    assert accepted == [True]
    assert approval.approver() == as_actor(store, "Dana Boss")
    assert session.current.name == "Sam Till", "approving does not sign the manager in"


@pytest.mark.asyncio
async def test_wrong_passcodes_lock_the_prompt_and_the_lock_survives_a_new_prompt(session, approval, now):
    assert await session.sign_in(CASHIER_CODE)
    prompt = ApprovalPrompt(approval)
    for _ in range(5):
        prompt.submit("8024")
    assert prompt.seconds_locked > 0 and "Too many wrong passcodes" in prompt.message[1]
    again = ApprovalPrompt(approval)
    again.refresh()
    again.submit(MANAGER_CODE)  # locked: not even a manager's passcode is compared
    assert approval.approver() is None and again.seconds_locked > 0
    now.pass_(again.seconds_locked + 1)
    again.refresh()
    again.submit(MANAGER_CODE)
    assert approval.approver() is not None


@pytest.mark.asyncio
async def test_a_signed_in_manager_approves_their_own_acts_and_a_lock_ends_every_approval(
        session, approval, store):
    assert approval.approver() is None, "nobody signed in: nobody approves"
    assert await session.sign_in(MANAGER_CODE)
    assert approval.approver() == as_actor(store, "Dana Boss")
    session.lock()
    assert approval.approver() is None
    assert await session.sign_in(CASHIER_CODE)
    ApprovalPrompt(approval).submit(MANAGER_CODE)
    assert approval.approver() is not None
    revoked = []
    approval.revoked.connect(lambda: revoked.append(True))
    session.lock()  # the counter locks over the manager's window
    assert revoked == [True]
    assert await session.sign_in(CASHIER_CODE)
    assert approval.approver() is None, "the approval did not outlive the lock"
    approval.grant(store.find("Dana Boss"))
    approval.end()  # the window it opened closed
    assert approval.approver() is None
    with pytest.raises(ValueError, match="only a manager"):
        approval.grant(store.find("Sam Till"))


# -- roles enforced where the act happens --------------------------------------------------------


@pytest.mark.asyncio
async def test_a_cashier_cannot_decide_on_a_redemption_by_calling_the_view_model(session, approval, store, journal):
    assert await session.sign_in(CASHIER_CODE)
    entry = queued_row(journal)
    vm = PendingViewModel(journal, FakeAiq(), None, clock=CLOCK, acting=session.actor, approving=approval.approver)
    before = [r.event for r in journal.audit.rows()]
    vm.resolve(entry.id, ABANDONED, "sale voided in the POS", "Dana Boss")  # a typed name is not approval
    assert vm.message == (Level.ERROR, NEEDS_MANAGER)
    assert [r.event for r in journal.audit.rows()] == before and journal.get(entry.id).state.value == "queued"
    await vm.reverse(entry.id, "refund", "Dana Boss")
    assert vm.message == (Level.ERROR, NEEDS_MANAGER)
    assert vm.export_csv("/nonexistent/never-written.csv", CLOCK.today()) is None
    assert vm.message == (Level.ERROR, NEEDS_MANAGER)

    ApprovalPrompt(approval).submit(MANAGER_CODE)
    vm.resolve(entry.id, ABANDONED, "sale voided in the POS")
    assert journal.get(entry.id).state.value == "abandoned"
    last = journal.audit.rows()[-1]
    assert (last.staff, last.approver) == (as_actor(store, "Sam Till"), as_actor(store, "Dana Boss"))
    assert "Dana Boss" in last.detail


@pytest.mark.asyncio
async def test_a_pin_skip_needs_a_manager_and_puts_them_on_the_sales_redemption_rows(session, approval, store,
                                                                                   journal, server):
    assert await session.sign_in(CASHIER_CODE)
    async with httpx.AsyncClient(timeout=5.0) as http:
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), journal,
                                 clock=CLOCK, sleep=no_sleep, acting=session.actor, approving=approval.approver)
        vm.set_cart_text("40")
        vm.start()
        vm.submit_phone(DEMO_PHONE)
        await wait_for_step(vm, Step.PIN)
        vm.skip_pin_by_manager("phone dead, ID checked", "Dana Boss")  # typed initials are not approval
        assert vm.step is Step.PIN and vm.message == (Level.ERROR, NEEDS_MANAGER)
        assert not [r for r in journal.audit.rows() if r.event == "pin_skipped"]

        ApprovalPrompt(approval).submit(MANAGER_CODE)
        vm.skip_pin_by_manager("phone dead, ID checked")
        approval.end()  # the skip dialog closed: the sale goes on without a manager standing by
        await wait_for_step(vm, Step.WALLET)
        usable = next(o.discount for o in vm.offers if o.usable)
        vm.toggle(usable.id)
        vm.apply_selection()
        vm.start_checkout()
        vm.confirm_checkout("T-SKIP")
        await wait_for_step(vm, Step.DONE)
        await vm.wait_idle()
    dana, sam = as_actor(store, "Dana Boss"), as_actor(store, "Sam Till")
    (row,) = journal.for_transaction("T-SKIP")
    assert (row.staff, row.approver) == (sam, dana) and row.state.value == "redeemed"
    by_event = {r.event: r for r in journal.audit.rows()}
    assert (by_event["pin_skipped"].staff, by_event["pin_skipped"].approver) == (sam, dana)
    assert by_event["applied"].approver == dana


@pytest.mark.asyncio
async def test_a_resumed_sale_keeps_the_manager_who_skipped_its_pin(journal):
    from budtender_app.services.applied_sale import AppliedSale

    dana = Actor("3", "Dana Boss")
    sales = AppliedSales(journal)
    sales.save(AppliedSale(cart_total=Decimal(50), discounts=(demo_wallet().discounts[0],), pin_skipped="skipped"),
               staff=Actor("7", "Sam Till"), approver=dana)
    assert sales.current().pin_approver == dana


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.text(max_size=12), st.just(CASHIER_CODE)).filter(lambda t: t != MANAGER_CODE))
def test_nothing_a_cashier_types_approves(approval, store, typed):
    """Whatever a cashier types into the prompt but a manager's passcode, nobody approves."""
    approval.session.current = store.find("Sam Till")  # signed in (sign_in itself is async)
    prompt = ApprovalPrompt(approval)
    prompt.submit(typed)
    assert approval.approver() is None and not prompt.done
    assert prompt.message[0] == Level.ERROR
