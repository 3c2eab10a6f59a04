"""The "Refund / void" tab: a POS transaction's redeemed lines (by its ID, or from the Recent
list by the shopper's last 4 digits or a day), and giving their points back, a line or the
whole transaction at once.

The view model sends the points adjustment (E10) through the journal, so a line can be given
back once only; this tab only asks (with a preview of the points), confirms inline and draws.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from budtender_app.ui.common.dialog import button_row
from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.decision_widgets import ConfirmStrip, DecisionFields, EntryTable, find_by_id
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.refund_plan import RECENT_DAYS


class RefundTab(QWidget):
    """Find a transaction's redeemed discounts; give a line's points back after a refund or void."""

    COLUMNS = ("Time", "Transaction", "Discount", "POS ID", "Points", "Shopper", "State")
    POINTS = 4

    def __init__(self, vm: PendingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        intro = QLabel(self.tr(
            "After a sale with redeemed discounts is refunded or voided in the POS, give the shopper's points "
            "back here: one line, or the whole transaction. Each line can be given back once."), self)
        intro.setWordWrap(True)
        search = self._build_search()
        recent = self._build_recent()
        self._build_table()
        self.fields = DecisionFields("refund", self, approved_by=vm.approver_name() if vm.approving else None)
        self.fields.changed.connect(self._on_fields_changed)
        self.give_back_button = named(QPushButton(self.tr("&Give points back"), self), "give_back_button",
                                      "Give the points back")
        self.give_back_button.setAutoDefault(False)
        self.give_back_button.clicked.connect(self._on_give_back_button_clicked)
        self.give_back_all_button = named(QPushButton(self.tr("Give back the &whole transaction"), self),
                                          "give_back_all_button", "Give back every line of the transaction")
        self.give_back_all_button.setAutoDefault(False)
        self.give_back_all_button.clicked.connect(self._on_give_back_all_button_clicked)
        self.confirm = ConfirmStrip("refund", self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(search)
        layout.addLayout(recent)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.fields)
        layout.addLayout(button_row(self.give_back_all_button, self.give_back_button))
        layout.addWidget(self.confirm)
        vm.found_changed.connect(self.redraw)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        self.redraw()

    def _build_search(self) -> QHBoxLayout:
        self.transaction_edit = named(QLineEdit(self), "refund_transaction_edit", "POS transaction ID")
        # No widget limit: checkout's rule (domain.redemption.parse_transaction_id, at most
        # MAX_TRANSACTION_ID characters) is the one limit, and the view model applies it here too.
        # A smaller one here made the longest sales impossible to refund; any limit would cut a
        # pasted ID short without a word.
        self.transaction_edit.setPlaceholderText(self.tr("as printed on the POS receipt"))
        self.transaction_edit.returnPressed.connect(self._on_find_button_clicked)
        caption = QLabel(self.tr("POS &transaction ID:"), self)
        caption.setBuddy(self.transaction_edit)
        self.find_button = named(QPushButton(self.tr("&Find"), self), "refund_find_button", "Find the transaction")
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(self._on_find_button_clicked)
        search = QHBoxLayout()
        search.addWidget(caption)
        search.addWidget(self.transaction_edit, 1)
        search.addWidget(self.find_button)
        return search

    def _build_recent(self) -> QHBoxLayout:
        self.last4_edit = named(QLineEdit(self), "refund_last4_edit", "Last 4 digits of the shopper's phone")
        self.last4_edit.setMaxLength(4)
        self.last4_edit.setMaximumWidth(90)
        self.last4_edit.setPlaceholderText(self.tr("any"))
        self.last4_edit.returnPressed.connect(self._on_recent_button_clicked)
        last4_caption = QLabel(self.tr("Recent: shopper's phone ends in (&4 digits):"), self)
        last4_caption.setBuddy(self.last4_edit)
        self.day_edit = named(QDateEdit(self), "refund_day_edit", "Day of the sale")
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("yyyy-MM-dd")
        today = self._vm.today()
        # The earliest date stands for "no day": the last RECENT_DAYS days (Qt's special value).
        self.day_edit.setDateRange(_qdate(today - timedelta(days=366)), _qdate(today))
        self.day_edit.setSpecialValueText(self.tr("last {n} days").format(n=RECENT_DAYS))
        self.day_edit.setDate(self.day_edit.minimumDate())
        self.day_edit.setMinimumWidth(150)
        day_caption = QLabel(self.tr("&Day:"), self)
        day_caption.setBuddy(self.day_edit)
        self.recent_button = named(QPushButton(self.tr("Sh&ow recent"), self), "refund_recent_button",
                                   "Show recent redeemed transactions")
        self.recent_button.setAutoDefault(False)
        self.recent_button.clicked.connect(self._on_recent_button_clicked)
        recent = QHBoxLayout()
        for widget in (last4_caption, self.last4_edit, day_caption, self.day_edit):
            recent.addWidget(widget)
        recent.addStretch(1)
        recent.addWidget(self.recent_button)
        return recent

    def recent_day(self) -> date | None:
        """The day chosen for Recent, or None for the last days."""
        if self.day_edit.date() == self.day_edit.minimumDate():
            return None
        return _day(self.day_edit.date())

    def _build_table(self) -> None:
        self.table = named(EntryTable([self.tr(c) for c in self.COLUMNS], self), "refund_table",
                           "Redeemed discounts")
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)

    def redraw(self) -> None:
        keep = self.selected_id()
        found = self._vm.found
        self.table.setRowCount(len(found))
        for row, entry in enumerate(found):
            cells = (self._vm.when(entry.created_at), entry.transaction_id, entry.discount_name,
                     entry.pos_discount_id or "—", f"{entry.points:,}", entry.shopper_masked or "—",
                     self._vm.state_text(entry))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                if column == self.POINTS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.select_id([e.id for e in found], keep)
        self._on_table_item_selection_changed()

    def selected_id(self) -> int | None:
        """The id of the selected redeemed line, or None."""
        return self.table.selected_id()

    def _update_buttons(self) -> None:
        entry = find_by_id(self._vm.found, self.selected_id())
        ready = entry is not None and self.fields.complete() and not self._vm.busy
        self.give_back_button.setEnabled(ready and entry is not None and self._vm.can_give_back(entry))
        self.give_back_all_button.setEnabled(ready)  # the preview says what it would give back, or nothing

    def _on_vm_busy_changed(self, _text: str) -> None:
        self._update_buttons()

    def _on_table_item_selection_changed(self) -> None:
        self.confirm.cancel()
        self._update_buttons()

    def _on_fields_changed(self) -> None:
        self.confirm.cancel()
        self._update_buttons()

    def _on_find_button_clicked(self) -> None:
        self._vm.find_redeemed(self.transaction_edit.text())
        if self._vm.found:
            self.table.setFocus()

    def _on_recent_button_clicked(self) -> None:
        self._vm.find_recent(self.last4_edit.text(), self.recent_day())
        if self._vm.found:
            self.table.setFocus()

    def _on_give_back_all_button_clicked(self) -> None:
        entry = find_by_id(self._vm.found, self.selected_id())
        if entry is None:
            return
        plan = self._vm.refund_plan(entry.transaction_id)
        if not plan.to_give:  # nothing to confirm: the view model says why and sends nothing
            self._vm.start_reverse_all(plan.transaction_id, self.fields.reason, self.fields.manager)
            return
        self.confirm.ask(self._vm.words.whole_refund_question(plan), self.tr("&Yes, give them all back"),
                         lambda: self._give_back_all(plan.transaction_id))

    def _give_back_all(self, transaction_id: str) -> None:
        reason, manager = self.fields.reason, self.fields.manager
        self.fields.clear_reason()
        self._vm.start_reverse_all(transaction_id, reason, manager)

    def _on_give_back_button_clicked(self) -> None:
        entry = find_by_id(self._vm.found, self.selected_id())
        if entry is None:
            return
        question = self.tr(
            "Give {points:,} points back to {shopper} for '{name}' (transaction {tx})? Only when the sale was "
            "refunded or voided in the POS.").format(
            points=entry.points, shopper=entry.shopper_masked or self.tr("the shopper"), name=entry.discount_name,
            tx=entry.transaction_id)
        self.confirm.ask(question, self.tr("&Yes, give them back"), lambda: self._give_back(entry.id))

    def _give_back(self, entry_id: int) -> None:
        reason, manager = self.fields.reason, self.fields.manager
        self.fields.clear_reason()
        self._vm.start_reverse(entry_id, reason, manager)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(shown: QDate) -> date:
    return date(shown.year(), shown.month(), shown.day())
