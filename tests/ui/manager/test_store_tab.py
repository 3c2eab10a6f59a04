"""The Redemptions window's Whole store tab as a manager uses it: it is there only with a store
hub joined, lists every register's open redemptions with the register's name, says conflicts in
plain words, and a decision about another register's redemption is confirmed, sent to the hub
and shown as waiting for that register."""

from __future__ import annotations

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.store_redemptions import StoreWideViewModel
from tests.helpers.fake_aiq import CLOCK, FakeAiq
from tests.helpers.store_desk import CONFLICT, MINE, THEIRS, FakeDesk

MANAGER = Actor("m-9", "Morgan Manager")


class NoReport:
    async def redemptions_between(self, start, end):
        return []


def tab_texts(dialog):
    return [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]


def test_without_a_store_hub_the_window_is_as_it_was(qtbot, journal):
    dialog = PendingDialog(PendingViewModel(journal, FakeAiq(), None, clock=CLOCK))
    qtbot.addWidget(dialog)
    assert not any("Whole store" in t for t in tab_texts(dialog))


@pytest.mark.asyncio
async def test_every_registers_rows_and_a_decision_that_waits_for_its_register(qtbot, journal):
    desk = FakeDesk([THEIRS, MINE], [CONFLICT])
    pending = PendingViewModel(journal, FakeAiq(), None, clock=CLOCK, approving=lambda: MANAGER)
    store = pending.store_wide = StoreWideViewModel(desk, NoReport(), lambda: "Main St", CLOCK, pending,
                                                    approving=lambda: MANAGER)
    dialog = PendingDialog(pending)
    qtbot.addWidget(dialog)
    dialog.open()
    assert "&Whole store" in tab_texts(dialog)
    dialog.tabs.setCurrentWidget(dialog.store_tab)
    await store.wait_idle()
    tab = dialog.store_tab
    registers = sorted(tab.table.item(r, 0).text().split("\n")[0] for r in range(tab.table.rowCount()))
    assert registers == ["Register 1", "Register 2"]
    assert "redeemed at Register 2" in tab.conflict_table.item(0, 1).text()
    assert "while Register 1 held the claim" in tab.conflict_table.item(0, 1).text()
    own = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, 0).text().startswith("Register 2"))
    tab.table.selectRow(own)
    assert not tab.check_button.isEnabled() and "decide under Pending" in tab.table.item(own, 5).text()
    theirs = 1 - own
    tab.table.selectRow(theirs)
    assert tab.check_button.isEnabled() and not tab.mark_button.isEnabled(), "a reason first"
    tab.fields.reason_edit.setText("AIQ's report shows it")
    tab.mark_button.click()
    assert "Ask Register 1 to mark" in tab.confirm.question_label.text()
    tab.confirm.yes_button.click()
    await store.wait_idle()
    [asked] = desk.requests
    assert (asked.owner_id, asked.action, asked.approver) == ("t-1", "redeemed", MANAGER)
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, 0).text().startswith("Register 1"))
    assert "waiting for Register 1: mark redeemed" in tab.table.item(row, 5).text()
    assert "Waiting for Register 1" in dialog.message_label.text()
    tab.table.selectRow(row)
    assert not tab.mark_button.isEnabled(), "one decision at a time: it waits for its register"
    dialog.done(0)


@pytest.mark.asyncio
async def test_a_hub_away_is_said_in_the_tab(qtbot, journal):
    desk = FakeDesk()
    desk.fail = "The hub at 10.0.0.5:5432 is unreachable: timeout expired"
    pending = PendingViewModel(journal, FakeAiq(), None, clock=CLOCK)
    store = pending.store_wide = StoreWideViewModel(desk, NoReport(), lambda: "Main St", CLOCK, pending)
    dialog = PendingDialog(pending)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.tabs.setCurrentWidget(dialog.store_tab)
    await store.wait_idle()
    assert "unreachable" in dialog.store_tab.status_label.text()
    dialog.done(0)


@pytest.mark.asyncio
async def test_a_waiting_decision_is_withdrawn_or_the_manager_is_told_it_is_too_late(qtbot, journal):
    from dataclasses import replace

    waiting = replace(THEIRS, waiting_ref="abcdefghijkl", waiting_action="retry")
    other = replace(THEIRS, id=8, transaction_id="POS-1002", waiting_ref="bcdefghijklm", waiting_action="abandoned")
    desk = FakeDesk([waiting, other, MINE])
    desk.taken = {"bcdefghijklm"}  # Register 1 is carrying that one out right now
    pending = PendingViewModel(journal, FakeAiq(), None, clock=CLOCK, approving=lambda: MANAGER)
    store = pending.store_wide = StoreWideViewModel(desk, NoReport(), lambda: "Main St", CLOCK, pending,
                                                    approving=lambda: MANAGER)
    dialog = PendingDialog(pending)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.tabs.setCurrentWidget(dialog.store_tab)
    await store.wait_idle()
    tab = dialog.store_tab

    def select(txid):
        tab.table.selectRow(next(r for r in range(tab.table.rowCount()) if tab.table.item(r, 1).text() == txid))
    select(MINE.transaction_id)
    assert not tab.withdraw_button.isVisibleTo(tab), "only where a decision waits"
    select("POS-1001")
    assert tab.withdraw_button.isVisibleTo(tab) and not tab.withdraw_button.isEnabled(), "a reason first"
    tab.fields.reason_edit.setText("Register 1 was stolen")
    tab.withdraw_button.click()
    assert "If Register 1 is carrying it out right now, it is too late" in tab.confirm.question_label.text()
    tab.confirm.yes_button.click()
    await store.wait_idle()
    assert store.message[1].startswith("Withdrawn: Register 1 will not send again")
    assert "waiting for" not in tab.table.item(tab.table.currentRow(), 5).text()
    select("POS-1002")
    tab.fields.reason_edit.setText("Register 1 was stolen")
    tab.withdraw_button.click()
    tab.confirm.yes_button.click()
    await store.wait_idle()
    assert "Too late to withdraw: Register 1 is carrying it out now" in store.message[1]
    assert [r[0] for r in desk.requests] == ["withdraw", "withdraw"]
