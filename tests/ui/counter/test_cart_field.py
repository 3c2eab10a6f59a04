"""The cart total as the cashier types it: kept as typed, refused with a message when it is not money."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt

from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_focus

BASE = "https://simulator.invalid"
NOT_A_NUMBER = "Type the cart total as a number, like 42.50."


@pytest_asyncio.fixture
async def window(qtbot, tmp_path):
    http = httpx.AsyncClient(transport=SimulatorTransport(Simulator(base_url=BASE)))
    journal = make_journal(tmp_path)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal)
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


@pytest.mark.asyncio
@pytest.mark.parametrize(("typed", "says"), [
    ("1e9", NOT_A_NUMBER),  # was taken as $19
    ("-5", "The cart total cannot be negative."),  # was taken as $5
    ("42.5O", NOT_A_NUMBER),  # a letter O for a zero: was $42.5
    ("4 2", NOT_A_NUMBER),
    ("abc", NOT_A_NUMBER),
    ("12345678901234567", "That cart total is too large; check the amount."),  # was cut to 14 digits
])
async def test_what_the_cart_field_cannot_take_stays_as_typed_and_is_refused_with_a_message(
        qtbot, window, typed, says):
    win = window
    qtbot.keyClicks(win.cart_edit, typed)
    assert win.cart_edit.text() == typed, "nothing typed is dropped"
    assert win.cart_error_label.isVisible() and win.cart_error_label.text() == says, "said under the field"
    assert not win.message_label.isVisible(), "and only there, not again in the band"
    assert win._vm.cart_total is None
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert win._vm.step is Step.CART and win.cart_error_label.text() == says


@pytest.mark.asyncio
async def test_fixing_what_was_typed_clears_the_message_and_the_sale_goes_on(qtbot, window):
    win = window
    qtbot.keyClicks(win.cart_edit, "1e9")
    assert win.cart_error_label.text() == NOT_A_NUMBER
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(win.cart_edit, "9.50")
    assert win.cart_edit.text() == "19.50" and not win.cart_error_label.isVisible()
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    assert win._vm.step is Step.PHONE and str(win._vm.cart_total) == "19.50"


@pytest.mark.asyncio
@pytest.mark.parametrize("typed", ["$1,234.56", " 42 ", "42.", ".5"])
async def test_a_cart_total_with_dollar_sign_commas_or_spaces_still_reads(qtbot, window, typed):
    qtbot.keyClicks(window.cart_edit, typed)
    assert window.cart_edit.text() == typed and window._vm.cart_total is not None
    assert not window.message_label.isVisible() and not window.cart_error_label.isVisible()
