"""The "Loyalty status / Sign up" dialog by keyboard, against the simulated AIQ over real HTTP."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from budtender_app.domain.consent import CounterInfo
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from tests.helpers import wait_for_focus

NEW_PHONE = "5554441212"


@pytest.fixture
def server():
    with SimulatorServer(Simulator(pin_source=lambda: "4321")) as srv:
        yield srv


@pytest_asyncio.fixture
async def make_dialog(qtbot, server, tmp_path):
    made = []
    consents = ConsentLog(tmp_path / "consents.sqlite3")
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        api = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))

        def make(country="US", phone_text="", can_redeem=False):
            vm = LoyaltyViewModel(api, consents, CounterInfo("Green Leaf", country, "Main St", "42", "till-1"))
            dialog = LoyaltyDialog(vm, phone_text=phone_text, can_redeem=can_redeem)
            qtbot.addWidget(dialog)
            dialog.open()
            qtbot.waitExposed(dialog)
            made.append(vm)
            return dialog, vm

        yield make
        for vm in made:
            await vm.wait_idle()
    consents.close()


def focused():
    return QApplication.focusWidget()


@pytest.mark.asyncio
async def test_status_of_a_member_by_keyboard_texts_no_pin(qtbot, make_dialog, server):
    dialog, vm = make_dialog()
    await wait_for_focus(dialog.phone_edit)
    qtbot.keyClicks(dialog.phone_edit, "(555) 123-4567")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)
    await vm.wait_idle()
    assert dialog.status_label.isVisible() and dialog.status_label.text() == "***-***-4567 is a loyalty member"
    assert server.simulator.last_pin(DEMO_PHONE) is None
    assert not dialog.form.sign_up_button.isEnabled()  # no consent ticked


@pytest.mark.asyncio
async def test_a_stranger_is_signed_up_by_keyboard_and_sees_the_welcome_gift(qtbot, make_dialog, server):
    dialog, vm = make_dialog()
    await wait_for_focus(dialog.phone_edit)
    qtbot.keyClicks(dialog.phone_edit, "555 444 1212")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)
    await vm.wait_idle()
    assert dialog.status_label.text() == "***-***-1212 is not a member yet: sign them up?"
    await wait_for_focus(dialog.form.agree_check)  # next: the consent
    assert "the Green Leaf rewards program" in dialog.form.consent_label.text()
    assert not dialog.form.sign_up_button.isEnabled()
    qtbot.keyClick(dialog.form.agree_check, Qt.Key.Key_Space)
    assert dialog.form.agree_check.isChecked() and dialog.form.sign_up_button.isEnabled()
    qtbot.keyClicks(dialog.form.edits["first_name"], "Kim")
    qtbot.keyClicks(dialog.form.edits["email"], "kim@example.com")
    qtbot.keyClick(dialog.form.edits["email"], Qt.Key.Key_Return)
    await vm.wait_idle()
    wallet_text = dialog.wallet_label.text()
    assert dialog.wallet_label.isVisible()
    assert "$5 welcome gift</b> — $5.00 off" in wallet_text and "Opened without a PIN" in wallet_text
    assert "Balance: 0 points" in wallet_text
    assert dialog.status_label.text() == "***-***-1212 is now a loyalty member"
    assert dialog.message_label.text().startswith("Signed up ***-***-1212.")
    assert server.simulator.last_pin(NEW_PHONE) is None
    assert server.simulator.requests[-2].json["firstName"] == "Kim"
    assert focused() is dialog.close_button
    assert not dialog.form.isVisible() and not dialog.form.agree_check.isChecked()
    assert dialog.form.edits["first_name"].text() == ""  # the next shopper is named by themselves


@pytest.mark.asyncio
async def test_canada_shows_club_program(make_dialog):
    dialog, _ = make_dialog(country="CA")
    text = dialog.form.consent_label.text()
    assert "the Green Leaf club program" in text and "rewards program" not in text


@pytest.mark.asyncio
async def test_sign_up_waits_for_consent_and_a_valid_phone(qtbot, make_dialog, server):
    dialog, vm = make_dialog()
    button = dialog.form.sign_up_button
    qtbot.keyClicks(dialog.phone_edit, "555 444 121")
    dialog.form.agree_check.setChecked(True)
    assert not button.isEnabled()  # nine digits
    qtbot.keyClicks(dialog.phone_edit, "2")
    assert button.isEnabled()
    dialog.form.agree_check.setChecked(False)
    assert not button.isEnabled()
    qtbot.keyClick(dialog.form.edits["last_name"], Qt.Key.Key_Return)  # Enter anyway: refused, nothing sent
    await vm.wait_idle()
    assert "The shopper agrees" in dialog.message_label.text() and server.simulator.requests == []


@pytest.mark.asyncio
async def test_bad_fields_are_marked_under_each_and_nothing_is_sent(qtbot, make_dialog, server):
    dialog, vm = make_dialog(phone_text=NEW_PHONE)
    dialog.form.agree_check.setChecked(True)
    qtbot.keyClicks(dialog.form.edits["first_name"], "Kim2")
    qtbot.keyClicks(dialog.form.edits["email"], "kim@example")
    qtbot.keyClick(dialog.form.edits["email"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await vm.wait_idle()
    assert dialog.form.error_labels["first_name"].text() == "A first name has no digits in it."
    assert "look like an email" in dialog.form.error_labels["email"].text()
    assert dialog.form.error_labels["email"].isVisible() and not dialog.form.error_labels["last_name"].isVisible()
    assert server.simulator.requests == []


@pytest.mark.asyncio
async def test_the_email_opt_in_needs_an_email_typed(qtbot, make_dialog):
    dialog, _ = make_dialog()
    assert not dialog.form.email_check.isEnabled()
    qtbot.keyClicks(dialog.form.edits["email"], "k")
    assert dialog.form.email_check.isEnabled()
    dialog.form.email_check.setChecked(True)
    dialog.form.edits["email"].clear()
    assert not dialog.form.email_check.isEnabled() and not dialog.form.email_check.isChecked()


@pytest.mark.asyncio
async def test_escape_stops_a_lookup_then_closes(qtbot, make_dialog, server):
    import asyncio

    dialog, vm = make_dialog(phone_text=DEMO_PHONE)
    server.inject("hang", path_prefix="/api/v2/loyalty/lookup")
    dialog.check_status()
    assert await asyncio.to_thread(server.wait_hanging, 1)
    assert dialog.busy_strip.isVisible() and not dialog.check_button.isEnabled()
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Escape)
    await vm.wait_idle()
    server.release()
    assert vm.busy == "" and dialog.isVisible() and dialog.check_button.isEnabled()
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


@pytest.mark.asyncio
async def test_every_interactive_widget_is_named(make_dialog):
    from PySide6.QtWidgets import QAbstractButton, QLineEdit

    dialog, _ = make_dialog()
    for widget in dialog.findChildren(QAbstractButton) + dialog.findChildren(QLineEdit):
        assert widget.objectName() and widget.accessibleName(), widget


@pytest.mark.asyncio
async def test_signing_up_an_existing_member_offers_redeem_and_shows_no_wallet(qtbot, make_dialog, server):
    from budtender_app.simulator.core import DEMO_PHONE_HIDDEN

    dialog, vm = make_dialog(phone_text=DEMO_PHONE_HIDDEN, can_redeem=True)
    dialog.form.agree_check.setChecked(True)
    dialog.form.sign_up_button.click()  # already a member: nobody is created, and no wallet without a PIN
    await vm.wait_idle()
    assert not dialog.wallet_label.isVisible() and not dialog.form.isVisible()
    assert dialog.redeem_button.isVisible() and dialog.redeem_button.hasFocus()
    assert "already a member" in vm.message[1]
    assert all(r.path != "/api/v2/loyalty" and "/wallet" not in r.path for r in server.simulator.requests)
