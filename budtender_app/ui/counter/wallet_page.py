"""The wallet: discounts this sale can use, the ones it cannot (greyed, with the reason), totals."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.eligibility import Keyed, estimate_text, is_percentage, keyed_for
from budtender_app.domain.money import format_points
from budtender_app.domain.wallet import Discount
from budtender_app.ui.common.style import styled
from budtender_app.ui.common.widgets import named
from budtender_app.viewmodels.redemption import RedemptionViewModel

ID_ROLE = Qt.ItemDataRole.UserRole


class DiscountList(QListWidget):
    """Arrow keys move, Space selects or unselects, Enter applies. The view model decides."""

    toggle_requested = Signal(str)
    apply_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if event.key() == Qt.Key.Key_Space and item is not None:
            self.toggle_requested.emit(item.data(ID_ROLE))
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.apply_requested.emit()
        else:
            super().keyPressEvent(event)


class WalletPage(QWidget):
    """The shopper's wallet for this sale: what can be selected, what cannot and why, the totals."""

    def __init__(self, vm: RedemptionViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self._keyed: dict[str, Keyed] = {}
        self._hide_points = False
        self.header_label = styled(QLabel(self), kind="title")
        self.header_label.setObjectName("wallet_header_label")
        self._build_lists()
        buttons = self._build_buttons()
        hint = styled(QLabel(self.tr("↑/↓ move · Space selects or unselects · Enter applies · "
                                     "Esc back to the phone"), self), kind="muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header_label)
        layout.addWidget(hint)
        layout.addWidget(self.offer_list, 3)
        layout.addWidget(self.unusable_caption)
        layout.addWidget(self.unusable_list, 2)
        layout.addLayout(buttons)
        # The view model sends offers_changed before its step turns WALLET, so this one
        # connection keeps the page current; a second redraw per change doubled the cost.
        vm.offers_changed.connect(self.redraw)

    def _build_lists(self) -> None:
        vm = self._vm
        self.offer_list = named(DiscountList(self), "offer_list", "Discounts for this sale")
        self.offer_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.offer_list.setAlternatingRowColors(True)
        # Every row is two lines of the same font: Qt then measures one row, not a thousand.
        self.offer_list.setUniformItemSizes(True)
        self.offer_list.toggle_requested.connect(vm.toggle)
        self.offer_list.apply_requested.connect(vm.apply_selection)
        self.offer_list.itemClicked.connect(lambda item: vm.toggle(item.data(ID_ROLE)))
        self.unusable_caption = QLabel(self.tr("Not for this sale"), self)
        self.unusable_caption.setObjectName("unusable_caption")
        self.unusable_list = named(QListWidget(self), "unusable_list", "Discounts that cannot be used on this sale")
        self.unusable_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.unusable_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.unusable_list.setUniformItemSizes(True)

    def _build_buttons(self) -> QHBoxLayout:
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("selection_summary_label")
        self.apply_button = named(QPushButton(self.tr("Apply selection (Enter)"), self), "apply_selection_button",
                                  "Apply selection")
        self.apply_button.clicked.connect(self._vm.apply_selection)
        self.apply_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel = named(QPushButton(self.tr("Cancel redemption (Shift+Esc)"), self), "wallet_cancel_button",
                       "Cancel redemption")
        cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel.clicked.connect(self._vm.ask_abandon)  # asked first: the shopper's choice is dropped
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary_label, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.apply_button)
        return buttons

    def redraw(self) -> None:
        """Draw the wallet as the view model has it now, keeping the row the cashier was on."""
        vm = self._vm
        current = self.offer_list.currentItem().data(ID_ROLE) if self.offer_list.currentItem() else None
        # Worked out once per redraw: each percentage row's estimate at its place in the POS order.
        cart = vm.cart_total
        percentages = [o.discount for o in vm.offers if o.usable and is_percentage(o.discount)]
        self._keyed = keyed_for(percentages, vm.selected, cart) if cart is not None else {}
        self._hide_points = vm.wallet is not None and vm.wallet.hide_points
        if vm.phone is not None:
            points = self.tr("This brand doesn't show points") if vm.balance is None else format_points(vm.balance)
            self.header_label.setText(self.tr("Wallet of {phone} · {points}").format(phone=vm.phone.masked,
                                                                                     points=points))
        self.offer_list.clear()
        self.unusable_list.clear()
        for offer in vm.offers:
            if offer.usable:
                item = self._usable_item(offer.discount)
                self.offer_list.addItem(item)
                if offer.discount.id == current:
                    self.offer_list.setCurrentItem(item)
            else:
                item = QListWidgetItem(f"{offer.discount.name} — {offer.reason}")
                item.setData(ID_ROLE, offer.discount.id)
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.unusable_list.addItem(item)
        if self.offer_list.currentItem() is None and self.offer_list.count():
            self.offer_list.setCurrentRow(0)
        if not self.offer_list.count():
            empty = QListWidgetItem(self.tr("No discount in this wallet fits this sale."))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.offer_list.addItem(empty)
        has_unusable = self.unusable_list.count() > 0
        self.unusable_caption.setVisible(has_unusable)
        self.unusable_list.setVisible(has_unusable)
        self.summary_label.setText(vm.selection_summary())
        self.apply_button.setEnabled(bool(vm.selected))

    def _usable_item(self, d: Discount) -> QListWidgetItem:
        selected = d.id in self._vm.selected_ids
        mark = "☑" if selected else "☐"
        item = QListWidgetItem(f"{mark}  {d.name}\n      " + " · ".join(self._details(d)))
        item.setData(ID_ROLE, d.id)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, ("selected: " if selected else "") + d.name)
        if selected:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        return item

    def _details(self, d: Discount) -> list[str]:
        """"15% off · about $6.30 on a $42.00 cart · 300 points · POS ID X" (no points when hidden)."""
        cart = self._vm.cart_total
        bits = []
        if d.value_text:
            bits.append(d.value_text)
        keyed = self._keyed.get(d.id)
        if keyed is not None and cart is not None:
            bits.append(estimate_text(keyed, cart))
        if not self._hide_points:
            bits.append(format_points(d.points))
        if d.pos_discount_id:
            bits.append(self.tr("POS ID {id}").format(id=d.pos_discount_id))
        return bits
