"""What the counter window shows while AIQ works: no flashing bar, fresh popups, no early slip."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import QEvent, QObject, Qt

from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.common.widgets import BUSY_SHOWS_AFTER_MS
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_focus, wait_for_step

BASE = "https://simulator.invalid"


class ShowWatch(QObject):
    """Counts Show events of one widget and resolves a future at the first."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.shows = 0
        self.first = asyncio.get_running_loop().create_future()
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Show:
            self.shows += 1
            if not self.first.done():
                self.first.set_result(asyncio.get_running_loop().time())
        return False


@pytest_asyncio.fixture
async def counter(qtbot, tmp_path):
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    transport = SimulatorTransport(sim)
    http = httpx.AsyncClient(transport=transport)
    journal = make_journal(tmp_path)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal)
    win = MainWindow(vm, training=True, location="test")
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    yield win, vm, transport
    await vm.wait_idle()
    await http.aclose()
    journal.close()


async def to_pin_popup(qtbot, win, vm, phone: str = "5551234567") -> None:
    if vm.step is Step.CART:
        qtbot.keyClicks(win.cart_edit, "42")
        qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    win.phone_page.phone_edit.clear()
    qtbot.keyClicks(win.phone_page.phone_edit, phone)
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)


async def to_checkout_popup(qtbot, win, vm) -> None:
    """PIN popup to checkout popup: the PIN, the first discount, apply, F9."""
    qtbot.keyClicks(win.pin_dialog.pin_edit, "4321")
    qtbot.keyClick(win.pin_dialog.pin_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.WALLET)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Space)
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Return)
    qtbot.keyClick(win.apply_page.checkout_button, Qt.Key.Key_F9)
    await wait_for_focus(win.checkout_dialog.transaction_edit)


@pytest.mark.asyncio
async def test_a_quick_answer_never_flashes_the_busy_strip(qtbot, counter):
    win, vm, _transport = counter
    watch = ShowWatch(win.busy_strip)
    await to_pin_popup(qtbot, win, vm)
    assert watch.shows == 0 and not win.busy_strip.isVisible()


@pytest.mark.asyncio
async def test_a_slow_answer_shows_the_busy_strip_and_esc_still_cancels(qtbot, counter):
    win, vm, transport = counter
    transport.latency = 30.0  # AIQ never answers in this test
    qtbot.keyClicks(win.cart_edit, "42")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "5551234567")
    watch = ShowWatch(win.busy_strip)
    loop = asyncio.get_running_loop()
    pressed = loop.time()
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    assert vm.step is Step.SENDING_PIN and win.phone_page.phone_edit.isReadOnly(), "locked at once"
    assert not win.busy_strip.isVisible()
    shown_at = await asyncio.wait_for(watch.first, 5)
    assert shown_at - pressed >= BUSY_SHOWS_AFTER_MS / 1000 - 0.02  # the timer's own slack
    assert win.busy_strip.label.text().startswith("Texting a PIN to ***-***-4567")
    assert win.busy_strip.cancel_button.isVisible()
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Escape)
    await wait_for_step(vm, Step.PHONE)
    assert not win.busy_strip.isVisible() and not win.busy_strip.busy


@pytest.mark.asyncio
async def test_the_pin_popup_is_fresh_for_the_next_shopper(qtbot, counter):
    win, vm, _transport = counter
    await to_pin_popup(qtbot, win, vm, "5551234567")
    first = win.pin_dialog
    qtbot.keyClicks(first.pin_edit, "0000")
    qtbot.keyClick(first.pin_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PIN)
    await vm.wait_idle()
    assert "wrong or has expired" in first.message_label.text()
    qtbot.keyClicks(first.pin_edit, "12")  # half a PIN, then the shopper turns out to be another
    qtbot.keyClick(first.pin_edit, Qt.Key.Key_Escape)
    await wait_for_step(vm, Step.PHONE)
    assert win.pin_dialog is None and not first.isVisible()

    await to_pin_popup(qtbot, win, vm, "5559876543")
    popup = win.pin_dialog
    assert popup.isVisible()
    assert "***-***-6543" in popup.intro_label.text() and "4567" not in popup.intro_label.text()
    assert popup.pin_edit.text() == "" and popup.pin_edit.isEnabled() and popup.open_button.isEnabled()
    assert popup.message_label.text() == "" and not popup.message_label.isVisible()
    assert not popup.busy_strip.isVisible()


