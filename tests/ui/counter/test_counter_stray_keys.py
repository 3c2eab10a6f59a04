"""A hurried cashier at the real window, by keyboard: a stray Esc, Enter or F9 loses no work,
texts no PIN twice and never redeems before checkout."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from budtender_app.domain.flow import KEEP_VERIFIED_FOR, Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.pin_steps import RESEND_AFTER
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_focus, wait_for_step

BASE = "https://simulator.invalid"
ESC, ENTER = Qt.Key.Key_Escape, Qt.Key.Key_Return


class Ticks:
    """The view model's monotonic clock, moved by hand (the resend countdown, the kept shopper)."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def counter(qtbot, tmp_path):
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    ticks = Ticks()
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal, monotonic=ticks)
    win = MainWindow(vm, training=True, location="test")
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    await wait_for_focus(win.cart_edit)
    yield win, vm, sim, ticks
    await vm.wait_idle()
    await http.aclose()
    journal.close()


def focused():
    return QApplication.focusWidget()


def texts_sent(sim) -> int:
    return len([r for r in sim.requests if r.path.endswith("/verify/contact/wallet")])


def redemptions_sent(sim) -> list:
    return [r for r in sim.requests if r.method == "PUT"]


async def to_pin(qtbot, win, vm, cart="42"):
    qtbot.keyClicks(win.cart_edit, cart)
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "(555) 123-4567")
    qtbot.keyClick(win.phone_page.phone_edit, ENTER)
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)


async def to_wallet(qtbot, win, vm, cart="42", picks=1):
    await to_pin(qtbot, win, vm, cart)
    qtbot.keyClicks(win.pin_dialog.pin_edit, "4321")
    qtbot.keyClick(win.pin_dialog.pin_edit, ENTER)
    await wait_for_step(vm, Step.WALLET)
    await wait_for_focus(win.wallet_page.offer_list)
    for i in range(picks):
        if i:
            qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Down)
        qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Space)


def cancel_box(win) -> QMessageBox | None:
    box = win.findChild(QMessageBox, "cancel_confirm_box")
    return box if box is not None and box.isVisible() else None


@pytest.mark.asyncio
async def test_esc_in_the_wallet_then_enter_gives_the_same_wallet_back_with_no_new_pin(qtbot, counter):
    win, vm, sim, ticks = counter
    await to_wallet(qtbot, win, vm, picks=2)
    qtbot.keyClick(focused(), ESC)
    assert vm.step is Step.PHONE and win.stack.currentWidget() is win.phone_page
    await wait_for_focus(win.phone_page.phone_edit)
    assert win.phone_page.phone_edit.text() == "(555) 123-4567", "the shopper's number stays"
    assert "Enter re-opens the wallet of ***-***-4567" in win.message_label.text()
    ticks.now += KEEP_VERIFIED_FOR / 2
    qtbot.keyClick(focused(), ENTER)
    assert vm.step is Step.WALLET and win.pin_dialog is None and texts_sent(sim) == 1
    await wait_for_focus(win.wallet_page.offer_list)
    assert "Selected: 2 discounts" in win.wallet_page.summary_label.text()


@pytest.mark.asyncio
async def test_esc_esc_enter_enter_asks_keeps_and_reopens(qtbot, counter):
    win, vm, sim, _ticks = counter
    await to_wallet(qtbot, win, vm)
    qtbot.keyClick(focused(), ESC)
    qtbot.keyClick(focused(), ESC)
    box = cancel_box(win)
    assert box is not None and vm.step is Step.PHONE
    assert box.text() == "Cancel this redemption? The shopper's selection is dropped."
    qtbot.keyClick(box, ENTER)  # Keep is the default
    assert cancel_box(win) is None and vm.step is Step.PHONE
    await wait_for_focus(win.phone_page.phone_edit)
    qtbot.keyClick(focused(), ENTER)
    assert vm.step is Step.WALLET and vm.selected_ids and texts_sent(sim) == 1
    assert redemptions_sent(sim) == []


