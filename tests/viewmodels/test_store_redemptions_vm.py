"""The Whole store view's rules without a hub (a fake desk): a decision no manager approved, one
without a reason, one about this register's own row or one already waiting is refused before
anything reaches the hub; a hub away is said, and the last read kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.journal_rules import State
from budtender_app.domain.messages import Level
from budtender_app.domain.redact import redact
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.hub.settlements import is_ref
from budtender_app.viewmodels.pending_words import MAX_REASON, Action
from budtender_app.viewmodels.store_redemptions import StoreWideViewModel
from tests.helpers.store_desk import MINE, THEIRS, FakeDesk

pytestmark = pytest.mark.logs_expected(r"manager action refused: no manager approved it")

CLOCK = Clock.fixed(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
MANAGER = Actor("m-9", "Morgan Manager")


class NoReport:
    async def redemptions_between(self, start, end):
        return []


async def opened(desk=None, approving=lambda: MANAGER) -> StoreWideViewModel:
    vm = StoreWideViewModel(desk or FakeDesk(), NoReport(), lambda: "Main St", CLOCK,
                            acting=lambda: Actor("c-2", "Casey"), approving=approving)
    await vm.refresh()
    return vm


def key_of(vm, row):
    return vm.key(next(r for r in vm.rows if (r.terminal_id, r.id) == (row.terminal_id, row.id)))


@pytest.mark.asyncio
async def test_without_a_managers_approval_nothing_reaches_the_hub():
    desk = FakeDesk()
    vm = await opened(desk, approving=lambda: None)
    await vm.decide(key_of(vm, THEIRS), Action.REDEEMED, "AIQ's report shows it")
    await vm.settle_conflict(1, "checked both")
    assert desk.requests == [] and vm.message == (Level.ERROR, NEEDS_MANAGER)


@pytest.mark.asyncio
async def test_without_staff_sign_in_a_typed_name_and_a_reason_are_needed():
    desk = FakeDesk()
    vm = await opened(desk, approving=None)
    await vm.decide(key_of(vm, THEIRS), Action.REDEEMED, "AIQ's report shows it", manager="  ")
    assert "name or initials" in vm.message[1]
    await vm.decide(key_of(vm, THEIRS), Action.REDEEMED, "   ", manager="J.D.")
    assert "reason" in vm.message[1] and desk.requests == []
    await vm.decide(key_of(vm, THEIRS), Action.REDEEMED, "AIQ's report shows it", manager="J.D.")
    [s] = desk.requests
    assert (s.owner_id, s.entry_id, s.action, s.approver.name, s.staff.name, s.as_of_seq) == (
        "t-1", 7, "redeemed", "J.D.", "Casey", 31)
    assert is_ref(s.ref) and s.decided_on_name == "Register 2"


@pytest.mark.asyncio
async def test_this_registers_own_rows_and_rows_already_waiting_are_not_decided_here():
    waiting = replace(THEIRS, waiting_ref="abcdefghijkl", waiting_action="retry")
    desk = FakeDesk([waiting, MINE])
    vm = await opened(desk)
    await vm.decide(key_of(vm, MINE), Action.ABANDONED, "voided")
    await vm.decide(key_of(vm, waiting), Action.REDEEMED, "AIQ's report shows it")
    assert desk.requests == []
    assert vm.allowed_actions(vm.rows[0]) == {Action.CHECK}
    assert "waiting for Register 1: send again" in vm.state_text(vm.rows[0])


@pytest.mark.asyncio
async def test_a_refused_redemption_may_only_be_sent_again():
    vm = await opened(FakeDesk([replace(THEIRS, state=State.REJECTED)]))
    assert vm.allowed_actions(vm.rows[0]) == {Action.RETRY}


@pytest.mark.asyncio
async def test_a_hub_away_is_said_and_the_last_read_is_kept():
    desk = FakeDesk()
    vm = await opened(desk)
    desk.fail = "The hub at 10.0.0.5:5432 is unreachable: timeout"
    await vm.refresh()
    assert "unreachable" in vm.problem and len(vm.rows) == 2


@pytest.mark.asyncio
async def test_a_phone_or_a_link_typed_in_the_reason_never_reaches_the_hub():
    desk = FakeDesk()
    vm = await opened(desk)
    await vm.decide(key_of(vm, THEIRS), Action.ABANDONED, "shopper (555) 123-4567 said https://x.example/t/abc")
    [s] = desk.requests
    assert "123-4567" not in s.reason and "x.example" not in s.reason and "***4567" in s.reason


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(reason=st.text(max_size=260))
def test_any_reason_is_refused_in_words_or_goes_to_the_hub_folded_and_short(reason):
    import asyncio

    desk = FakeDesk()

    async def go():
        vm = await opened(desk)
        await vm.decide(key_of(vm, THEIRS), Action.ABANDONED, reason)
        return vm

    vm = asyncio.run(go())
    if desk.requests:
        [s] = desk.requests
        assert 0 < len(s.reason) <= MAX_REASON and s.reason == " ".join(s.reason.split())
        assert redact(s.reason) == s.reason, "nothing in it looks secret"
    else:
        assert vm.message[0] == Level.ERROR and vm.message[1]
