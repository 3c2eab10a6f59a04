"""From the counter: an unknown phone offers sign-up (F3) with that phone, no PIN texted."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import await_signal, make_journal, wait_for_step

BASE = "https://simulator.invalid"


@pytest_asyncio.fixture
async def window(qtbot, tmp_path):
    sim = Simulator(base_url=BASE)
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    client = AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))
    journal = make_journal(tmp_path)
    consents = ConsentLog(tmp_path / "consents.sqlite3")
    where = CounterInfo(brand="Green Leaf", country="CA", store="Main St", terminal="till-1")
    vm = RedemptionViewModel(client, journal)
    win = MainWindow(vm, training=True, location="test", counter=where,
                     make_loyalty_vm=lambda: LoyaltyViewModel(client, consents, where))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.sim = sim
    yield win
    await vm.wait_idle()
    await http.aclose()
    journal.close()
    consents.close()


@pytest.mark.asyncio
async def test_an_unknown_phone_offers_sign_up_with_that_phone(qtbot, window):
    win, vm = window, window._vm
    qtbot.keyClicks(win.cart_edit, "30")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "(555) 777-1212")
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PHONE)
    await vm.wait_idle()
    assert "Press F3 to sign them up" in win.message_label.text()
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_F3)
    dialog = win.loyalty_dialog
    assert dialog is not None and dialog.phone_edit.text() == "(555) 777-1212"
    await await_signal(dialog._vm.status_changed)
    assert "not a member" in dialog.status_label.text()
    assert win.sim.last_pin("5557771212") is None


@pytest.mark.asyncio
async def test_a_non_member_can_take_the_sign_up_qr_home(qtbot, tmp_path):
    import zxingcpp

    from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog

    sim = Simulator(base_url=BASE)
    async with httpx.AsyncClient(transport=SimulatorTransport(sim)) as http:
        consents = ConsentLog(tmp_path / "consents.sqlite3")
        where = CounterInfo(brand="Green Leaf", country="US", store="Main St", terminal="till-1")
        vm = LoyaltyViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), consents, where)
        dialog = LoyaltyDialog(vm, None, phone_text="(555) 777-1212", signup_url="https://greenleaf.example/join",
                               brand="Green Leaf")
        qtbot.addWidget(dialog)
        dialog.show()
        assert not dialog.slip_button.isVisible()
        dialog.check_status()
        await await_signal(vm.status_changed)
        assert dialog.slip_button.isVisible()
        dialog.slip_button.click()
        from budtender_app.ui.receipt.receipt_paint import render_image

        image = render_image(dialog.slip_view.receipt, dpi=150)  # the slip as it prints
        assert [c.text for c in zxingcpp.read_barcodes(image)] == ["https://greenleaf.example/join"]
        dialog.slip_dialog.close()
        consents.close()


def _focused():
    from PySide6.QtWidgets import QApplication

    return QApplication.focusWidget()


@pytest.mark.asyncio
async def test_not_a_member_signs_up_at_the_counter_and_goes_on_into_the_sale_with_no_pin(qtbot, window):
    from budtender_app.simulator.seed import WELCOME_GIFT_NAME
    from tests.helpers import wait_for_focus

    win, vm = window, window._vm
    qtbot.keyClicks(win.cart_edit, "30")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "(555) 777-1212")
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    await vm.wait_idle()
    offer = win.phone_page.signup_button
    assert offer.isVisible() and offer.text() == "Sign up ***-***-1212 (F3)"
    offer.click()  # or F3, as the message says
    dialog = win.loyalty_dialog
    assert dialog is not None and dialog.phone_edit.text() == "(555) 777-1212"
    await dialog._vm.wait_idle()
    await wait_for_focus(dialog.form.agree_check)
    qtbot.keyClick(dialog.form.agree_check, Qt.Key.Key_Space)
    qtbot.keyClicks(dialog.form.edits["first_name"], "Kim")
    qtbot.keyClicks(dialog.form.edits["email"], "kim@example.com")
    qtbot.keyClick(dialog.form.edits["email"], Qt.Key.Key_Return)
    await dialog._vm.wait_idle()
    assert dialog.redeem_button.isVisible()
    await wait_for_focus(dialog.redeem_button)
    qtbot.keyClick(dialog.redeem_button, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.WALLET)
    assert win.loyalty_dialog is None and win.stack.currentWidget() is win.wallet_page
    assert win.phone_page.phone_edit.text() == "(555) 777-1212"
    assert any(o.discount.name == WELCOME_GIFT_NAME and o.usable for o in vm.offers)
    assert win.sim.last_pin("5557771212") is None  # the shopper gave consent here: no second PIN
    assert not [r for r in win.sim.requests if r.method == "PUT"]  # nothing redeemed before checkout


@pytest.mark.asyncio
async def test_redeem_for_a_member_from_f3_needs_the_cart_total_then_texts_the_pin(qtbot, window):
    from budtender_app.simulator.core import DEMO_PHONE

    win, vm = window, window._vm
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F3)
    dialog = win.loyalty_dialog
    qtbot.keyClicks(dialog.phone_edit, "(555) 123-4567")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)
    await dialog._vm.wait_idle()
    assert dialog.status_label.text() == "***-***-4567 is a loyalty member"
    assert dialog.redeem_button.isVisible() and _focused() is dialog.redeem_button
    qtbot.keyClick(dialog.redeem_button, Qt.Key.Key_Return)
    assert win.loyalty_dialog is None and vm.step is Step.CART
    assert win.message_label.text().startswith("Type the cart total first")
    qtbot.waitUntil(lambda: _focused() is win.cart_edit, timeout=2000)
    qtbot.keyClicks(win.cart_edit, "30")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    await wait_for_step(vm, Step.PIN)  # an existing member: the texted PIN, as always
    assert win.sim.last_pin(DEMO_PHONE) is not None and vm.wallet is None


@pytest.mark.asyncio
async def test_a_training_sign_up_slip_says_training_and_names_the_store_terminal_and_time(qtbot, window):
    """Every output of training says TRAINING: the sign-up QR slip too, with the store and terminal."""
    win = window
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F3)
    dialog = win.loyalty_dialog
    assert dialog is not None
    dialog.open_signup_slip()
    text = dialog.slip_view.receipt.text()
    assert "TRAINING - no real points" in text
    assert "Store: Main St" in text and "Terminal: till-1" in text and "Date: " in text