@pytest.mark.asyncio
async def test_shift_esc_asks_and_only_the_confirmed_cancel_drops_the_redemption(qtbot, counter):
    win, vm, sim, _ticks = counter
    await to_wallet(qtbot, win, vm)
    assert "(Shift+Esc)" in win.wallet_page.findChild(type(win.redeem_button), "wallet_cancel_button").text()
    qtbot.keyClick(focused(), ESC, Qt.KeyboardModifier.ShiftModifier)
    box = cancel_box(win)
    assert box is not None and vm.step is Step.WALLET, "Shift+Esc asks; it is not Esc's step back"
    qtbot.keyClick(box, ESC)  # Esc on the question keeps the redemption
    assert cancel_box(win) is None and vm.step is Step.WALLET and vm.selected_ids
    qtbot.keyClick(win.wallet_page.offer_list, ESC, Qt.KeyboardModifier.ShiftModifier)
    cancel_box(win).findChild(type(win.redeem_button), "cancel_confirm_button").click()
    assert vm.step is Step.CART and vm.wallet is None and "nothing was redeemed" in win.message_label.text()
    assert redemptions_sent(sim) == []


@pytest.mark.asyncio
async def test_esc_then_enter_on_the_phone_offers_the_texted_pin_instead_of_a_new_text(qtbot, counter):
    win, vm, sim, ticks = counter
    await to_pin(qtbot, win, vm)
    ticks.now += 20
    qtbot.keyClick(win.pin_dialog.pin_edit, ESC)
    await wait_for_step(vm, Step.PHONE)
    await wait_for_focus(win.phone_page.phone_edit)
    qtbot.keyClick(focused(), ENTER)
    question = win.popups.texted_question
    assert question is not None and question.isVisible()
    assert question.question_label.text() == "A PIN was texted 20 s ago: use that one?"
    assert not question.new_button.isEnabled() and question.new_button.text() == "Text a new PIN in 10 s"
    assert texts_sent(sim) == 1
    await wait_for_focus(question.use_button)
    qtbot.keyClick(focused(), ENTER)  # use that one
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    assert not question.isVisible() and texts_sent(sim) == 1
    qtbot.keyClicks(win.pin_dialog.pin_edit, "4321")
    qtbot.keyClick(win.pin_dialog.pin_edit, ENTER)
    await wait_for_step(vm, Step.WALLET)


@pytest.mark.asyncio
async def test_a_new_pin_from_the_question_once_the_countdown_allows(qtbot, counter):
    win, vm, sim, ticks = counter
    await to_pin(qtbot, win, vm)
    qtbot.keyClick(win.pin_dialog.pin_edit, ESC)
    await wait_for_focus(win.phone_page.phone_edit)
    qtbot.keyClick(focused(), ENTER)
    question = win.popups.texted_question
    ticks.now += RESEND_AFTER
    win.popups._on_resend_timer_timeout()  # the countdown's 250 ms tick
    assert question.new_button.isEnabled() and question.new_button.text() == "Text a new PIN"
    question.new_button.click()
    await wait_for_step(vm, Step.PIN)
    assert texts_sent(sim) == 2


