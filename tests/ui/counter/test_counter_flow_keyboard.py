"""The whole counter flow by keyboard in the real window, against the in-process simulator."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from budtender_app.app import show_texted_pins
from budtender_app.domain.actor import Actor
from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_focus, wait_for_step

BASE = "https://simulator.invalid"


@pytest.fixture
def sim():
    return Simulator(base_url=BASE, pin_source=lambda: "4321")


@pytest_asyncio.fixture
async def window(qtbot, sim, tmp_path):
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal)
    win = MainWindow(vm, training=True, location="test")
    show_texted_pins(sim, win.banner)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    yield win
    await vm.wait_idle()
    await http.aclose()
    journal.close()


def puts(sim):
    return [r for r in sim.requests if r.method == "PUT"]


def focused():
    return QApplication.focusWidget()


async def type_into(qtbot, text: str, key=Qt.Key.Key_Return):
    widget = focused()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, key)


async def open_wallet(qtbot, win, sim, cart="42.00"):
    vm = win._vm
    assert focused() is win.cart_edit, "the cart total has the focus at start"
    qtbot.keyClicks(win.cart_edit, cart)
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert vm.step is Step.PHONE and focused() is win.phone_page.phone_edit
    await type_into(qtbot, "(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    assert win.banner.text().endswith("***-***-4567: 4321")
    resend = win.pin_dialog.resend_button
    assert not resend.isEnabled() and resend.text() in ("Resend PIN in 30 s (Ctrl+R)", "Resend PIN in 29 s (Ctrl+R)")
    await type_into(qtbot, "4321")
    await wait_for_step(vm, Step.WALLET)
    await wait_for_focus(win.wallet_page.offer_list)


@pytest.mark.asyncio
async def test_a_cashier_redeems_two_discounts_with_the_keyboard_only(qtbot, window, sim):
    win, vm = window, window._vm
    assert win.windowTitle().startswith("Budtender")
    await open_wallet(qtbot, win, sim, cart="42.00")
    offers = win.wallet_page.offer_list
    names = [offers.item(i).text().split("\n")[0][3:] for i in range(offers.count())]
    assert "$100 off a big haul" not in names  # worth more than the $42 sale
    unusable = [win.wallet_page.unusable_list.item(i).text() for i in range(win.wallet_page.unusable_list.count())]
    assert any(t.startswith("$100 off a big haul — needs a $100.00 sale: $58.00 more") for t in unusable)

    qtbot.keyClick(offers, Qt.Key.Key_Space)  # first: $5 off
    qtbot.keyClick(offers, Qt.Key.Key_Down)
    qtbot.keyClick(offers, Qt.Key.Key_Space)  # second: $10 off
    assert "2 discounts, $15.00 off, 350 points" in win.wallet_page.summary_label.text()
    qtbot.keyClick(offers, Qt.Key.Key_Return)
    assert vm.step is Step.APPLY_IN_POS
    table = win.apply_page.table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == ["POS-5OFF", "POS-10OFF"]
    assert puts(sim) == [], "nothing is redeemed before checkout"

    qtbot.keyClick(focused(), Qt.Key.Key_F9)
    assert vm.step is Step.CHECKOUT
    await wait_for_focus(win.checkout_dialog.transaction_edit)
    assert puts(sim) == []
    await type_into(qtbot, "T-1001/A")
    await wait_for_step(vm, Step.DONE)

    assert [r.path for r in puts(sim)] == [
        sim.redemption_url(DEMO_PHONE, d.id).removeprefix(BASE) + "/T-1001/A" for d in vm.selected
    ]
    assert all(r.api_key_ok for r in puts(sim))
    assert [(r.transaction_id, r.points) for r in sim.redemptions] == [("T-1001/A", 100), ("T-1001/A", 250)]
    record = win.done_page.record_text()
    assert "POS discount ID POS-5OFF" in record and "Total points deducted: 350" in record
    assert "Points balance after: 1,150 points" in record
    assert DEMO_PHONE not in record

    qtbot.keyClick(win.done_page.new_sale_button, Qt.Key.Key_Return)
    assert vm.step is Step.CART and focused() is win.cart_edit and win.cart_edit.text() == ""


@pytest.mark.asyncio
async def test_escape_at_every_step_before_checkout_redeems_nothing(qtbot, window, sim):
    win, vm = window, window._vm
    await open_wallet(qtbot, win, sim)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Space)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Return)
    qtbot.keyClick(focused(), Qt.Key.Key_F9)
    assert vm.step is Step.CHECKOUT
    await wait_for_focus(win.checkout_dialog.transaction_edit)
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)  # checkout -> apply
    assert vm.step is Step.APPLY_IN_POS and win.checkout_dialog is None
    await wait_for_focus(win.apply_page.checkout_button)
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)  # apply -> wallet
    assert vm.step is Step.WALLET
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)  # wallet -> phone: the shopper is kept
    assert vm.step is Step.PHONE and win.phone_page.phone_edit.text() == "(555) 123-4567"
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)  # phone -> "Cancel this redemption?"
    box = win.findChild(QMessageBox, "cancel_confirm_box")
    assert box is not None and box.isVisible() and vm.step is Step.PHONE
    box.findChild(QPushButton, "cancel_confirm_button").click()
    assert vm.step is Step.CART
    assert "nothing was redeemed" in win.message_label.text()
    assert puts(sim) == [] and sim.redemptions == []


@pytest.mark.asyncio
async def test_changing_the_cart_total_refilters_the_wallet_once_the_edit_is_done(qtbot, window, sim):
    win = window
    await open_wallet(qtbot, win, sim, cart="42")

    def unusable() -> list[str]:
        shown = win.wallet_page.unusable_list
        return [shown.item(i).text() for i in range(shown.count())]

    assert any("$100 off a big haul" in t for t in unusable())
    win.cart_edit.setFocus()
    qtbot.keyClicks(win.cart_edit, "0")  # 420
    assert any("$100 off a big haul" in t for t in unusable()), "not while the cashier types"
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_Return)  # done
    assert not any("$100 off a big haul" in t for t in unusable())


@pytest.mark.asyncio
async def test_bad_phone_is_refused_before_any_call(qtbot, window, sim):
    win, vm = window, window._vm
    qtbot.keyClicks(win.cart_edit, "20")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    await type_into(qtbot, "555-1234")
    assert vm.step is Step.PHONE
    assert "10 digits" in win.phone_page.error_label.text(), "said under the phone field"
    assert win.message_label.text() == ""
    assert sim.requests == []


@pytest.mark.asyncio
async def test_wrong_pin_says_so_and_three_send_the_cashier_back_to_the_phone(qtbot, window, sim):
    win, vm = window, window._vm
    qtbot.keyClicks(win.cart_edit, "20")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    await type_into(qtbot, "5551234567")
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    for _attempt in range(1, 3):
        await type_into(qtbot, "0000")
        await wait_for_step(vm, Step.PIN)
        await vm.wait_idle()
        assert "wrong or has expired" in win.pin_dialog.message_label.text()
        assert win.pin_dialog.pin_edit.text() == "", "a wrong PIN is wiped"
    await type_into(qtbot, "0000")
    await wait_for_step(vm, Step.PHONE)
    assert win.pin_dialog is None
    assert "3 wrong PINs" in win.phone_page.error_label.text()  # where the next phone is typed


@pytest.mark.asyncio
async def test_a_bad_cart_total_says_what_is_wrong_and_starts_nothing(qtbot, window, sim):
    win, vm = window, window._vm
    qtbot.keyClicks(win.cart_edit, "12.345")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert vm.step is Step.CART and "Two decimals at most" in win.cart_error_label.text()
    win.cart_edit.clear()
    qtbot.keyClicks(win.cart_edit, "abc")  # kept as typed, refused with words (tests/ui/counter/test_cart_field.py)
    assert win.cart_edit.text() == "abc" and "like 42.50" in win.cart_error_label.text()


@pytest.mark.asyncio
async def test_typing_while_the_pin_is_sent_cannot_change_the_sale(qtbot, window, sim):
    win, vm = window, window._vm
    qtbot.keyClicks(win.cart_edit, "20")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "5551234567")
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    assert vm.step is Step.SENDING_PIN
    assert focused() is win.phone_page.phone_edit and win.phone_page.phone_edit.isReadOnly()
    qtbot.keyClicks(win.phone_page.phone_edit, "99")
    assert win.cart_edit.text() == "20" and vm.cart_total == 20
    await wait_for_step(vm, Step.PIN)
    assert win.banner.text().endswith("4321")
    qtbot.keyClick(win.pin_dialog.pin_edit, Qt.Key.Key_Escape)
    await wait_for_step(vm, Step.PHONE)
    await wait_for_focus(win.phone_page.phone_edit)
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Escape)
    assert vm.step is Step.CART and "4321" not in win.banner.text()


@pytest.mark.asyncio
async def test_ctrl_q_with_discounts_applied_in_the_pos_asks_and_keeps_the_sale(qtbot, window, sim):
    win, vm = window, window._vm
    closed = []
    win.closed.connect(lambda: closed.append(True))
    await open_wallet(qtbot, win, sim)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Space)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Return)
    assert vm.step is Step.APPLY_IN_POS

    qtbot.keyClick(focused(), Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    box = win.findChild(QMessageBox, "quit_confirm_box")
    assert box is not None and box.isVisible() and win.isVisible() and not closed
    assert "applied in the POS" in box.text() and "finish it (F9" in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Esc keeps working: a stray key loses nothing
    assert win.isVisible() and not closed and vm.step is Step.APPLY_IN_POS

    win.close()
    box = win.findChild(QMessageBox, "quit_confirm_box")
    box.findChild(QPushButton, "quit_confirm_button").click()
    assert closed == [True]
    assert puts(sim) == [], "quitting sends nothing"
    assert [d.id for d in AppliedSales(vm._journal).current().discounts] == [vm.selected[0].id]


@pytest.mark.asyncio
async def test_a_sale_left_applied_shows_at_start_on_the_pos_step_and_f9_finishes_it(qtbot, window, sim):
    win, vm = window, window._vm
    await open_wallet(qtbot, win, sim)
    chosen = vm.offers[0].discount
    vm.abandon()  # back at the cart, as a new start would be; then what a quit left behind:
    win.cart_edit.clear()
    AppliedSales(vm._journal).save(AppliedSale(cart_total=Decimal("42.00"), discounts=(chosen,),
                                               shopper_masked="***-***-4567"), staff=Actor.counter)
    vm.resume_applied()
    assert vm.step is Step.APPLY_IN_POS
    table = win.apply_page.table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == [chosen.pos_discount_id]
    assert "A sale was not finished" in win.message_label.text()
    assert win.cart_edit.text() == "42.00" and win.cart_edit.isReadOnly()
    qtbot.keyClick(focused(), Qt.Key.Key_F9)
    await wait_for_focus(win.checkout_dialog.transaction_edit)
    await type_into(qtbot, "T-77")
    await wait_for_step(vm, Step.DONE)
    assert [(r.transaction_id, r.points) for r in sim.redemptions] == [("T-77", chosen.points)]


@pytest.mark.asyncio
async def test_a_clean_redemption_takes_seven_keys_beyond_what_is_typed(qtbot, window, sim):
    """README counts them: F2, Enter, Enter, Space, Enter, F9, Enter. Each key goes to whatever has
    the focus by then, as at the counter: the focus must move to the next field by itself."""
    win, vm = window, window._vm
    keys: list[str] = []

    def press(key: Qt.Key) -> None:
        keys.append(key.name)
        qtbot.keyClick(focused(), key)

    qtbot.keyClicks(focused(), "42.00")
    press(Qt.Key.Key_F2)
    qtbot.keyClicks(focused(), "(555) 123-4567")
    press(Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    qtbot.keyClicks(focused(), "4321")
    press(Qt.Key.Key_Return)
    await wait_for_step(vm, Step.WALLET)
    await wait_for_focus(win.wallet_page.offer_list)
    press(Qt.Key.Key_Space)
    press(Qt.Key.Key_Return)
    press(Qt.Key.Key_F9)
    await wait_for_focus(win.checkout_dialog.transaction_edit)
    qtbot.keyClicks(focused(), "T-7")
    press(Qt.Key.Key_Return)
    await wait_for_step(vm, Step.DONE)
    assert [(r.transaction_id, r.points) for r in sim.redemptions] == [("T-7", 100)]
    assert keys == ["Key_F2", "Key_Return", "Key_Return", "Key_Space", "Key_Return", "Key_F9", "Key_Return"]
