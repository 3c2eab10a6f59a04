"""A hand-off in the counter window (issue 14), over real HTTP to the simulator: the fields fill in,
the checkout popup opens with the POS's transaction ID and still needs Enter, and a receipt barcode
scanned into it (a scanner types, then presses Enter) is checked against the store's ID shape."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt

from budtender_app.domain.flow import Step
from budtender_app.domain.handoff import Handoff
from budtender_app.domain.transaction_pattern import parse_pattern
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_focus, wait_for_step


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "4321")) as srv:
        yield srv


@pytest_asyncio.fixture
async def window(qtbot, server, tmp_path):
    http = httpx.AsyncClient(timeout=2.0)
    journal = make_journal(tmp_path)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID)), journal)
    win = MainWindow(vm, training=True, location="test")
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    await wait_for_focus(win.cart_edit)
    yield win
    await vm.wait_idle()
    await http.aclose()
    journal.close()


def puts(server):
    return [r.path.rsplit("/", 1)[-1] for r in server.simulator.requests if r.method == "PUT"]


async def to_checkout(qtbot, win):
    """F2, the phone (filled in or typed), the PIN, Enter on the wallet's selection, F9."""
    vm = win._vm
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert vm.step is Step.PHONE
    if not win.phone_page.phone_edit.text():
        qtbot.keyClicks(win.phone_page.phone_edit, DEMO_PHONE)
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    qtbot.keyClicks(win.pin_dialog.pin_edit, "4321")
    qtbot.keyClick(win.pin_dialog.pin_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.WALLET)
    await wait_for_focus(win.wallet_page.offer_list)
    if not vm.selected_ids:
        qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Space)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Return)
    assert vm.step is Step.APPLY_IN_POS
    qtbot.keyClick(win, Qt.Key.Key_F9)
    assert vm.step is Step.CHECKOUT and win.checkout_dialog is not None
    await wait_for_focus(win.checkout_dialog.transaction_edit)
    return win.checkout_dialog


@pytest.mark.asyncio
async def test_the_hand_off_fills_the_fields_and_the_popup_then_the_cashier_confirms_with_enter(qtbot, window, server):
    win = window
    ok, text = win.take_handoff(Handoff(total=Decimal("42.50"), transaction="T-1001", discounts=("POS-5OFF",),
                                        phone=DEMO_PHONE))
    assert ok and win.cart_edit.text() == "42.50"
    assert win.message_label.isVisible() and win.message_label.text() == text
    assert server.simulator.requests == []  # it only filled in
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert win.phone_page.phone_edit.text() == DEMO_PHONE, "the socket's phone fills in at F2, not before"
    assert win._vm.step is Step.PHONE and server.simulator.requests == []  # Enter texts the PIN, not the hand-off
    dialog = await to_checkout(qtbot, win)
    assert [d.pos_discount_id for d in win._vm.selected] == ["POS-5OFF"]
    field = dialog.transaction_edit
    assert field.text() == "T-1001" and field.selectedText() == "T-1001" and not field.isReadOnly()
    assert dialog.prefill_label.isVisible() and "check it against the receipt" in dialog.prefill_label.text()
    assert puts(server) == [], "nothing is redeemed before Enter"
    qtbot.keyClick(field, Qt.Key.Key_Return)
    await wait_for_step(win._vm, Step.DONE)
    assert puts(server) == ["T-1001"]
    qtbot.keyClick(win, Qt.Key.Key_Return)  # a new sale: the hand-off's transaction is forgotten
    assert win._vm.step is Step.CART and win._vm.handoff.transaction == ""


@pytest.mark.asyncio
async def test_a_scanned_receipt_barcode_of_another_shape_is_refused_then_a_good_one_redeems(qtbot, window, server):
    win = window
    win._vm.transaction_ids = parse_pattern("8 digits")
    qtbot.keyClicks(win.cart_edit, "42.50")
    dialog = await to_checkout(qtbot, win)
    field = dialog.transaction_edit
    assert field.text() == "" and not dialog.prefill_label.isVisible()
    qtbot.keyClicks(field, "T-12")  # the scanner types the characters, then Enter
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert win._vm.step is Step.CHECKOUT and puts(server) == []
    assert dialog.message_label.text() == "This store's transaction IDs are 8 digits; T-12 is not one."
    assert field.selectedText() == "T-12", "ready to be scanned over"
    qtbot.keyClicks(field, "20261202")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    await wait_for_step(win._vm, Step.DONE)
    assert puts(server) == ["20261202"]


@pytest.mark.asyncio
async def test_a_scan_over_the_prefilled_id_replaces_it(qtbot, window, server):
    win = window
    win.take_handoff(Handoff(total=Decimal("42.50"), transaction="T-1001"))
    dialog = await to_checkout(qtbot, win)
    qtbot.keyClicks(dialog.transaction_edit, "T-1002")  # the selected prefill is typed over
    qtbot.keyClick(dialog.transaction_edit, Qt.Key.Key_Return)
    await wait_for_step(win._vm, Step.DONE)
    assert puts(server) == ["T-1002"]


@pytest.mark.asyncio
async def test_a_hand_off_during_a_sale_is_refused_in_the_band_and_the_fields_stay(qtbot, window, server):
    win = window
    qtbot.keyClicks(win.cart_edit, "30")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "555")
    ok, text = win.take_handoff(Handoff(total=Decimal("42.50"), transaction="T-1001", phone=DEMO_PHONE))
    assert not ok and text.startswith("Finish or cancel the current sale first:")
    assert win.message_label.text() == text and win.message_label.isVisible()
    assert win.cart_edit.text() == "30" and win.phone_page.phone_edit.text() == "555"
    assert win._vm.step is Step.PHONE and win._vm.cart_total == Decimal(30)
