"""The simpler steps: the phone, what to apply in the POS, and the outcome with its record."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.eligibility import Keyed, estimate_text, off_text, pos_order, totals
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.domain.money import format_points
from budtender_app.domain.receipt import SlipHeader, build_receipt
from budtender_app.domain.redemption import Status
from budtender_app.ui.common.style import (
    NOT_REDEEMED_COLOR,
    PALETTE,
    REDEEMED_COLOR,
    UNSENT_COLOR,
    styled,
    touch_rows,
)
from budtender_app.ui.common.widgets import MessageLabel, WrappedLabel, named, one_layout_pass
from budtender_app.ui.receipt.receipt_view import ReceiptView
from budtender_app.viewmodels.redemption import RedemptionViewModel


class CartPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        text = WrappedLabel(self.tr(
            "<p style='font-size:14pt'>Type the sale's cart total above, then press <b>F2</b> "
            "(or Enter) to redeem the shopper's AIQ discounts.</p>"
            "<p style='color:{hint}'>Nothing is redeemed until the sale is finished in the POS and you "
            "press <b>F9</b> Checkout complete.</p>").format(hint=PALETTE["hint"]), self)
        text.setAlignment(Qt.AlignmentFlag.AlignTop)
        keys = QLabel(self.tr(
            "<table cellspacing='0' cellpadding='5' style='font-size:12pt'>"
            "<tr><td><b>F2</b></td><td>Redeem discounts for shopper</td></tr>"
            "<tr><td><b>Enter</b></td><td>text the PIN · open the wallet · apply the selection · confirm</td></tr>"
            "<tr><td><b>↑ ↓ Space</b></td><td>move in the wallet · select or unselect a discount</td></tr>"
            "<tr><td><b>F9</b></td><td>Checkout complete: redeem, after the sale is finished in the POS</td></tr>"
            "<tr><td><b>Esc</b></td><td>back one step (before checkout nothing is redeemed)</td></tr>"
            "</table>"), self)
        keys.setObjectName("keys_label")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(text)
        layout.addWidget(keys)
        layout.addStretch(1)


class PhonePage(QWidget):
    def __init__(self, vm: RedemptionViewModel, parent: QWidget | None = None, *, training: bool = False) -> None:
        super().__init__(parent)
        title = styled(QLabel(self.tr("Shopper's phone"), self), kind="title")
        self.phone_edit = named(QLineEdit(self), "phone_edit", "Shopper's phone number")
        # Training: a demo shopper's number to try. Real: only the format, so a cashier never
        # types (or a shopper reads) a number that looks like someone's.
        self.phone_edit.setPlaceholderText("(555) 123-4567" if training
                                           else self.tr("10-digit phone, e.g. (xxx) xxx-xxxx"))
        self.phone_edit.setMaxLength(25)
        self.phone_edit.returnPressed.connect(lambda: vm.submit_phone(self.phone_edit.text()))
        self.send_button = named(QPushButton(self.tr("Text PIN to shopper (Enter)"), self), "send_pin_button",
                                 "Text PIN to shopper")
        self.send_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        styled(self.send_button, kind="primary")
        self.send_button.clicked.connect(lambda: vm.submit_phone(self.phone_edit.text()))
        cancel = named(QPushButton(self.tr("Cancel (Esc)"), self), "phone_cancel_button", "Cancel")
        cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel.clicked.connect(vm.cancel)
        row = QHBoxLayout()
        row.addWidget(self.phone_edit, 1)
        row.addWidget(self.send_button)
        row.addWidget(cancel)
        hint = QLabel(self.tr("AIQ texts the shopper a 4-digit PIN: it proves they are here with their phone."), self)
        self.hint_label = styled(hint, kind="hint")
        # Not a member is not a dead end: the offer opens the loyalty dialog (F3) with this phone.
        self.signup_button = named(QPushButton(self.tr("Sign up this shopper (F3)"), self), "signup_offer_button",
                                   "Sign up this shopper")
        self.signup_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.signup_button.hide()
        vm.signup_offered.connect(self._on_vm_signup_offered)
        vm.step_changed.connect(self._on_vm_step_changed)
        self.phone_edit.textEdited.connect(self.signup_button.hide)  # another number: the offer was for the last
        self.error_label = MessageLabel("phone_error_label", self)  # a refused phone, under it (field_errors.py)
        self._build_layout(title, row)

    def _build_layout(self, title: QLabel, row: QHBoxLayout) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.signup_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def _on_vm_signup_offered(self, masked: str) -> None:
        self.signup_button.setText(self.tr("Sign up {phone} (F3)").format(phone=masked) if masked
                                   else self.tr("Sign up this shopper (F3)"))
        self.signup_button.show()

    def _on_vm_step_changed(self, _step: object) -> None:
        self.signup_button.hide()  # shown again only by AIQ's "no such member" for the phone just typed


def _table(parent: QWidget, name: str, accessible: str, headers: list[str]) -> QTableWidget:
    table = named(QTableWidget(0, len(headers), parent), name, accessible)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    touch_rows(table)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            table.setItem(r, c, item)
    # As tall as its rows (up to eight), so the totals sit right under them; empty, as tall as one
    # row: the outcome table is empty while AIQ is asked and has a row at its answer, and a table
    # changing height then relayouted and repainted the whole outcome page twice per sale.
    shown = max(1, min(len(rows), 8))
    height = table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(min(len(rows), shown)))
    table.setFixedHeight(height + 2 * table.frameWidth() + (0 if rows else table.verticalHeader().defaultSectionSize()))


class ApplyPage(QWidget):
    """What to key into the POS before finishing the sale; nothing has gone to AIQ yet."""

    def __init__(self, vm: RedemptionViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        title = styled(WrappedLabel(self.tr("Apply these discounts in the POS, then finish the sale there"), self),
                       kind="title")
        self.order_label = WrappedLabel(self.tr(
            "Key them into the POS in this order: dollar discounts first, then percentages."), self)
        self.order_label.setObjectName("apply_order_label")
        self.table = _table(self, "apply_table", "Discounts to apply in the POS, in the order to key them",
                            [self.tr("Discount"), self.tr("POS discount ID"), self.tr("Value"), self.tr("Points")])
        self.totals_label = WrappedLabel("", self)
        self.totals_label.setObjectName("apply_totals_label")
        note = QLabel(self.tr("No points have been taken. Cancelling now costs the shopper nothing."), self)
        styled(note, kind="hint")
        buttons = self._build_buttons(vm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.order_label)
        layout.addWidget(self.table)
        layout.addWidget(self.totals_label)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def _build_buttons(self, vm: RedemptionViewModel) -> QHBoxLayout:
        self.checkout_button = named(QPushButton(self.tr("Checkout complete (F9)"), self), "checkout_button",
                                     "Checkout complete")
        self.checkout_button.clicked.connect(vm.start_checkout)
        styled(self.checkout_button, kind="primary")
        change = named(QPushButton(self.tr("Change selection (Esc)"), self), "change_selection_button",
                       "Change selection")
        change.clicked.connect(vm.cancel)
        abandon = named(QPushButton(self.tr("Cancel redemption (Shift+Esc)"), self), "abandon_button",
                        "Cancel redemption")
        abandon.clicked.connect(vm.ask_abandon)  # asked first
        for button in (change, abandon):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        buttons = QHBoxLayout()
        buttons.addWidget(abandon)
        buttons.addWidget(change)
        buttons.addStretch(1)
        buttons.addWidget(self.checkout_button)
        return buttons

    def redraw(self) -> None:
        """The selection in the order to key it into the POS (domain/eligibility.pos_order)."""
        vm = self._vm
        cart = vm.cart_total or Decimal(0)
        hide_points = vm.wallet is not None and vm.wallet.hide_points
        rows = [[f"{n}. {k.discount.name}", k.discount.pos_discount_id or "—", self._value_text(k, cart),
                 "" if hide_points else f"{k.discount.points:,}"]
                for n, k in enumerate(pos_order(vm.selected, cart), start=1)]
        self.table.setColumnHidden(3, hide_points)  # nothing a shopper could read a point figure from
        _fill(self.table, rows)
        sums = totals(vm.selected, cart)
        points = self.tr("{points} to be deducted").format(points=format_points(sums.points))
        if hide_points:  # nothing a shopper could read a point figure from
            points = self.tr("This brand doesn't show points")
        estimate = self.tr(" (percentages estimated on the whole cart, after the dollar discounts)")
        self.totals_label.setText(self.tr("Total: {off}{estimate} · {points}").format(
            off=off_text(sums, cart), estimate=estimate if sums.estimated else "", points=points))

    def _value_text(self, keyed: Keyed, cart: Decimal) -> str:
        """"$5.00 off", or "15% off (about $6.30 on a $42.00 cart)"."""
        value = keyed.discount.value_text or self.tr("no $ value")
        estimate = estimate_text(keyed, cart)
        return f"{value} ({estimate})" if estimate else value


#: How loud each outcome is: green done, amber saved and sent by itself, red for a manager.
OUTCOME_LEVELS = {Status.REDEEMED: Level.OK, Status.NOT_SENT: Level.WARNING,
                  Status.UNKNOWN: Level.ERROR, Status.REJECTED: Level.ERROR}
_LEVEL_COLORS = {Level.OK: REDEEMED_COLOR, Level.WARNING: UNSENT_COLOR, Level.ERROR: NOT_REDEEMED_COLOR}
_LOUDNESS = (Level.OK, Level.WARNING, Level.ERROR)


def outcome_level(statuses: list[Status]) -> Level:
    """The banner of a sale's outcomes: as loud as its loudest line (nothing yet: CLEAR)."""
    levels = [OUTCOME_LEVELS[s] for s in statuses]
    return max(levels, key=_LOUDNESS.index) if levels else Level.CLEAR


