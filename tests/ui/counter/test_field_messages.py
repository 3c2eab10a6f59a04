"""Issue 12: each error is said beside the field it is about, and the checkout popup says what it confirms."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from budtender_app.domain.flow import Step
from tests.ui.counter import test_counter_screen_updates as screens

counter = screens.counter  # the same window over the simulator, found by pytest by this name
to_pin_popup, to_checkout_popup = screens.to_pin_popup, screens.to_checkout_popup


def _below(label, field) -> bool:
    """Whether ``label`` is drawn under ``field`` (in the same window), starting at the field's left or past it."""
    top_left = label.mapTo(label.window(), label.rect().topLeft())
    field_bottom_left = field.mapTo(field.window(), field.rect().bottomLeft())
    return top_left.y() >= field_bottom_left.y() and top_left.x() >= field_bottom_left.x() - 1


@pytest.mark.asyncio
async def test_a_bad_cart_total_is_said_under_the_cart_field_and_only_there(qtbot, counter):
    win, _vm, _transport = counter
    qtbot.keyClicks(win.cart_edit, "12.345")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.waitUntil(win.cart_error_label.isVisible, timeout=2000)
    assert win.cart_error_label.text().startswith("Two decimals at most")
    assert _below(win.cart_error_label, win.cart_edit)
    assert not win.message_label.isVisible()


@pytest.mark.asyncio
async def test_a_bad_phone_is_said_under_the_phone_field_and_a_bad_cart_there_under_the_cart(qtbot, counter):
    win, vm, _transport = counter
    qtbot.keyClicks(win.cart_edit, "42")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(win.phone_page.phone_edit, "555-1234")
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(win.phone_page.error_label.isVisible, timeout=2000)
    assert "10 digits" in win.phone_page.error_label.text() and _below(win.phone_page.error_label,
                                                                       win.phone_page.phone_edit)
    assert not win.message_label.isVisible() and not win.cart_error_label.isVisible()
    win.cart_edit.selectAll()
    qtbot.keyClicks(win.cart_edit, "abc")  # the cart total is still editable at the phone step
    qtbot.keyClick(win.phone_page.phone_edit, Qt.Key.Key_Return)
    assert vm.step is Step.PHONE and "cart total" in win.cart_error_label.text()
    assert win.phone_page.error_label.text() == "", "one error, one place"


@pytest.mark.asyncio
async def test_a_wrong_pin_and_a_refused_transaction_id_are_said_under_their_fields(qtbot, counter):
    win, vm, _transport = counter
    await to_pin_popup(qtbot, win, vm)
    qtbot.keyClicks(win.pin_dialog.pin_edit, "0000")
    qtbot.keyClick(win.pin_dialog.pin_edit, Qt.Key.Key_Return)
    await vm.wait_idle()
    popup = win.pin_dialog
    assert popup.message_label.text() and _below(popup.message_label, popup.pin_edit)
    assert not win.message_label.isVisible()
    await to_checkout_popup(qtbot, win, vm)
    checkout = win.checkout_dialog
    qtbot.keyClick(checkout.transaction_edit, Qt.Key.Key_Return)  # no ID typed: refused
    assert checkout.message_label.text() and _below(checkout.message_label, checkout.transaction_edit)
    assert not win.message_label.isVisible()


@pytest.mark.asyncio
async def test_the_checkout_popup_lists_the_pos_discount_ids_it_confirms(qtbot, counter):
    win, vm, _transport = counter
    await to_pin_popup(qtbot, win, vm)
    await to_checkout_popup(qtbot, win, vm)
    table = win.apply_page.table
    shown = [table.item(row, 1).text() for row in range(table.rowCount())]
    assert shown and all(pos_id != "—" for pos_id in shown)
    ids = win.checkout_dialog.pos_ids_label
    assert ids.isVisible() and ids.text() == "POS discount IDs: " + ", ".join(shown)