@pytest.mark.asyncio
async def test_the_checkout_popup_is_fresh_for_the_next_sale(qtbot, counter):
    win, vm, _transport = counter
    await to_pin_popup(qtbot, win, vm)
    await to_checkout_popup(qtbot, win, vm)
    offers = win.wallet_page.offer_list
    popup = win.checkout_dialog
    qtbot.keyClick(popup.transaction_edit, Qt.Key.Key_Return)  # no ID typed
    assert popup.message_label.text() and vm.step is Step.CHECKOUT
    qtbot.keyClicks(popup.transaction_edit, "T-1")
    qtbot.keyClick(popup.transaction_edit, Qt.Key.Key_Escape)  # back to the POS
    assert vm.step is Step.APPLY_IN_POS and win.checkout_dialog is None
    await wait_for_focus(win.apply_page.checkout_button)
    qtbot.keyClick(win.apply_page.checkout_button, Qt.Key.Key_Escape)  # and to the wallet: pick two this time
    await wait_for_step(vm, Step.WALLET)
    await wait_for_focus(offers)
    qtbot.keyClick(offers, Qt.Key.Key_Down)
    qtbot.keyClick(offers, Qt.Key.Key_Space)
    qtbot.keyClick(offers, Qt.Key.Key_Return)
    qtbot.keyClick(win.apply_page.checkout_button, Qt.Key.Key_F9)
    await wait_for_focus(win.checkout_dialog.transaction_edit)
    assert win.checkout_dialog is popup
    assert popup.transaction_edit.text() == "" and popup.message_label.text() == ""
    assert popup.summary_label.text().startswith("2 discounts for")


@pytest.mark.asyncio
async def test_while_aiq_redeems_the_done_page_prints_no_slip_yet(qtbot, counter):
    win, vm, transport = counter
    await to_pin_popup(qtbot, win, vm)
    await to_checkout_popup(qtbot, win, vm)
    transport.latency = 0.3  # AIQ takes its time with the PUT
    qtbot.keyClicks(win.checkout_dialog.transaction_edit, "T-77")
    qtbot.keyClick(win.checkout_dialog.transaction_edit, Qt.Key.Key_Return)
    assert vm.step is Step.REDEEMING
    page = win.done_page
    assert page.title_label.text() == "Transaction T-77: redeeming with AIQ…"
    assert page.table.rowCount() == 0
    assert not page.receipt_view.copy_button.isEnabled(), "no slip to copy before AIQ answers"
    await wait_for_step(vm, Step.DONE)
    assert page.title_label.text().startswith("Transaction T-77: 100 points deducted")
    assert page.table.rowCount() == 1 and page.receipt_view.copy_button.isEnabled()
    assert any("points deducted: 100" in line for line in page.receipt_view.receipt.lines)


@pytest.mark.asyncio
async def test_preparing_the_screens_at_start_shows_nothing_and_keeps_the_keyboard(qtbot, counter):
    win, vm, _transport = counter
    await wait_for_focus(win.cart_edit)
    await win.prepare_screens()
    assert vm.step is Step.CART and win.stack.currentWidget() is win.cart_page
    assert win.pin_dialog is None and win.checkout_dialog is None
    assert not win.popups._pin_dialog.isVisible() and not win.popups._checkout_dialog.isVisible()
    assert not win.busy_strip.isVisible()
    assert win.cart_edit.hasFocus()
    await to_pin_popup(qtbot, win, vm, "5559876543")  # the prepared popup serves the first shopper
    assert win.pin_dialog is win.popups._pin_dialog and "***-***-6543" in win.pin_dialog.intro_label.text()


@pytest.mark.asyncio
async def test_a_sale_begun_while_the_screens_are_prepared_stops_the_preparing(qtbot, counter):
    win, vm, _transport = counter
    preparing = asyncio.ensure_future(win.prepare_screens())
    qtbot.keyClicks(win.cart_edit, "42")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    await preparing
    assert vm.step is Step.PHONE and win.stack.currentWidget() is win.phone_page
    assert win.phone_page.phone_edit.hasFocus()


