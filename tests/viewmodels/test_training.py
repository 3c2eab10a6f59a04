"""The trainer's problems: each one makes the next call to the simulated AIQ go wrong as the
class is to practise it, through the same client, sender and journal as a real sale."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain import errors
from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import State
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator import faults
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.viewmodels.training import Problem, TrainingViewModel

CASHIER = Actor("7", "Dana Cashier")

BASE = "https://simulator.invalid"
PHONE = parse_phone(DEMO_PHONE)


@pytest.fixture
def sim():
    return Simulator(base_url=BASE, pin_source=lambda: "4321")


@pytest.fixture
def vm(sim):
    return TrainingViewModel(sim.faults)


@pytest_asyncio.fixture
async def client(sim):
    async with httpx.AsyncClient(transport=SimulatorTransport(sim)) as http:
        yield AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))


async def no_wait(seconds: float) -> None:
    """The sender's pause between tries, skipped."""


async def redeem_one(client, journal, txid="T-1"):
    """A redemption as the counter sends it: journaled first, then sent; the row after."""
    wallet = await client.wallet(PHONE)
    discount = next(d for d in wallet.discounts if d.available and d.in_store)
    [entry] = journal.queue(txid, [discount], staff=CASHIER,
                            shopper_masked="***-***-4567", contact_id=wallet.contact_id)
    return await RedemptionSender(client, journal, sleep=no_wait).redeem(entry)


def test_the_view_model_speaks_the_simulators_names_for_the_problems(vm):
    assert {str(p) for p in Problem if p is not Problem.NONE} == set(faults.CASES)
    assert [p.problem for p in vm.practices] == [Problem(c) for c in faults.CASES]


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"failed after sending")
async def test_no_answer_makes_the_next_redemption_unknown_for_f11(vm, sim, client, journal):
    vm.practise(Problem.NO_ANSWER)
    entry = await redeem_one(client, journal)
    assert entry.state is State.UNKNOWN and entry.needs_manager
    assert len(sim.redemptions) == 1, "AIQ did redeem: only its answer was lost"
    assert [e.id for e in journal.pending()] == [entry.id], "a manager finds it under F11"
    assert vm.armed is Problem.NONE, "used up: the next one goes through"
    assert (await redeem_one(client, journal, "T-2")).state is State.REDEEMED


@pytest.mark.asyncio
async def test_refused_makes_aiq_refuse_the_next_redemption(vm, sim, client, journal):
    vm.practise(Problem.REFUSED)
    entry = await redeem_one(client, journal)
    assert entry.state is State.REJECTED and sim.redemptions == []
    assert vm.armed is Problem.NONE


@pytest.mark.asyncio
async def test_unreachable_fails_every_call_until_back_to_normal(vm, sim, client, journal):
    vm.practise(Problem.UNREACHABLE)
    with pytest.raises(errors.Unreachable):
        await client.verify_wallet(PHONE)
    with pytest.raises(errors.Unreachable):
        await client.wallet(PHONE)
    assert vm.armed is Problem.UNREACHABLE and vm.status_text() == "Practising: AIQ unreachable"
    vm.back_to_normal()
    assert vm.status_text() == "" and (await redeem_one(client, journal)).state is State.REDEEMED


@pytest.mark.asyncio
async def test_an_unreachable_redemption_waits_unsent_on_this_computer(vm, sim, client, journal):
    wallet = await client.wallet(PHONE)
    discount = next(d for d in wallet.discounts if d.available and d.in_store)
    [entry] = journal.queue("T-1", [discount], staff=CASHIER,
                            shopper_masked="***-***-4567", contact_id=wallet.contact_id)
    vm.practise(Problem.UNREACHABLE)
    entry = await RedemptionSender(client, journal, sleep=no_wait).redeem(entry)
    assert entry.state is State.QUEUED and sim.redemptions == []


@pytest.mark.asyncio
async def test_a_lost_pin_text_issues_a_pin_nobody_sees_and_a_resend_arrives(vm, sim, client):
    texted = []
    sim.on_pin_sent = lambda digits, pin: texted.append(pin)
    vm.practise(Problem.SMS_LOST)
    await client.verify_wallet(PHONE)
    assert texted == [] and sim.last_pin(DEMO_PHONE) == "4321", "AIQ sent it; it never arrived"
    assert vm.armed is Problem.NONE
    await client.verify_wallet(PHONE)  # Resend PIN
    assert texted == ["4321"]


def test_a_problem_used_up_by_the_simulator_tells_the_screen(vm, sim):
    seen = []
    vm.changed.connect(lambda: seen.append(vm.armed))
    vm.practise(Problem.REFUSED)
    assert sim.faults.take("GET", "/api/v2/loyalty/lookup/x") == "", "only a redemption is refused"
    assert sim.faults.take("PUT", "/api/v1.1/discount/redeem/1/2/3/T-1") == "refused"
    assert seen == [Problem.REFUSED, Problem.NONE]


def test_an_unknown_problem_is_refused(vm):
    with pytest.raises(ValueError, match="is not a valid Problem"):
        vm.practise("power_cut")
    with pytest.raises(ValueError, match="unknown training problem"):
        Simulator().faults.arm("power_cut")
