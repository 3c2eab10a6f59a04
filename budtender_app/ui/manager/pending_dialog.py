"""The manager's "Redemptions" window: open redemptions, refunds and voids, the auditors' export.

Thin: every rule and every word about money lives in PendingViewModel. Opened with open(), never
exec(); the view model runs (and keeps) the async work, so closing this window never drops a
send in flight. Each decision is confirmed inline (ConfirmStrip), never with a static box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_SIZE, AppDialog, button_row
from budtender_app.ui.common.style import DIALOG_MAX_WIDTH, UNSENT_COLOR, UNSURE_COLOR
from budtender_app.ui.common.widgets import BusyStrip, MessageLabel, named
from budtender_app.ui.manager.decision_widgets import ConfirmStrip, DecisionFields, EntryTable, find_by_id
from budtender_app.ui.manager.export_tab import ExportTab
from budtender_app.ui.manager.refund_tab import RefundTab
from budtender_app.ui.manager.report_tab import ReportTab
from budtender_app.ui.manager.sales_sent_tab import SalesSentTab
from budtender_app.viewmodels.pending import ABANDONED, CHECK, REDEEMED, RETRY, REVERSED, PendingViewModel

if TYPE_CHECKING:
    from budtender_app.viewmodels.store_redemptions import StoreWideViewModel

#: How loud AIQ's report on a redemption is shown: red when it settles nothing.
CHECK_LEVELS = {"found": Level.INFO, "absent": Level.INFO, "unclear": Level.ERROR, "error": Level.ERROR}


class PendingTab(QWidget):
    """Unknown and unsent redemptions, AIQ's report on the selected one, and the decisions."""

    # The POS ID goes under the discount's name, and AIQ's message under the table for the selected
    # line: as columns they squeezed the state into a word per line at 1024 px.
    COLUMNS = ("Time", "Transaction", "Shopper", "Discount / POS ID", "Points", "State")
    DISCOUNT, POINTS, STATE = 3, 4, 5

    def __init__(self, vm: PendingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        intro = QLabel(self.tr(
            "Redemptions that did not finish. Check with AIQ first, then decide. Every decision needs a "
            "reason: it goes on the audit trail with who decided."), self)
        intro.setWordWrap(True)
        # Calm, not an alarm: nothing is wrong (style.py draws it in the neutral muted grey).
        self.empty_label = QLabel(self.tr("Nothing waiting. Every redemption reached AIQ."), self)
        self.empty_label.setObjectName("pending_empty_label")
        self._build_table()
        self.aiq_label = named(QLabel(self), "pending_aiq_message_label", "AIQ's message on the selected line")
        self.aiq_label.setWordWrap(True)
        self.aiq_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_label = MessageLabel("pending_check_label", self)
        self.fields = DecisionFields("pending", self, approved_by=vm.approver_name() if vm.approving else None)
        self.fields.changed.connect(self._on_fields_changed)
        buttons = self._build_buttons()
        self.confirm = ConfirmStrip("pending", self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.empty_label, 1, Qt.AlignmentFlag.AlignTop)  # holds the table's room when empty
        layout.addWidget(self.table, 1)
        layout.addWidget(self.aiq_label)
        layout.addWidget(self.check_label)
        layout.addWidget(self.fields)
        layout.addLayout(buttons)
        layout.addWidget(self.confirm)
        vm.entries_changed.connect(self.redraw)
        vm.check_result.connect(self._on_vm_check_result)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        self.redraw()

    def _build_table(self) -> None:
        self.table = named(EntryTable([self.tr(c) for c in self.COLUMNS], self), "pending_table",
                           "Pending redemptions")
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.DISCOUNT, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(self.DISCOUNT, 180)  # a longer name wraps
        header.setSectionResizeMode(self.STATE, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)
        header.sectionResized.connect(self._on_header_section_resized)

    def _build_buttons(self) -> QHBoxLayout:
        self.check_button = self._button(self.tr("&Check with AIQ"), "check_button", "Check AIQ's redemption report")
        self.retry_button = self._button(self.tr("&Send again"), "retry_button", "Send the redemption again")
        self.mark_button = self._button(self.tr("&Mark redeemed"), "mark_redeemed_button", "Mark as redeemed")
        self.abandon_button = self._button(self.tr("A&bandon"), "abandon_button", "Abandon the redemption")
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.mark_button.clicked.connect(self._on_mark_button_clicked)
        self.abandon_button.clicked.connect(self._on_abandon_button_clicked)
        return button_row(self.retry_button, self.mark_button, self.abandon_button, left=[self.check_button])

    def _button(self, text: str, object_name: str, accessible: str) -> QPushButton:
        button = named(QPushButton(text, self), object_name, accessible)
        button.setAutoDefault(False)  # Enter never fires an action by accident; each one confirms
        return button

    # -- drawing -------------------------------------------------------------------------------

    def redraw(self) -> None:
        keep = self.selected_id()
        entries = self._vm.entries
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            unsure = bool({REDEEMED, REVERSED} & self._vm.allowed_actions(entry))
            discount = "\n".join(t for t in (entry.discount_name, entry.pos_discount_id) if t)
            cells = (self._vm.when(entry.created_at), entry.transaction_id, entry.shopper_masked or "—",
                     discount, f"{entry.points:,}", self._vm.state_text(entry))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                item.setToolTip(text)
                if column == self.POINTS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == self.STATE:
                    item.setForeground(UNSURE_COLOR if unsure else UNSENT_COLOR)  # red: points may have moved
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self.empty_label.setVisible(not entries)
        self.table.setVisible(bool(entries))
        self.table.select_id([e.id for e in entries], keep)
        self._on_table_item_selection_changed()

    def selected_id(self) -> int | None:
        """The id of the selected redemption, or None."""
        return self.table.selected_id()

    def _update_buttons(self) -> None:
        entry = find_by_id(self._vm.entries, self.selected_id())
        allowed = self._vm.allowed_actions(entry) if entry is not None and not self._vm.busy else frozenset()
        decided = self.fields.complete()
        refund = entry is not None and self._vm.is_refund(entry)
        self.mark_button.setText(self.tr("&Mark points given back") if refund else self.tr("&Mark redeemed"))
        self.check_button.setEnabled(CHECK in allowed)
        self.retry_button.setEnabled(RETRY in allowed and decided)
        self.mark_button.setEnabled(bool({REDEEMED, REVERSED} & allowed) and decided)
        self.abandon_button.setEnabled(ABANDONED in allowed and decided)

    def _show_check(self) -> None:
        entry_id = self.selected_id()
        kind, text = self._vm.checks.get(entry_id, ("", "")) if entry_id is not None else ("", "")
        entry = find_by_id(self._vm.entries, entry_id)
        said = entry.message if entry is not None else ""
        self.aiq_label.setText(self.tr("What happened: {message}").format(message=said) if said else "")
        self.aiq_label.setVisible(bool(said))
        if not text and entry is not None:
            self.check_label.show_message(Level.CLEAR, self._vm.hint(entry))
            return
        self.check_label.show_message(CHECK_LEVELS.get(kind, Level.CLEAR), text)

    # -- from the view model -------------------------------------------------------------------

    def _on_header_section_resized(self, _index: int, _old: int, _new: int) -> None:
        self.table.resizeRowsToContents()  # wrapped names and states stay whole

    def _on_vm_check_result(self, entry_id: int, _text: str) -> None:
        if entry_id == self.selected_id():
            self._show_check()
            self._update_buttons()  # "AIQ's report shows it" takes Send again away

    def _on_vm_busy_changed(self, _text: str) -> None:
        self._update_buttons()

    # -- from the manager ----------------------------------------------------------------------

    def _on_table_item_selection_changed(self) -> None:
        self.confirm.cancel()  # a question about another line must not be answered for this one
        self._show_check()
        self._update_buttons()

    def _on_fields_changed(self) -> None:
        self.confirm.cancel()
        self._update_buttons()

    def _on_check_button_clicked(self) -> None:
        entry_id = self.selected_id()
        if entry_id is not None:
            self._vm.start_check(entry_id)

    def _on_retry_button_clicked(self) -> None:
        entry = find_by_id(self._vm.entries, self.selected_id())
        if entry is None:
            return
        words = {"name": entry.discount_name, "tx": entry.transaction_id, "points": entry.points}
        if self._vm.is_refund(entry):
            question = self.tr("Send giving back {points:,} points for '{name}' (transaction {tx}) to AIQ again? "
                               "If the first try reached AIQ, the shopper gets them twice.").format(**words)
        elif REDEEMED in self._vm.allowed_actions(entry):
            question = self.tr("Send '{name}' (transaction {tx}, {points:,} points) to AIQ again? If the first "
                               "try reached AIQ, the points are taken twice: check with AIQ first.").format(**words)
        else:
            question = self.tr("Send '{name}' (transaction {tx}, {points:,} points) to AIQ now?").format(**words)
        self._ask(question, self.tr("&Yes, send it"), lambda: self._vm.start_retry(entry.id, *self._decision()))

    def _on_mark_button_clicked(self) -> None:
        entry = find_by_id(self._vm.entries, self.selected_id())
        if entry is None:
            return
        words = {"name": entry.discount_name, "tx": entry.transaction_id, "points": entry.points}
        if self._vm.is_refund(entry):
            action, yes = REVERSED, self.tr("&Yes, the points are back")
            question = self.tr("Mark the {points:,} points for '{name}' (transaction {tx}) as given back? Only "
                               "when the shopper's balance in AIQ shows them.").format(**words)
        else:
            action, yes = REDEEMED, self.tr("&Yes, mark redeemed")
            question = self.tr("Mark '{name}' (transaction {tx}) as redeemed, {points:,} points taken? Only when "
                               "AIQ's report or dashboard shows it.").format(**words)
        self._ask(question, yes, lambda: self._vm.resolve(entry.id, action, *self._decision()))

    def _on_abandon_button_clicked(self) -> None:
        entry = find_by_id(self._vm.entries, self.selected_id())
        if entry is None:
            return
        words = {"name": entry.discount_name, "tx": entry.transaction_id, "points": entry.points}
        if self._vm.is_refund(entry):
            question = self.tr("Stop giving back the {points:,} points for '{name}' (transaction {tx})? They stay "
                               "taken.").format(**words)
        else:
            question = self.tr("Abandon '{name}' (transaction {tx})? It will never be sent. Do this only when "
                               "AIQ's report does not show it, or the sale was voided.").format(**words)
        self._ask(question, self.tr("&Yes, abandon"), lambda: self._vm.resolve(entry.id, ABANDONED, *self._decision()))

    def _decision(self) -> tuple[str, str]:
        reason, manager = self.fields.reason, self.fields.manager
        self.fields.clear_reason()
        return reason, manager

    def _ask(self, question: str, yes: str, on_yes: Callable[[], None]) -> None:
        self.confirm.ask(question, yes, on_yes)


class PendingDialog(AppDialog):
    """"Redemptions (manager)": three tabs over one PendingViewModel."""

    def __init__(self, vm: PendingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, "pending_dialog", "pending_message_label")
        self._vm = vm
        self.setWindowTitle(self.tr("Redemptions (manager)"))
        vm.refresh()
        # The tab widget (and its tab bar) first: Tab follows creation order, so it reaches the
        # tab bar before the tab's fields, as the eye reads them (tests/ui/test_keyboard_reach.py).
        self._build_tabs(vm)
        self.busy_strip = BusyStrip(self)
        self.close_button = self.button(self.tr("Close"), "pending_close_button", "Close")
        self.close_button.clicked.connect(self._on_close_button_clicked)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message_label, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.busy_strip)
        layout.addLayout(bottom)
        # Fits a 1024x768 screen whole (the AIQ message column wraps rather than widening it).
        self.setMinimumSize(DIALOG_MIN_SIZE)
        self.resize(DIALOG_MAX_WIDTH, DIALOG_MIN_SIZE.height())
        vm.message_changed.connect(self.message_label.show_message)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        vm.pending_changed.connect(self._on_vm_pending_changed)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.message_label.show_message(Level.CLEAR, "")
        self._on_vm_pending_changed(len(vm.entries))
        self._on_vm_busy_changed(vm.busy)
        self.pending_tab.table.setFocus()

    def _build_tabs(self, vm: PendingViewModel) -> None:
        self.tabs = named(QTabWidget(self), "pending_tabs", "Redemption tasks")
        self.pending_tab = PendingTab(vm, self)
        self.refund_tab = RefundTab(vm, self)
        self.export_tab = ExportTab(vm, self)
        self.tabs.addTab(self.pending_tab, "")
        self.tabs.addTab(self.refund_tab, self.tr("&Refund / void"))
        self.tabs.addTab(self.export_tab, self.tr("&Export for auditors"))
        self.report_tab = ReportTab(vm.shift_report, self, hub=vm.hub_reports)
        self.tabs.addTab(self.report_tab, self.tr("S&hift report"))
        self._strips = [self.pending_tab.confirm, self.refund_tab.confirm, self.export_tab.confirm]
        if vm.store_wide is not None:  # a store hub is joined: every register's open redemptions too
            self._add_store_tab(vm.store_wide)
        self.import_tab = self._add_import_tab(vm)
        self._add_sales_sent_tab(vm)

    def _add_store_tab(self, store: StoreWideViewModel) -> None:
        from budtender_app.ui.manager.store_tab import StoreTab

        self.store_tab = StoreTab(store, self)
        self.tabs.insertTab(1, self.store_tab, self.tr("&Whole store"))
        self._strips.append(self.store_tab.confirm)
        store.message_changed.connect(self.message_label.show_message)
        store.busy_changed.connect(self._on_vm_busy_changed)

    def _add_sales_sent_tab(self, vm: PendingViewModel) -> None:
        """"Sent to AIQ" (the store's sales feed, issue 16) when the app wired the feed."""
        if vm.sales_sent is not None:
            self.tabs.addTab(SalesSentTab(vm.sales_sent, self, imports=vm.imports_sent), self.tr("Sent to AI&Q"))

    def _add_import_tab(self, vm: PendingViewModel) -> QWidget | None:
        """"Import files" (a POS's CSV into AIQ's feeds) when the app gave one; closing cancels it."""
        if vm.feed_import is None:
            return None
        from budtender_app.ui.manager.feed_import_tab import FeedImportTab

        tab = FeedImportTab(vm.feed_import, self)
        self.tabs.addTab(tab, self.tr("&Import files"))
        self.finished.connect(tab.cancel_on_close)
        return tab

    def _on_vm_pending_changed(self, count: int) -> None:
        self.tabs.setTabText(0, self.tr("&Pending ({n})").format(n=count))

    def _on_vm_busy_changed(self, text: str) -> None:
        self.busy_strip.show_busy(text, False)

    def _on_tabs_current_changed(self, _index: int) -> None:
        for strip in self._strips:
            strip.cancel()
        self.message_label.show_message(Level.CLEAR, "")

    def _on_close_button_clicked(self) -> None:
        self.done(0)

    def reject(self) -> None:  # Esc: first take back an open question, then close
        for strip in self._strips:
            if strip.asking:
                strip.cancel()
                return
        super().reject()
