"""PIN resend, three strikes, and skipping the PIN (store setting or manager), over real HTTP."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, WRONG_PIN_SHAPES, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.viewmodels.pin_steps import MAX_WRONG_PINS, RESEND_AFTER
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_step


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def server():
    pins = iter(["1111", "2222", "3333", "4444"])
    with SimulatorServer(Simulator(pin_source=lambda: next(pins))) as srv:
        yield srv


@pytest_asyncio.fixture
async def make_vm(server, tmp_path):
    made = []
    http = httpx.AsyncClient(timeout=2.0)
    journal = make_journal(tmp_path)

    def make(**kw):
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), journal, **kw)
        made.append(vm)
        return vm

    make.journal = journal
    yield make
    for vm in made:
        await vm.wait_idle()
    await http.aclose()
    journal.close()


def verifies(server):
    return [r for r in server.simulator.requests if r.path.endswith("/verify/contact/wallet")]


async def at_pin(vm):
    vm.set_cart_text("40")
    vm.start()
    vm.submit_phone(DEMO_PHONE)
    await wait_for_step(vm, Step.PIN)


@pytest.mark.asyncio
async def test_resend_waits_for_the_countdown_then_texts_a_new_pin(server, make_vm):
    clock = Clock()
    vm = make_vm(monotonic=clock)
    await at_pin(vm)
    assert vm.resend_seconds_left() == RESEND_AFTER
    clock.now += RESEND_AFTER - 1
    vm.resend_pin()  # pressed during the countdown: nothing happens
    assert len(verifies(server)) == 1 and vm.resend_seconds_left() == 1
    clock.now += 1
    vm.resend_pin()
    await vm.wait_idle()
    assert len(verifies(server)) == 2 and "new PIN" in vm.message[1]
    vm.submit_pin("1111")  # the old PIN no longer works
    await wait_for_step(vm, Step.PIN)
    await vm.wait_idle()
    vm.submit_pin("2222")
    await wait_for_step(vm, Step.WALLET)


@pytest.mark.asyncio
async def test_three_wrong_pins_send_the_cashier_back_to_the_phone(server, make_vm):
    vm = make_vm()
    await at_pin(vm)
    for _ in range(3):
        vm.submit_pin("9999")
        await vm.wait_idle()
    assert vm.step is Step.PHONE and "3 wrong PINs" in vm.message[1]


def views(server):
    return [r for r in server.simulator.requests if r.path.endswith("/view/contact/wallet")]


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", sorted(WRONG_PIN_SHAPES))
async def test_three_wrong_pins_in_any_shape_aiq_answers_them_end_the_pin_and_its_right_pin(server, make_vm, shape):
    # AIQ answers a wrong code with 400 or 401, with or without a body: each one is a miss.
    server.simulator.answer_with("wrong_pin", *WRONG_PIN_SHAPES[shape])
    vm = make_vm()
    await at_pin(vm)  # PIN 1111 texted
    for tries in range(1, MAX_WRONG_PINS + 1):
        vm.submit_pin("9999")
        await vm.wait_idle()
        assert vm.wrong_pins == tries
    assert vm.step is Step.PHONE and f"{MAX_WRONG_PINS} wrong PINs" in vm.message[1]
    vm.submit_pin("1111")  # the right PIN, after the lockout: the popup is gone, nothing is sent
    await vm.wait_idle()
    assert vm.step is Step.PHONE and len(views(server)) == MAX_WRONG_PINS
    vm.submit_phone(DEMO_PHONE)  # starting over texts a new PIN (2222): the old one is dead
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1111")
    await vm.wait_idle()
    assert vm.step is Step.PIN and vm.wrong_pins == 1 and "wrong" in vm.message[1]
    vm.submit_pin("2222")
    await wait_for_step(vm, Step.WALLET)


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [301, 302, 303, 307])
async def test_a_redirect_on_view_wallet_costs_no_pin_try(server, make_vm, status):
    vm = make_vm()
    await at_pin(vm)
    server.inject(status, path_prefix="/api/v2/view", count=MAX_WRONG_PINS,
                  headers={"Location": server.url + "/api/v2/view/contact/wallet"})
    for _ in range(MAX_WRONG_PINS):
        vm.submit_pin("1111")
        await vm.wait_idle()
        assert vm.step is Step.PIN and vm.wrong_pins == 0 and f"HTTP {status}" in vm.message[1]
    vm.submit_pin("1111")
    await wait_for_step(vm, Step.WALLET)
    assert len(views(server)) == MAX_WRONG_PINS + 1  # never followed: one request per Enter


@pytest.mark.asyncio
async def test_the_store_setting_opens_the_wallet_without_a_pin_and_says_so(server, make_vm):
    vm = make_vm(skip_pin=True)
    vm.set_cart_text("40")
    vm.start()
    vm.submit_phone(DEMO_PHONE)
    await wait_for_step(vm, Step.WALLET)
    assert verifies(server) == [] and server.simulator.last_pin(DEMO_PHONE) is None
    assert server.simulator.requests[-1].path == "/api/v2/wallet"
    assert "PIN skipped" in vm.message[1]
    events = [row for row in make_vm.journal.audit.rows() if row.event == "pin_skipped"]
    assert len(events) == 1 and "store setting" in events[0].detail and DEMO_PHONE not in events[0].detail


@pytest.mark.asyncio
async def test_a_manager_skips_the_pin_for_one_sale_with_a_reason_on_the_audit_trail(server, make_vm):
    vm = make_vm()
    await at_pin(vm)
    vm.skip_pin_by_manager("  ", "JD")
    assert vm.step is Step.PIN and "reason" in vm.message[1]
    vm.skip_pin_by_manager("phone battery dead, ID checked", "JD")
    await wait_for_step(vm, Step.WALLET)
    assert "PIN skipped by manager JD" in vm.message[1]
    events = [row for row in make_vm.journal.audit.rows() if row.event == "pin_skipped"]
    assert len(events) == 1 and "manager JD" in events[0].detail and "ID checked" in events[0].detail
    assert make_vm.journal.verify_chain().ok


@pytest.mark.asyncio
async def test_a_manager_pin_skip_names_the_cashier_and_the_approving_manager(server, make_vm):
    from budtender_app.domain.actor import Actor

    dana = Actor("7", "Dana Cashier")
    vm = make_vm(acting=lambda: dana)
    await at_pin(vm)
    vm.skip_pin_by_manager("phone battery dead, ID checked", " Mo  Manager ")
    await wait_for_step(vm, Step.WALLET)
    (event,) = [row for row in make_vm.journal.audit.rows() if row.event == "pin_skipped"]
    assert (event.staff, event.approver) == (dana, Actor("", "Mo Manager"))
