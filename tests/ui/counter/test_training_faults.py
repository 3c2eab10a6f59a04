"""The trainer's "Practise a problem…" in the real training window: the banner's button opens
the dialog, a choice arms the simulated AIQ, the banner says so, and the class sees the problem."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from budtender_app.domain.actor import Actor
from budtender_app.domain.flow import Step
from budtender_app.domain.journal_rules import State
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.training_mode import add_trainer_controls, show_texted_pins
from budtender_app.ui.counter.training_faults import TrainingFaultsDialog
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.training import Problem
from tests.helpers import make_journal, wait_for_step

CASHIER = Actor("7", "Dana Cashier")

BASE = "https://simulator.invalid"


@pytest.fixture
def sim():
    return Simulator(base_url=BASE, pin_source=lambda: "4321")


@pytest_asyncio.fixture
async def window(qtbot, sim, tmp_path):
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    client = AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))
    now = [1000.0]
    vm = RedemptionViewModel(client, journal, monotonic=lambda: now[0])
    win = MainWindow(vm, training=True, location="test")
    win.client, win.journal, win.now = client, journal, now
    show_texted_pins(sim, win.banner)
    win.training_vm = add_trainer_controls(win, sim)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    await vm.wait_idle()
    await http.aclose()
    journal.close()


def open_dialog(qtbot, win) -> TrainingFaultsDialog:
    qtbot.mouseClick(win.banner.practise_button, Qt.MouseButton.LeftButton)
    dialog = win.findChild(TrainingFaultsDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def choose(qtbot, win, name: str) -> None:
    dialog = open_dialog(qtbot, win)
    qtbot.mouseClick(dialog.findChild(QPushButton, name), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), "a choice closes the dialog: the class goes on at once"


def test_the_dialog_has_one_choice_per_problem_and_back_to_normal(qtbot, window):
    dialog = open_dialog(qtbot, window)
    names = {b.objectName() for b in dialog.findChildren(QPushButton)}
    assert {"practise_unreachable_button", "practise_no_answer_button", "practise_refused_button",
            "practise_sms_lost_button", "training_normal_button"} <= names
    assert not dialog.normal_button.isEnabled(), "nothing armed yet: nothing to go back from"
    assert dialog.property("training") is None  # the tint comes from the window's property
    dialog.reject()


def test_a_choice_arms_the_simulator_and_the_banner_says_so_until_back_to_normal(qtbot, window, sim):
    choose(qtbot, window, "practise_unreachable_button")
    assert sim.faults.armed == "unreachable" and window.training_vm.armed is Problem.UNREACHABLE
    assert "Practising: AIQ unreachable" in window.banner.text()
    choose(qtbot, window, "training_normal_button")
    assert sim.faults.armed == "" and "Practising" not in window.banner.text()


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"failed after sending")
async def test_no_answer_chosen_in_the_dialog_leaves_the_next_redemption_unknown(qtbot, window, sim):
    from budtender_app.domain.phone import parse_phone
    from budtender_app.services.redemption_sender import RedemptionSender
    from budtender_app.simulator.core import DEMO_PHONE

    choose(qtbot, window, "practise_no_answer_button")
    client, journal = window.client, window.journal
    wallet = await client.wallet(parse_phone(DEMO_PHONE))
    discount = next(d for d in wallet.discounts if d.available and d.in_store)
    [entry] = journal.queue("T-1", [discount], staff=CASHIER,
                            shopper_masked="***-***-4567", contact_id=wallet.contact_id)
    entry = await RedemptionSender(client, journal).redeem(entry)
    assert entry.state is State.UNKNOWN and "Practising" not in window.banner.text()


@pytest.mark.asyncio
async def test_a_lost_pin_text_shows_no_pin_in_the_banner_and_a_resend_does(qtbot, window, sim):
    choose(qtbot, window, "practise_sms_lost_button")
    vm = window._vm
    qtbot.keyClicks(window.cart_edit, "42.00")
    qtbot.keyClick(window.cart_edit, Qt.Key.Key_F2)
    assert vm.step is Step.PHONE
    qtbot.keyClicks(window.phone_page.phone_edit, "(555) 123-4567")
    qtbot.keyClick(window.phone_page.phone_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PIN)
    assert sim.last_pin("5551234567") == "4321", "AIQ issued a PIN ..."
    assert "4321" not in window.banner.text() and "PIN texted" not in window.banner.text(), "... nobody got it"
    assert "Practising" not in window.banner.text(), "used up by that one text"
    window.now[0] += 31  # past the resend countdown
    vm.resend_pin()
    await vm.wait_idle()
    assert window.banner.text().endswith("***-***-4567: 4321"), "the resent PIN arrives"


@pytest.mark.asyncio
@pytest.mark.parametrize("training", [True, False])
async def test_the_dialogs_of_a_training_window_are_tinted_and_a_real_ones_are_not(qtbot, tmp_path, training):
    from PySide6.QtGui import QColor

    from budtender_app.ui.common.dialog import AppDialog
    from budtender_app.ui.common.style import PALETTE

    async with httpx.AsyncClient(transport=SimulatorTransport(Simulator(base_url=BASE))) as http:
        with make_journal(tmp_path) as journal:
            vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal)
            win = MainWindow(vm, training=training, location="test")
            qtbot.addWidget(win)
            dialog = AppDialog(win, "any_dialog", "any_message_label")
            dialog.resize(200, 100)
            dialog.open()
            seen = dialog.grab().toImage().pixelColor(100, 50)
            assert (seen == QColor(PALETTE["ask_bg"])) is training
            dialog.reject()
            await vm.wait_idle()