class DonePage(QWidget):
    """Each redemption's outcome and the record for the POS transaction."""

    STATUS_WORDS: ClassVar[dict[Status, str]] = {Status.REDEEMED: "Redeemed", Status.REJECTED: "Refused by AIQ",
                    Status.UNKNOWN: "UNKNOWN: ask a manager", Status.NOT_SENT: "Not sent: AIQ unreachable"}

    def __init__(self, vm: RedemptionViewModel, parent: QWidget | None = None, *,
                 receipt_links: tuple[str, str] = ("", ""), counter: CounterInfo | None = None,
                 training: bool = False) -> None:
        super().__init__(parent)
        self._vm = vm
        self._wallet_url, self._signup_url = receipt_links
        #: The store and terminal every receipt names, and whether each says TRAINING.
        self._counter = counter or CounterInfo(brand="")
        self._training = training
        self._moment: datetime | None = None  # when this sale's first answer came: the receipt's time
        self._build_outcome_widgets()
        self.new_sale_button = named(QPushButton(self.tr("New sale (Enter)"), self), "new_sale_button", "New sale")
        self.new_sale_button.setDefault(True)
        styled(self.new_sale_button, kind="primary")
        self.new_sale_button.clicked.connect(vm.new_sale)
        # The receipt prints for the shopper; Copy record (Ctrl+Shift+C) copies the record for the POS
        # transaction, which keeps every point figure even when the brand hides them on paper.
        self.receipt_view = ReceiptView(self)
        self.receipt_view.set_copy_label(self.tr("Copy record (Ctrl+Shift+C)"), "Ctrl+Shift+C")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_sale_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.outcome_band)
        layout.addWidget(self.table)
        caption = WrappedLabel(self.tr("The receipt, as it prints (Copy record copies the record for the POS "
                                 "transaction):"), self)
        layout.addWidget(caption)
        layout.addWidget(self.receipt_view, 1)
        layout.addLayout(buttons)
        self._drawn: tuple[object, ...] | None = None
        # Connected before the window's own step slot (the window is built around its pages), so
        # this runs first: redeeming is drawn while the page is still hidden, laid out once as it
        # shows. Drawn after the switch, it was laid out at the show and again for the new words.
        vm.step_changed.connect(self._draw_before_shown)

    def _build_outcome_widgets(self) -> None:
        self.title_label = QLabel(self)
        self.title_label.setObjectName("done_title_label")
        styled(self.title_label, kind="title")
        self.table = _table(self, "outcome_table", "Redemption outcomes",
                            [self.tr("Discount"), self.tr("POS discount ID"), self.tr("Points deducted"),
                             self.tr("Outcome")])
        # One banner per level, each styled and worded once: restyling one banner from level to
        # level relayouted the whole window as the answer came in, doubling the time to draw it.
        # Their band keeps its height while none shows (redeeming): a banner appearing at AIQ's
        # answer moved the table and the slip below it, so the whole page was laid out and
        # painted again.
        self.outcome_band = QWidget(self)
        band = QVBoxLayout(self.outcome_band)
        band.setContentsMargins(0, 0, 0, 0)
        band.setSpacing(0)
        next_steps = self._next_steps()
        self.outcome_labels = {level: MessageLabel(f"done_outcome_{level}_label", self.outcome_band)
                               for level in _LOUDNESS}
        for level, label in self.outcome_labels.items():
            label.setWordWrap(False)  # one short line: a wrapping label made every relayout of the page dearer
            label.show_message(level, next_steps[level])
            label.hide()
            band.addWidget(label)

    def redraw(self) -> None:
        vm = self._vm
        record = vm.record()
        hide_points = vm.wallet is not None and vm.wallet.hide_points
        # Called at each outcome and again as the step turns DONE: draw only what changed (the
        # receipt is a picture, and redrawing it for nothing held up the counter at every sale).
        drawn = (record, hide_points, tuple((o.status, o.message) for o in vm.outcomes))
        if drawn == self._drawn:
            return
        self._drawn = drawn
        with one_layout_pass(self):
            self._draw(record, hide_points)

    def _draw_before_shown(self, step: Step) -> None:
        if step is Step.REDEEMING:
            self.redraw()

    def _draw(self, record: str, hide_points: bool) -> None:
        vm = self._vm
        self._show_outcome_level()
        if not vm.outcomes:  # redeeming has begun, no answer yet: no slip saying "0 deducted"
            self._moment = None
            _fill(self.table, [])
            self.title_label.setText(self.tr("Transaction {txid}: redeeming with AIQ…").format(txid=vm.transaction_id))
            self.receipt_view.set_receipt(build_receipt("", member=True, hide_points=True), name=vm.transaction_id)
            return
        self._draw_outcomes(hide_points)
        self.receipt_view.set_receipt(build_receipt(
            record, member=True, hide_points=hide_points, wallet_url=self._wallet_url, signup_url=self._signup_url,
            brand=self._counter.brand, country=self._counter.country, header=self._header()), name=vm.transaction_id)

    def _draw_outcomes(self, hide_points: bool) -> None:
        """The outcome table and title; no point figure when the brand hides points (the copied
        record still has each one, for the POS and the auditors)."""
        vm = self._vm
        rows = [[o.discount.name, o.discount.pos_discount_id or "—", f"{o.points_deducted:,}",
                 self.tr(self.STATUS_WORDS[o.status])] for o in vm.outcomes]
        self.table.setColumnHidden(2, hide_points)
        _fill(self.table, rows)
        for r, o in enumerate(vm.outcomes):
            cell = self.table.item(r, 3)
            if cell is None:  # _fill made every cell
                continue
            cell.setForeground(_LEVEL_COLORS[OUTCOME_LEVELS[o.status]])
            if o.message:
                cell.setToolTip(o.message)
        redeemed = sum(o.status is Status.REDEEMED for o in vm.outcomes)
        done = vm.discount_count(redeemed) + self.tr(" redeemed") if hide_points else self.tr(
            "{points} deducted").format(points=format_points(vm.points_deducted))
        self.title_label.setText(self.tr("Transaction {txid}: {done}").format(txid=vm.transaction_id, done=done))

    def show_store(self, counter: CounterInfo, receipt_links: tuple[str, str]) -> None:
        """The next receipt's store (Manager settings switched the counter's profile)."""
        self._counter, (self._wallet_url, self._signup_url) = counter, receipt_links

    def _header(self) -> SlipHeader:
        """Store, terminal and the store's local time of this sale's first answer, and the mode."""
        clock = self._vm.clock
        if self._moment is None:
            self._moment = clock.now()
        return SlipHeader(store=self._counter.store, terminal=self._counter.terminal,
                          moment=clock.local(self._moment), training=self._training)

    def _next_steps(self) -> dict[Level, str]:
        return {
            Level.OK: self.tr("Done: all redeemed. Copy the record onto the POS transaction; "
                              "Enter starts the next sale."),
            Level.WARNING: self.tr("Saved: the terminal sends it to AIQ by itself. Nothing for you to do."),
            Level.ERROR: self.tr("Not everything was redeemed: call a manager before the shopper leaves (F11). "
                                 "Each line says what happened."),
        }

    def _show_outcome_level(self) -> None:
        level = outcome_level([o.status for o in self._vm.outcomes])
        labels = self.outcome_labels.values()
        self.outcome_band.setMinimumHeight(max(label.sizeHint().height() for label in labels))
        for each, label in self.outcome_labels.items():
            label.setVisible(each == level)

    def record_text(self) -> str:
        """What Copy record copies: the record for the POS transaction, with the store and time."""
        return self.receipt_view.receipt.record_text()
