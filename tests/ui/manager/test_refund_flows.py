"""The Redemptions window's flows that connect: give back a whole transaction after a preview,
find a sale in the Recent list by the shopper's last 4 digits or its day, and read who and when
on the Pending tab (or a calm line when nothing waits)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import QDate

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.common.style import PALETTE, STYLE_SHEET
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import make_journal, no_sleep

CASHIER = Actor("7", "Dana Cashier")

BASE = "https://simulator.invalid"
DENVER = ZoneInfo("America/Denver")
#: 2026-11-22 00:43 UTC is 17:43 the day before in Denver: the store's day, not UTC's.
CLOCK = Clock.fixed(datetime(2026, 11, 23, 0, 43, tzinfo=UTC), zone=DENVER)
TX_COLUMN, STATE_COLUMN = 1, 6


@pytest.fixture
def sim():
    return Simulator(base_url=BASE)


@pytest.fixture
def journal(tmp_path):
    with make_journal(tmp_path, clock=CLOCK) as j:
        yield j


@pytest_asyncio.fixture
async def api(sim):
    async with httpx.AsyncClient(transport=SimulatorTransport(sim)) as http:
        yield AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))


def make_dialog(qtbot, journal, api):
    vm = PendingViewModel(journal, api, RedemptionSender(api, journal, sleep=no_sleep), CLOCK)
    dialog = PendingDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog, vm


async def checkout(api, journal, txid, ids=("101", "102", "103"), masked="***-***-4567"):
    wallet = await api.wallet(parse_phone(DEMO_PHONE))
    entries = journal.queue(txid, [d for d in wallet.discounts if d.id in ids], staff=CASHIER, shopper_masked=masked,
                            contact_id=wallet.contact_id)
    sender = RedemptionSender(api, journal, sleep=no_sleep)
    return [await sender.redeem(e) for e in entries]


def decide(qtbot, fields, reason="sale refunded"):
    fields.reason_edit.clear()
    qtbot.keyClicks(fields.reason_edit, reason)
    if not fields.manager_edit.text():
        qtbot.keyClicks(fields.manager_edit, "JD")


@pytest.mark.asyncio
async def test_the_whole_transaction_goes_back_once_after_its_preview(qtbot, journal, api, sim):
    await checkout(api, journal, "POS-1042")
    dialog, vm = make_dialog(qtbot, journal, api)
    tab = dialog.refund_tab
    dialog.tabs.setCurrentWidget(tab)
    tab.transaction_edit.setText("POS-1042")
    tab.find_button.click()
    assert tab.table.rowCount() == 3 and not tab.give_back_all_button.isEnabled()  # a reason first
    decide(qtbot, tab.fields)
    tab.give_back_all_button.click()
    assert tab.confirm.question_label.text().startswith(
        "Give back all 3 lines of POS-1042: 650 points to ***-***-4567?")
    assert sim.adjustments == []  # nothing sent before yes
    tab.confirm.yes_button.click()
    await vm.wait_idle()
    assert sorted(a.value for a in sim.adjustments) == [100, 250, 300] and sim.points_of(DEMO_PHONE) == 1500
    assert {tab.table.item(r, STATE_COLUMN).text() for r in range(3)} == {"Points given back"}
    assert dialog.message_label.text() == "Gave 650 points back for 3 lines of POS-1042."

    decide(qtbot, tab.fields, "clicked again")
    tab.give_back_all_button.click()
    await vm.wait_idle()
    assert not tab.confirm.isVisible() and len(sim.adjustments) == 3
    assert dialog.message_label.text().startswith("Nothing was sent: no line of POS-1042 has points left")


@pytest.mark.asyncio
async def test_recent_finds_a_sale_by_the_last_4_digits_or_its_day(qtbot, journal, api):
    await checkout(api, journal, "POS-1", ids=("101",))
    await checkout(api, journal, "POS-2", ids=("102",), masked="***-***-9999")
    dialog, _vm = make_dialog(qtbot, journal, api)
    tab = dialog.refund_tab
    assert tab.day_edit.text() == "last 7 days"
    tab.recent_button.click()
    assert [tab.table.item(r, TX_COLUMN).text() for r in range(tab.table.rowCount())] == ["POS-2", "POS-1"]
    qtbot.keyClicks(tab.last4_edit, "4567")
    tab.recent_button.click()
    assert [tab.table.item(r, TX_COLUMN).text() for r in range(tab.table.rowCount())] == ["POS-1"]
    tab.last4_edit.clear()
    tab.day_edit.setDate(QDate(2026, 11, 22))  # the store's day in Denver
    tab.recent_button.click()
    assert tab.table.rowCount() == 2
    tab.day_edit.setDate(QDate(2026, 11, 21))
    tab.recent_button.click()
    assert tab.table.rowCount() == 0 and "No redeemed discount at this store" in dialog.message_label.text()


@pytest.mark.asyncio
async def test_pending_rows_show_the_shopper_and_the_stores_time(qtbot, journal, api):
    wallet = await api.wallet(parse_phone(DEMO_PHONE))
    entry = journal.queue("T-5", [wallet.discounts[0]], staff=CASHIER, shopper_masked="***-***-4567",
                          contact_id=wallet.contact_id)[0]
    journal.mark_sending(entry.id)
    journal.mark_unknown(entry.id, "AIQ did not answer in time.")
    dialog, _vm = make_dialog(qtbot, journal, api)
    table = dialog.pending_tab.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[:3] == ["Time", "Transaction", "Shopper"]
    assert table.item(0, 0).text() == "2026-11-22 17:43"  # Denver, from the view model's clock
    assert table.item(0, 2).text() == "***-***-4567"


@pytest.mark.asyncio
async def test_nothing_waiting_is_said_calmly(qtbot, journal, api):
    dialog, _vm = make_dialog(qtbot, journal, api)
    tab = dialog.pending_tab
    assert tab.empty_label.isVisible() and not tab.table.isVisible()
    assert tab.empty_label.text() == "Nothing waiting. Every redemption reached AIQ."
    [rule] = re.findall(r"QLabel#pending_empty_label \{([^}]*)\}", STYLE_SHEET)
    assert PALETTE["muted"] in rule  # neutral grey: neither red (error) nor an alarm of any colour
    assert not any(PALETTE[alarm] in rule for alarm in ("error", "warning", "unsent"))
    assert dialog.tabs.tabText(0) == "&Pending (0)"
