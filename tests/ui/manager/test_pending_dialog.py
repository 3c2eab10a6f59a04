"""The manager's Redemptions window as a manager uses it: read the states, decide with a reason,
confirm inline, give points back, export for the auditors."""

from __future__ import annotations

import csv
import sqlite3
from contextlib import closing
from datetime import datetime

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt

from budtender_app.domain.actor import Actor
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.journal import State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import await_signal, no_sleep

CASHIER = Actor("7", "Dana Cashier")

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"export with a broken audit chain")

BASE = "https://simulator.invalid"
SHOPPER, DISCOUNT, POINTS, STATE = 2, 3, 4, 5
REFUND_TX, REFUND_STATE = 1, 6


@pytest.fixture
def sim():
    return Simulator(base_url=BASE)


@pytest_asyncio.fixture
async def api(sim):
    async with httpx.AsyncClient(transport=SimulatorTransport(sim)) as http:
        yield AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))


async def discounts(api):
    wallet = await api.wallet(parse_phone(DEMO_PHONE))
    return wallet.contact_id, {d.id: d for d in wallet.discounts}


def queue(journal, txid, discount, contact_id="C1001"):
    return journal.queue(txid, [discount], staff=CASHIER, shopper_masked="***-***-4567", contact_id=contact_id)[0]


def unknown_and_unsent(journal, found):
    """One line sent without an answer, one never sent (AIQ was unreachable)."""
    lost = queue(journal, "T-1", found["102"])
    journal.mark_sending(lost.id)
    journal.mark_unknown(lost.id, "AIQ did not answer in time.")
    unsent = queue(journal, "T-2", found["103"])
    journal.mark_sending(unsent.id)
    journal.mark_not_sent(unsent.id, "Cannot reach AIQ.")
    return lost, unsent


def make_dialog(qtbot, journal, api):
    vm = PendingViewModel(journal, api, RedemptionSender(api, journal, sleep=no_sleep))
    dialog = PendingDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog, vm


def type_decision(qtbot, fields, reason="AIQ's report shows it", manager="JD"):
    fields.reason_edit.clear()
    fields.manager_edit.clear()
    qtbot.keyClicks(fields.reason_edit, reason)
    qtbot.keyClicks(fields.manager_edit, manager)


def cell(table, row, column):
    return table.item(row, column).text()


@pytest.mark.asyncio
async def test_the_table_says_each_state_in_words(qtbot, journal, api):
    _lost, _unsent = unknown_and_unsent(journal, (await discounts(api))[1])
    dialog, _vm = make_dialog(qtbot, journal, api)
    tab = dialog.pending_tab
    assert dialog.tabs.tabText(0) == "&Pending (2)"
    assert [cell(tab.table, r, 1) for r in range(2)] == ["T-1", "T-2"]
    assert cell(tab.table, 0, STATE) == "No answer from AIQ — points may have been taken"
    assert cell(tab.table, 1, STATE) == "Not sent yet — AIQ was unreachable"
    assert tab.table.columnCount() == 6 and tab.aiq_label.text() == "What happened: AIQ did not answer in time."
    assert cell(tab.table, 0, DISCOUNT) == "$10 off your order\nPOS-10OFF" and cell(tab.table, 0, POINTS) == "250"
    assert tab.check_label.text() == "Not checked yet: press Check with AIQ before deciding."
    tab.table.selectRow(1)
    assert tab.check_label.text().startswith("This never reached AIQ, so no points were taken")
    type_decision(qtbot, tab.fields)
    assert not tab.mark_button.isEnabled()  # never reached AIQ: it cannot have been redeemed
    assert tab.retry_button.isEnabled() and tab.abandon_button.isEnabled()


@pytest.mark.asyncio
async def test_decisions_stay_disabled_until_a_reason_and_initials_are_typed(qtbot, journal, api):
    unknown_and_unsent(journal, (await discounts(api))[1])
    dialog, _vm = make_dialog(qtbot, journal, api)
    tab = dialog.pending_tab
    decisions = (tab.retry_button, tab.mark_button, tab.abandon_button)
    assert tab.check_button.isEnabled()
    assert not any(b.isEnabled() for b in decisions)
    qtbot.keyClicks(tab.fields.reason_edit, "report shows it")
    assert not any(b.isEnabled() for b in decisions)
    qtbot.keyClicks(tab.fields.manager_edit, "JD")
    assert all(b.isEnabled() for b in decisions)
    tab.fields.reason_edit.setText("   ")
    assert not any(b.isEnabled() for b in decisions)
    for widget in (tab.table, tab.fields.reason_edit, tab.fields.manager_edit, *decisions, tab.check_button,
                   tab.confirm.yes_button, tab.confirm.no_button, dialog.close_button):
        assert widget.objectName() and widget.accessibleName()


