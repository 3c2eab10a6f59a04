"""The "Refund / void" tab: a POS transaction's redeemed lines, and giving their points back.

The view model sends the points adjustment (E10) through the journal, so a line can be given
back once only; this tab only asks, confirms inline and draws.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
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


class RefundTab(QWidget):
    """Find a transaction's redeemed discounts; give a line's points back after a refund or void."""

    COLUMNS = ("Time", "Discount", "POS ID", "Points", "Shopper", "State")

    def __init__(self, vm: PendingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        intro = QLabel(self.tr(
            "After a sale with redeemed discounts is refunded or voided in the POS, give the shopper's points "
            "back here. Each line can be given back once."), self)
        intro.setWordWrap(True)
        search = self._build_search()
        self._build_table()
        self.fields = DecisionFields("refund", self)
        self.fields.changed.connect(self._on_fields_changed)
        self.give_back_button = named(QPushButton(self.tr("&Give points back"), self), "give_back_button",
                                      "Give the points back")
        self.give_back_button.setAutoDefault(False)
        self.give_back_button.clicked.connect(self._on_give_back_button_clicked)
        self.confirm = ConfirmStrip("refund", self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.fields)
        layout.addLayout(button_row(self.give_back_button))
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

    def _build_table(self) -> None:
        self.table = named(EntryTable([self.tr(c) for c in self.COLUMNS], self), "refund_table",
                           "Redeemed discounts")
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)

    def redraw(self) -> None:
        keep = self.selected_id()
        found = self._vm.found
        self.table.setRowCount(len(found))
        for row, entry in enumerate(found):
            cells = (self._vm.when(entry.created_at), entry.discount_name, entry.pos_discount_id or "—",
                     f"{entry.points:,}", entry.shopper_masked or "—", self._vm.state_text(entry))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                if column == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.select_id([e.id for e in found], keep)
        self._on_table_item_selection_changed()

    def selected_id(self) -> int | None:
        """The id of the selected redeemed line, or None."""
        return self.table.selected_id()

    def _update_buttons(self) -> None:
        entry = find_by_id(self._vm.found, self.selected_id())
        self.give_back_button.setEnabled(
            entry is not None and self._vm.can_give_back(entry) and self.fields.complete() and not self._vm.busy)

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
