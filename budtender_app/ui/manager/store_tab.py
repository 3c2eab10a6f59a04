"""The Redemptions window's "Whole store" tab: every register's open redemptions and the claim
conflicts, from the store hub (present only when this terminal joined one).

Thin: the rules and the words live in StoreWideViewModel. A decision about another register's
redemption is confirmed inline (ConfirmStrip) and goes to the hub for that register to carry out;
the row then says "waiting for Register 1" until it has.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.journal_rules import State
from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import button_row
from budtender_app.ui.common.style import UNSENT_COLOR, UNSURE_COLOR
from budtender_app.ui.common.widgets import MessageLabel, named, plural
from budtender_app.ui.manager.decision_widgets import ConfirmStrip, DecisionFields, EntryTable
from budtender_app.viewmodels.pending_words import Action
from budtender_app.viewmodels.store_redemptions import StoreWideViewModel

#: How loud AIQ's report on a redemption is shown: red when it settles nothing.
CHECK_LEVELS = {"found": Level.INFO, "absent": Level.INFO, "unclear": Level.ERROR, "error": Level.ERROR}
#: The conflicts' table at most this tall (it scrolls): the redemptions keep the room; tooltips hold each whole.
CONFLICTS_MAX_HEIGHT = 66
#: Seconds between reads of the hub while the tab shows (a waiting decision gets carried out).
REFRESH_EVERY_MS = 15_000


class StoreTab(QWidget):
    """Every register's open redemptions and claim conflicts; settlements for their registers."""

    COLUMNS = ("Register / time", "Transaction", "Shopper", "Discount / POS ID", "Points", "State")
    DISCOUNT, POINTS, STATE = 3, 4, 5

    def __init__(self, vm: StoreWideViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.setToolTip(self.tr("Open redemptions of every register at this store, from the store hub. A decision "
                                "about another register's redemption is carried out by that register at its next "
                                "contact with the hub."))
        self.status_label = MessageLabel("store_status_label", self)
        self.refresh_button = self._button(self.tr("Re&fresh"), "store_refresh_button", "Read the store hub again")
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        self._build_conflicts()
        self._build_table()
        self.check_label = MessageLabel("store_check_label", self)
        self.fields = DecisionFields("store", self, approved_by=vm.approver_name() if vm.approving else None)
        self.fields.changed.connect(self._on_fields_changed)
        buttons = self._build_buttons()
        self.confirm = ConfirmStrip("store", self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.conflicts_label)
        layout.addWidget(self.conflict_table)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.check_label)
        layout.addWidget(self.fields)
        layout.addLayout(buttons)
        layout.addWidget(self.confirm)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_EVERY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        vm.rows_changed.connect(self.redraw)
        vm.check_result.connect(self._on_vm_check_result)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        self.redraw()

    def _build_table(self) -> None:
        self.table = named(EntryTable([self.tr(c) for c in self.COLUMNS], self), "store_table",
                           "Open redemptions of every register")
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.DISCOUNT, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(self.DISCOUNT, 170)
        header.setSectionResizeMode(self.STATE, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(self._on_header_section_resized)
        self.table.setMinimumHeight(100)
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)

    def _build_conflicts(self) -> None:
        self.conflicts_label = named(QLabel(self), "store_conflicts_label", "Claim conflicts")
        self.conflicts_label.setWordWrap(True)
        self.conflict_table = named(EntryTable([self.tr("Found"), self.tr("What happened")], self),
                                    "store_conflict_table", "Claim conflicts")
        self.conflict_table.setWordWrap(True)
        self.conflict_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.conflict_table.horizontalHeader().hide()  # the line above says what it lists
        self.conflict_table.horizontalHeader().sectionResized.connect(self._on_header_section_resized)
        self.conflict_table.itemSelectionChanged.connect(self._on_conflict_table_item_selection_changed)

    def _build_buttons(self) -> QHBoxLayout:
        self.check_button = self._button(self.tr("&Check with AIQ"), "store_check_button",
                                         "Check AIQ's redemption report")
        self.retry_button = self._button(self.tr("&Send again"), "store_retry_button", "Ask its register to send again")
        self.mark_button = self._button(self.tr("&Mark redeemed"), "store_mark_button", "Ask its register to mark it")
        self.abandon_button = self._button(self.tr("Give &up"), "store_abandon_button", "Ask its register to give up")
        self.settle_button = self._button(self.tr("Conflict se&ttled"), "store_settle_button",
                                          "Mark the selected conflict settled")
        self.withdraw_button = self._button(self.tr("&Withdraw decision"), "store_withdraw_button",
                                            "Withdraw the decision waiting for its register")
        self.withdraw_button.clicked.connect(self._on_withdraw_button_clicked)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.mark_button.clicked.connect(self._on_mark_button_clicked)
        self.abandon_button.clicked.connect(self._on_abandon_button_clicked)
        self.settle_button.clicked.connect(self._on_settle_button_clicked)
        return button_row(self.withdraw_button, self.retry_button, self.mark_button, self.abandon_button,
                          left=[self.check_button, self.settle_button])

    def _button(self, text: str, object_name: str, accessible: str) -> QPushButton:
        button = named(QPushButton(text, self), object_name, accessible)
        button.setAutoDefault(False)  # Enter never fires an action by accident; each one confirms
        return button

    # -- drawing -------------------------------------------------------------------------------

    def redraw(self) -> None:
        vm = self._vm
        keep = self.selected_key()
        self.table.setRowCount(len(vm.rows))
        for n, row in enumerate(vm.rows):
            discount = "\n".join(t for t in (row.discount_name, row.pos_discount_id) if t)
            cells = (f"{row.register}\n{vm.when(row)}", row.transaction_id, row.shopper_masked or "—", discount,
                     f"{row.points:,}", vm.state_text(row))
            unsure = row.state is State.UNKNOWN or row.reversal_phase is not None
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, vm.key(row))
                item.setToolTip(text)
                if column == self.POINTS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == self.STATE:
                    item.setForeground(UNSURE_COLOR if unsure else UNSENT_COLOR)
                self.table.setItem(n, column, item)
        self.table.select_id([vm.key(r) for r in vm.rows], keep)
        self._draw_conflicts()
        self._draw_status()
        self._on_table_item_selection_changed()

    def _draw_conflicts(self) -> None:
        """The conflicts (by id), then the claims silent registers hold (by -(index + 1))."""
        vm = self._vm
        lines = [(c.id, vm.words.when(c.found_at), vm.conflict_text(c)) for c in vm.conflicts]
        lines += [(-(n + 1), vm.words.when(b.claimed_at), vm.blocked_text(b)) for n, b in enumerate(vm.blocked)]
        self.conflict_table.setRowCount(len(lines))
        for n, (key, *texts) in enumerate(lines):
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, key)
                item.setToolTip(text)
                self.conflict_table.setItem(n, column, item)
        QTimer.singleShot(0, self, self._fit_rows)
        said = [self.tr("⚠ Claim conflicts ({n}): check both registers' records and the shopper's history in AIQ, "
                        "then mark each settled.").format(n=len(vm.conflicts))] if vm.conflicts else []
        if vm.blocked:
            said.append(self.tr("⚠ Claims of silent registers ({n}): release one only if AIQ and the POS show it "
                                "was not redeemed.").format(n=len(vm.blocked)))
        self.conflicts_label.setText(" ".join(said))
        self.conflicts_label.setVisible(bool(lines))
        self.conflict_table.setVisible(bool(lines))

    def _draw_status(self) -> None:
        vm = self._vm
        if vm.problem:
            self.status_label.show_message(Level.ERROR, vm.problem)
        elif vm.read_at is None:
            self.status_label.show_message(Level.CLEAR, self.tr("Reading the store hub…"))
        else:
            registers = len({r.terminal_id for r in vm.rows})
            said = self.tr("From the store hub at {when}: {n} open at {r}. "
                           "Each is settled by its own register.").format(
                when=vm.words.when(vm.read_at), n=len(vm.rows), r=plural(registers, self.tr("register"),
                                                                         self.tr("registers")))
            if not vm.rows:
                said = self.tr("From the store hub at {when}: nothing open at any register.").format(
                    when=vm.words.when(vm.read_at))
            self.status_label.show_message(Level.CLEAR, said)

    def selected_key(self) -> int | None:
        return self.table.selected_id()

    def _update_buttons(self) -> None:
        row = self._vm.row(self.selected_key())
        allowed = self._vm.allowed_actions(row) if row is not None and not self._vm.busy else frozenset()
        decided = self.fields.complete()
        refund = row is not None and row.state is State.REVERSING
        self.mark_button.setText(self.tr("&Mark points given back") if refund else self.tr("&Mark redeemed"))
        self.check_button.setEnabled(Action.CHECK in allowed)
        self.retry_button.setEnabled(Action.RETRY in allowed and decided)
        self.mark_button.setEnabled(bool({Action.REDEEMED, Action.REVERSED} & allowed) and decided)
        self.abandon_button.setEnabled(Action.ABANDONED in allowed and decided)
        self.withdraw_button.setVisible(row is not None and self._vm.may_withdraw(row))
        self.withdraw_button.setEnabled(row is not None and self._vm.may_withdraw(row) and decided
                                        and not self._vm.busy)
        picked = self.conflict_table.selected_id()
        self.settle_button.setText(self.tr("Re&lease claim") if picked is not None and picked < 0
                                   else self.tr("Conflict se&ttled"))
        self.settle_button.setEnabled(picked is not None and decided and not self._vm.busy)

    def _show_check(self) -> None:
        key = self.selected_key()
        row = self._vm.row(key)
        kind, text = self._vm.checks.get(key, ("", "")) if key is not None else ("", "")
        if not text and row is not None:
            said = row.last_outcome or row.message
            self.check_label.show_message(Level.CLEAR, self.tr("Last: {what}").format(what=said) if said else "")
            return
        self.check_label.show_message(CHECK_LEVELS.get(kind, Level.CLEAR), text)

    # -- from the view model and the timer ----------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._vm.start_refresh()
        self._timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._fit_rows)  # once the stretched columns have their new width

    def _fit_rows(self) -> None:
        self.table.resizeRowsToContents()
        conflicts = self.conflict_table
        conflicts.resizeRowsToContents()
        rows = sum(conflicts.rowHeight(r) for r in range(min(conflicts.rowCount(), 2)))
        conflicts.setFixedHeight(min(rows + 2 * conflicts.frameWidth(), CONFLICTS_MAX_HEIGHT))

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def _on_header_section_resized(self, _index: int, _old: int, _new: int) -> None:
        self._fit_rows()  # wrapped names and states stay whole

    def _on_timer_timeout(self) -> None:
        if not self._vm.busy and not self.confirm.asking:
            self._vm.start_refresh()

    def _on_vm_check_result(self, key: int, _text: str) -> None:
        if key == self.selected_key():
            self._show_check()
            self._update_buttons()

    def _on_vm_busy_changed(self, _text: str) -> None:
        self._update_buttons()

    # -- from the manager ----------------------------------------------------------------------

    def _on_refresh_button_clicked(self) -> None:
        self._vm.start_refresh()

    def _on_table_item_selection_changed(self) -> None:
        self.confirm.cancel()
        self._show_check()
        self._update_buttons()

    def _on_conflict_table_item_selection_changed(self) -> None:
        self.confirm.cancel()
        self._update_buttons()

    def _on_fields_changed(self) -> None:
        self.confirm.cancel()
        self._update_buttons()

    def _on_check_button_clicked(self) -> None:
        key = self.selected_key()
        if key is not None:
            self._vm.start_check(key)

    def _on_retry_button_clicked(self) -> None:
        self._ask_register(Action.RETRY, self.tr("&Yes, ask it to send"), self.tr(
            "Ask {register} to send '{name}' (transaction {tx}, {points:,} points) to AIQ again? If the first try "
            "reached AIQ, the points are taken twice: check with AIQ first."))

    def _on_mark_button_clicked(self) -> None:
        row = self._vm.row(self.selected_key())
        if row is not None and row.state is State.REVERSING:
            self._ask_register(Action.REVERSED, self.tr("&Yes, the points are back"), self.tr(
                "Ask {register} to mark the {points:,} points for '{name}' (transaction {tx}) as given back? Only "
                "when the shopper's balance in AIQ shows them."))
            return
        self._ask_register(Action.REDEEMED, self.tr("&Yes, mark redeemed"), self.tr(
            "Ask {register} to mark '{name}' (transaction {tx}) as redeemed, {points:,} points taken? Only when "
            "AIQ's report or dashboard shows it."))

    def _on_abandon_button_clicked(self) -> None:
        self._ask_register(Action.ABANDONED, self.tr("&Yes, give up"), self.tr(
            "Ask {register} to give up '{name}' (transaction {tx}, {points:,} points)? It will never be sent; a "
            "refund given up leaves the points taken."))

    def _ask_register(self, action: Action, yes: str, question: str) -> None:
        row = self._vm.row(self.selected_key())
        if row is None:
            return
        key = self._vm.key(row)
        text = question.format(register=row.register, name=row.discount_name, tx=row.transaction_id,
                               points=row.points)
        self._ask(text, yes, lambda: self._vm.start_decide(key, action, *self._decision()))

    def _on_withdraw_button_clicked(self) -> None:
        row = self._vm.row(self.selected_key())
        if row is None:
            return
        key = self._vm.key(row)
        self._ask(self.tr("Withdraw the decision waiting for {register} ({what} '{name}', transaction {tx})? If "
                          "{register} is carrying it out right now, it is too late and you are told so.").format(
            register=row.register, what=self._vm.action_words(row.waiting_action), name=row.discount_name,
            tx=row.transaction_id), self.tr("&Yes, withdraw it"),
            lambda: self._vm.start_withdraw(key, *self._decision()))

    def _on_settle_button_clicked(self) -> None:
        conflict_id = self.conflict_table.selected_id()
        if conflict_id is None:
            return
        if conflict_id < 0:
            index = -conflict_id - 1
            self._ask(self.tr("Release the claim? Its register may have redeemed it: only if AIQ's report and the "
                              "POS show it was not."), self.tr("&Yes, release it"),
                      lambda: self._vm.start_release(index, *self._decision()))
            return
        self._ask(self.tr("Mark this conflict settled? Only once both registers' records and the shopper's "
                          "history in AIQ were checked."), self.tr("&Yes, settled"),
                  lambda: self._vm.start_settle_conflict(conflict_id, *self._decision()))

    def _decision(self) -> tuple[str, str]:
        reason, manager = self.fields.reason, self.fields.manager
        self.fields.clear_reason()
        return reason, manager

    def _ask(self, question: str, yes: str, on_yes: Callable[[], None]) -> None:
        self.confirm.ask(question, yes, on_yes)