@pytest.mark.asyncio
async def test_ctrl_r_resends_the_pin_once_the_countdown_ends(qtbot, counter):
    win, vm, sim, ticks = counter
    await to_pin(qtbot, win, vm)
    popup = win.pin_dialog
    qtbot.keyClick(popup.pin_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert texts_sent(sim) == 1, "not during the countdown"
    ticks.now += RESEND_AFTER
    win.popups._on_resend_timer_timeout()
    assert popup.resend_button.text() == "Resend PIN (Ctrl+R)"
    qtbot.keyClick(popup.pin_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    await vm.wait_idle()
    assert texts_sent(sim) == 2 and "A new PIN was texted" in popup.message_label.text()


@pytest.mark.asyncio
async def test_f9_in_the_wallet_says_what_to_do_and_sends_nothing(qtbot, counter):
    win, vm, sim, _ticks = counter
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F9)
    assert "press F2" in win.message_label.text()
    await to_wallet(qtbot, win, vm)
    qtbot.keyClick(focused(), Qt.Key.Key_F9)
    assert vm.step is Step.WALLET and win.checkout_dialog is None
    assert win.message_label.text() == ("Apply the selection first (Enter), key the discounts into the POS, "
                                        "then press F9 when the sale is finished.")
    assert redemptions_sent(sim) == []


@pytest.mark.asyncio
async def test_editing_the_cart_total_in_the_wallet_keeps_what_fits_and_names_what_it_drops(qtbot, counter):
    win, vm, _sim, _ticks = counter
    await to_wallet(qtbot, win, vm, cart="42", picks=2)  # $5 off any purchase, $10 off your order
    win.cart_edit.setFocus()
    win.cart_edit.selectAll()
    qtbot.keyClicks(win.cart_edit, "12")  # "$1" on the way: nothing dropped yet
    assert len(vm.selected_ids) == 2 and vm.cart_total == 42
    qtbot.keyClick(win.cart_edit, ENTER)
    assert vm.cart_total == 12 and len(vm.selected_ids) == 1
    assert win.message_label.text() == ("Cart total now $12.00. Dropped $10 off your order: with the others it "
                                        "would take $15.00 off a $12.00 sale.")
    win.cart_edit.selectAll()
    qtbot.keyClicks(win.cart_edit, "30")
    win.wallet_page.offer_list.setFocus()  # leaving the field counts as done
    assert vm.cart_total == 30 and len(vm.selected_ids) == 1


@pytest.mark.asyncio
async def test_a_zero_cart_texts_no_pin(qtbot, counter):
    win, vm, sim, _ticks = counter
    qtbot.keyClicks(win.cart_edit, "0.00")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert vm.step is Step.CART and "Nothing to discount on a $0.00 sale" in win.cart_error_label.text()
    assert sim.requests == []


@pytest.mark.asyncio
async def test_twelve_point_three_four_five_is_told_two_decimals_at_most(qtbot, counter):
    win, _vm, _sim, _ticks = counter
    qtbot.keyClicks(win.cart_edit, "12.345")
    assert win.cart_error_label.text().startswith("Two decimals at most")


@pytest.mark.asyncio
async def test_a_refused_transaction_id_is_selected_for_retyping(qtbot, counter):
    win, vm, sim, _ticks = counter
    await to_wallet(qtbot, win, vm)
    qtbot.keyClick(win.wallet_page.offer_list, ENTER)
    qtbot.keyClick(focused(), Qt.Key.Key_F9)
    popup = win.checkout_dialog
    await wait_for_focus(popup.transaction_edit)
    qtbot.keyClicks(popup.transaction_edit, "T-" + "9" * 200)  # too long: refused
    qtbot.keyClick(popup.transaction_edit, ENTER)
    assert vm.step is Step.CHECKOUT and popup.transaction_edit.selectedText() == popup.transaction_edit.text()
    qtbot.keyClicks(popup.transaction_edit, "T-55")  # typing replaces it
    assert popup.transaction_edit.text() == "T-55" and redemptions_sent(sim) == []


@pytest.mark.asyncio
async def test_a_cancel_question_taken_back_is_not_read_as_the_last_answer(qtbot, counter):
    """The one question box is asked again and again: an earlier "Cancel redemption" must not
    count for a later question the window took back (the step moved on)."""
    win, vm, _sim, _ticks = counter
    chosen = []
    win.popups.cancel_question.chosen.connect(lambda: chosen.append(True))
    await to_wallet(qtbot, win, vm)
    vm.ask_abandon()
    cancel_box(win).findChild(type(win.redeem_button), "cancel_confirm_button").click()
    assert chosen == [True] and vm.step is Step.CART
    await to_wallet(qtbot, win, vm)
    vm.ask_abandon()
    win.popups.cancel_question.close()
    assert chosen == [True] and vm.step is Step.WALLET


@pytest.mark.asyncio
async def test_ctrl_q_after_stepping_back_from_an_applied_sale_still_asks(qtbot, counter):
    """Esc from the POS step to the wallet and on to the phone: the discounts are still keyed into
    the POS, so a stray Ctrl+Q asks, as it does on the POS step."""
    win, vm, sim, _ticks = counter
    await to_wallet(qtbot, win, vm)
    qtbot.keyClick(win.wallet_page.offer_list, ENTER)
    assert vm.step is Step.APPLY_IN_POS
    qtbot.keyClick(focused(), ESC)
    qtbot.keyClick(focused(), ESC)
    assert vm.step is Step.PHONE and vm.sale_applied
    qtbot.keyClick(focused(), Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    box = win.findChild(QMessageBox, "quit_confirm_box")
    assert box is not None and box.isVisible() and win.isVisible()
    qtbot.keyClick(box, ESC)
    assert win.isVisible() and vm.step is Step.PHONE and redemptions_sent(sim) == []