@pytest.mark.asyncio
async def test_words_during_the_pin_step_appear_in_the_popup_where_the_cashier_looks(qtbot, tmp_path):
    now = [1000.0]
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal,
                             monotonic=lambda: now[0])
    win = MainWindow(vm, training=True, location="test")
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    try:
        await wait_for_focus(win.cart_edit)
        qtbot.keyClicks(win.cart_edit, "42")
        qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
        qtbot.keyClicks(win.phone_page.phone_edit, "555-1234")
        qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
        assert "10 digits" in win.phone_page.error_label.text()  # a typo first
        await to_pin_popup(qtbot, win, vm, "5551234567")
        assert win.phone_page.error_label.text() == "", "the phone's error is stale once the PIN is out"
        assert win.message_label.text() == ""
        popup = win.pin_dialog
        assert popup.message_label.text() == "", "the popup's own words say where the PIN went"

        now[0] += 31  # the resend countdown is over; the shopper got no text
        win.popups._on_resend_timer_timeout()
        assert popup.resend_button.isEnabled()
        qtbot.mouseClick(popup.resend_button, Qt.MouseButton.LeftButton)
        await vm.wait_idle()
        assert popup.message_label.text() == "A new PIN was texted to ***-***-4567; the old one no longer works."
        assert popup.message_label.isVisible() and win.message_label.text() == ""
        assert popup.pin_edit.isEnabled()
    finally:
        await vm.wait_idle()
        await http.aclose()
        journal.close()


@pytest_asyncio.fixture
async def counter_with_manager(qtbot, tmp_path):
    from budtender_app.services.manager_pin import ManagerPinGuard
    from budtender_app.services.settings_store import SettingsStore
    from budtender_app.viewmodels.manager_pin import ManagerPinViewModel

    guard = ManagerPinGuard(SettingsStore())
    guard.set_pin("4826")
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal)
    win = MainWindow(vm, training=True, location="test", make_pin_vm=lambda: ManagerPinViewModel(guard))
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    await wait_for_focus(win.cart_edit)
    yield win, vm, journal
    await vm.wait_idle()
    await http.aclose()
    journal.close()


async def manager_skips(qtbot, win, vm) -> None:
    qtbot.mouseClick(win.pin_dialog.skip_button, Qt.MouseButton.LeftButton)
    why = win.popups.skip_gate.dialog  # one dialog: the manager PIN, the reason and the initials
    assert why.objectName() == "skip_pin_dialog"
    await wait_for_focus(why.manager_pin_edit)
    qtbot.keyClicks(why.manager_pin_edit, "4826")
    qtbot.keyClicks(why.reason_edit, "phone is dead, ID checked")
    qtbot.keyClicks(why.initials_edit, "MK")
    qtbot.keyClick(why.initials_edit, Qt.Key.Key_Return)
    await wait_for_step(vm, Step.WALLET)


@pytest.mark.asyncio
async def test_a_manager_skips_the_pin_twice_with_the_one_popup(qtbot, counter_with_manager):
    win, vm, _journal = counter_with_manager
    await to_pin_popup(qtbot, win, vm, "5551234567")
    await manager_skips(qtbot, win, vm)
    assert win.pin_dialog is None and vm.pin_skipped.startswith("PIN skipped by manager MK")
    qtbot.keyClick(win.wallet_page.offer_list, Qt.Key.Key_Escape)  # back to the phone: another shopper
    await wait_for_step(vm, Step.PHONE)
    await to_pin_popup(qtbot, win, vm, "5559876543")
    assert win.pin_dialog.skip_button.isVisible() and "***-***-6543" in win.pin_dialog.intro_label.text()
    await manager_skips(qtbot, win, vm)
    assert vm.phone.masked == "***-***-6543"


@pytest.mark.asyncio
async def test_when_the_pin_popup_closes_its_manager_dialogs_close_with_it(qtbot, counter_with_manager):
    win, vm, _journal = counter_with_manager
    await to_pin_popup(qtbot, win, vm)
    qtbot.mouseClick(win.pin_dialog.skip_button, Qt.MouseButton.LeftButton)
    ask = win.popups.skip_gate.dialog
    await wait_for_focus(ask.manager_pin_edit)
    vm.cancel()  # the sale is given up elsewhere while the manager's PIN is being asked
    assert vm.step is Step.PHONE and win.pin_dialog is None
    assert not ask.isVisible(), "a manager prompt must not outlive the popup it belongs to"