@pytest.mark.asyncio
async def test_abandon_asks_inline_and_esc_takes_the_question_back(qtbot, journal, api):
    lost, _unsent = unknown_and_unsent(journal, (await discounts(api))[1])
    dialog, _vm = make_dialog(qtbot, journal, api)
    tab = dialog.pending_tab
    type_decision(qtbot, tab.fields, reason="sale voided before AIQ answered")
    tab.abandon_button.click()
    assert tab.confirm.isVisible()
    assert "Abandon '$10 off your order' (transaction T-1)?" in tab.confirm.question_label.text()
    assert journal.get(lost.id).state is State.UNKNOWN  # nothing until confirmed
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not tab.confirm.isVisible() and dialog.isVisible()
    assert journal.get(lost.id).state is State.UNKNOWN

    tab.abandon_button.click()
    tab.confirm.yes_button.click()
    assert journal.get(lost.id).state is State.ABANDONED
    assert journal.audit.rows()[-1].detail == "abandoned by JD: sale voided before AIQ answered"
    assert tab.table.rowCount() == 1 and dialog.tabs.tabText(0) == "&Pending (1)"
    assert tab.fields.reason == "" and tab.fields.manager == "JD"  # the next decision needs its own reason
    assert dialog.message_label.text() == "Abandoned: '$10 off your order' on transaction T-1 will not be sent."


@pytest.mark.asyncio
async def test_check_then_send_again_redeems_once(qtbot, journal, api, sim):
    contact, found = await discounts(api)
    entry = queue(journal, "T-5", found["102"], contact)
    journal.mark_sending(entry.id)
    journal.mark_unknown(entry.id, "AIQ did not answer in time.")  # and it never got there
    dialog, vm = make_dialog(qtbot, journal, api)
    tab = dialog.pending_tab
    tab.check_button.click()
    entry_id, text = await await_signal(vm.check_result)
    assert entry_id == entry.id and tab.check_label.text() == text
    assert text.startswith("AIQ's report shows no redemption of this discount on transaction T-5")

    type_decision(qtbot, tab.fields, reason="not in AIQ's report")
    tab.retry_button.click()
    assert "Send '$10 off your order' (transaction T-5, 250 points) to AIQ again?" in tab.confirm.question_label.text()
    seen = []
    vm.busy_changed.connect(lambda text: seen.append((text, dialog.busy_strip.isVisible())))
    tab.confirm.yes_button.click()
    await vm.wait_idle()
    assert seen[0][0].startswith("Sending '$10 off your order' of transaction T-5") and seen[0][1]
    assert seen[-1] == ("", False)
    assert journal.get(entry.id).state is State.REDEEMED
    assert [r.transaction_id for r in sim.redemptions] == ["T-5"]
    assert tab.empty_label.isVisible() and dialog.tabs.tabText(0) == "&Pending (0)"
    assert dialog.message_label.text().startswith("Redeemed at AIQ: '$10 off your order' on transaction T-5")


@pytest.mark.asyncio
async def test_a_redemption_aiq_reports_cannot_be_sent_again(qtbot, journal, api, sim):
    contact, found = await discounts(api)
    entry = queue(journal, "T-6", found["102"], contact)
    await api.redeem(entry.redemption_url, "T-6")
    journal.mark_sending(entry.id)
    journal.mark_unknown(entry.id, "AIQ did not answer in time.")
    dialog, vm = make_dialog(qtbot, journal, api)
    tab = dialog.pending_tab
    type_decision(qtbot, tab.fields)
    tab.check_button.click()
    await await_signal(vm.check_result)
    assert "Do not send it again" in tab.check_label.text()
    assert not tab.retry_button.isEnabled() and tab.mark_button.isEnabled()


@pytest.mark.asyncio
async def test_the_refund_tab_gives_points_back_once(qtbot, journal, api, sim):
    contact, found = await discounts(api)
    await RedemptionSender(api, journal).redeem(queue(journal, "T-9", found["102"], contact))
    dialog, vm = make_dialog(qtbot, journal, api)
    dialog.tabs.setCurrentWidget(dialog.refund_tab)
    tab = dialog.refund_tab
    qtbot.keyClicks(tab.transaction_edit, "T-9")
    qtbot.keyClick(tab.transaction_edit, Qt.Key.Key_Return)
    assert tab.table.rowCount() == 1 and tab.table.item(0, REFUND_STATE).text() == "Redeemed"
    assert not tab.give_back_button.isEnabled()
    type_decision(qtbot, tab.fields, reason="sale refunded")
    tab.give_back_button.click()
    assert tab.confirm.question_label.text().startswith("Give 250 points back to ***-***-4567 for '$10 off your order'")
    tab.confirm.yes_button.click()
    await vm.wait_idle()
    assert sim.points_of(DEMO_PHONE) == 1500 and len(sim.adjustments) == 1
    assert tab.table.item(0, REFUND_STATE).text() == "Points given back"
    type_decision(qtbot, tab.fields, reason="again")
    assert not tab.give_back_button.isEnabled()


@pytest.mark.asyncio
async def test_export_writes_the_file_and_says_when_the_trail_was_altered(qtbot, journal, api, tmp_path):
    unknown_and_unsent(journal, (await discounts(api))[1])
    dialog, _vm = make_dialog(qtbot, journal, api)
    dialog.tabs.setCurrentWidget(dialog.export_tab)
    tab = dialog.export_tab
    target = tmp_path / "audit.csv"
    tab.path_edit.setText(str(target))
    tab.export_button.click()
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(journal.audit.rows()) == 6
    assert tab.result_label.text() == "Last export: 6 events, audit trail intact."
    assert "its hash chain is unbroken" in dialog.message_label.text()

    with closing(sqlite3.connect(journal.path)) as db, db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id = 2")
    tab.export_button.click()
    tab.confirm.yes_button.click()  # the same file again: asked first (see test_export_overwrite.py)
    assert tab.result_label.text() == "Last export: 5 events, audit trail ALTERED: tell the auditor."
    assert "the audit trail has been altered at row 3" in dialog.message_label.text()
    assert tab.since_edit.date().toPython() == datetime.now().astimezone().date().replace(day=1)


@pytest.mark.asyncio
async def test_browse_opens_a_save_dialog_without_blocking(qtbot, journal, api, tmp_path):
    dialog, _vm = make_dialog(qtbot, journal, api)
    tab = dialog.export_tab
    tab.browse_button.click()  # open(), not exec(): we get here while it is showing
    assert tab.file_dialog is not None and tab.file_dialog.isVisible()
    tab.file_dialog.fileSelected.emit(str(tmp_path / "chosen.csv"))
    tab.file_dialog.done(0)
    assert tab.path_edit.text() == str(tmp_path / "chosen.csv")


@pytest.mark.asyncio
async def test_the_longest_transaction_id_checkout_takes_can_be_refunded(qtbot, journal, api, sim):
    """Checkout took 128 characters while the Refund / void field held 64: that sale's points were stuck."""
    from budtender_app.domain.flow import Step
    from budtender_app.domain.redemption import MAX_TRANSACTION_ID
    from budtender_app.viewmodels.redemption import RedemptionViewModel
    from tests.helpers import wait_for_step

    txid = "POS-" + "".join(f"{n % 10}" for n in range(MAX_TRANSACTION_ID - 5)) + "Z"
    assert len(txid) == MAX_TRANSACTION_ID == 128
    texted = []
    sim.on_pin_sent = lambda _phone, pin: texted.append(pin)
    counter = RedemptionViewModel(api, journal)
    counter.set_cart_text("42")
    counter.start()
    counter.submit_phone(DEMO_PHONE)
    await wait_for_step(counter, Step.PIN)
    counter.submit_pin(texted[-1])
    await wait_for_step(counter, Step.WALLET)
    counter.toggle(next(o.discount.id for o in counter.offers if o.discount.points == 250))
    counter.apply_selection()
    counter.start_checkout()
    counter.confirm_checkout(txid)
    await wait_for_step(counter, Step.DONE)
    assert [r.transaction_id for r in sim.redemptions] == [txid]

    dialog, vm = make_dialog(qtbot, journal, api)
    dialog.tabs.setCurrentWidget(dialog.refund_tab)
    tab = dialog.refund_tab
    qtbot.keyClicks(tab.transaction_edit, txid)
    assert tab.transaction_edit.text() == txid
    qtbot.keyClick(tab.transaction_edit, Qt.Key.Key_Return)
    assert tab.table.rowCount() == 1 and tab.table.item(0, REFUND_STATE).text() == "Redeemed"
    type_decision(qtbot, tab.fields, reason="sale refunded")
    tab.give_back_button.click()
    tab.confirm.yes_button.click()
    await vm.wait_idle()
    assert tab.table.item(0, REFUND_STATE).text() == "Points given back" and len(sim.adjustments) == 1


@pytest.mark.asyncio
async def test_a_transaction_id_no_checkout_could_take_is_refused_with_its_rule(qtbot, journal, api):
    from budtender_app.domain.redemption import MAX_TRANSACTION_ID

    dialog, vm = make_dialog(qtbot, journal, api)
    tab = dialog.refund_tab
    qtbot.keyClicks(tab.transaction_edit, "T" * (MAX_TRANSACTION_ID + 1))
    assert tab.transaction_edit.text() == "T" * (MAX_TRANSACTION_ID + 1), "nothing is cut off without a word"
    qtbot.keyClick(tab.transaction_edit, Qt.Key.Key_Return)
    assert vm.message == ("error", "A transaction ID has at most 128 characters.")
    assert tab.table.rowCount() == 0
