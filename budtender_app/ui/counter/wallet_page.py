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

from budtender_app.domain.eligibility import amount_off
from budtender_app.domain.money import format_money, format_points
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
    def __init__(self, vm: RedemptionViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.header_label = QLabel(self)
        self.header_label.setObjectName("wallet_header_label")
        self.header_label.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.offer_list = named(DiscountList(self), "offer_list", "Discounts for this sale")
        self.offer_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.offer_list.setAlternatingRowColors(True)
        # Every row is two lines of the same font: Qt then measures one row, not a thousand.
        self.offer_list.setUniformItemSizes(True)
        self.offer_list.setStyleSheet("QListWidget::item { padding: 6px; }")
        self.offer_list.toggle_requested.connect(vm.toggle)
        self.offer_list.apply_requested.connect(vm.apply_selection)
        self.offer_list.itemClicked.connect(lambda item: vm.toggle(item.data(ID_ROLE)))
        self.unusable_caption = QLabel(self.tr("Not for this sale"), self)
        self.unusable_caption.setStyleSheet("color: #666; font-weight: 600; margin-top: 6px;")
        self.unusable_list = named(QListWidget(self), "unusable_list", "Discounts that cannot be used on this sale")
        self.unusable_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.unusable_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.unusable_list.setUniformItemSizes(True)
        self.unusable_list.setStyleSheet("QListWidget { color: #808080; background: #f4f4f4; } QListWidget::item { padding: 3px; }")
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("selection_summary_label")
        self.summary_label.setStyleSheet("font-size: 12pt;")
        self.apply_button = named(QPushButton(self.tr("Apply selection (Enter)"), self), "apply_selection_button", "Apply selection")
        self.apply_button.clicked.connect(vm.apply_selection)
        self.apply_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel = named(QPushButton(self.tr("Cancel redemption (Esc)"), self), "wallet_cancel_button", "Cancel redemption")
        cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel.clicked.connect(vm.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary_label, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.apply_button)
        hint = QLabel(self.tr("↑/↓ move · Space selects or unselects · Enter applies · Esc cancels"), self)
        hint.setStyleSheet("color: #666;")
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

    def redraw(self) -> None:
        vm = self._vm
        current = self.offer_list.currentItem().data(ID_ROLE) if self.offer_list.currentItem() else None
        if vm.phone is not None:
            points = self.tr("points hidden by the brand") if vm.balance is None else format_points(vm.balance)
            self.header_label.setText(self.tr("Wallet of {phone} · {points}").format(phone=vm.phone.masked, points=points))
        self.offer_list.clear()
        self.unusable_list.clear()
        cart = vm.cart_total
        for offer in vm.offers:
            d = offer.discount
            bits = []
            if d.value_text:
                bits.append(d.value_text)
            if d.percentage_value and cart is not None:
                bits.append(self.tr("{amount} on this sale").format(amount=format_money(amount_off(d, cart))))
            bits.append(format_points(d.points))
            if d.pos_discount_id:
                bits.append(self.tr("POS ID {id}").format(id=d.pos_discount_id))
            if offer.usable:
                mark = "☑" if d.id in vm.selected_ids else "☐"
                item = QListWidgetItem(f"{mark}  {d.name}\n      " + " · ".join(bits))
                item.setData(ID_ROLE, d.id)
                item.setData(Qt.ItemDataRole.AccessibleTextRole,
                             ("selected: " if d.id in vm.selected_ids else "") + d.name)
                if d.id in vm.selected_ids:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.offer_list.addItem(item)
                if d.id == current:
                    self.offer_list.setCurrentItem(item)
            else:
                item = QListWidgetItem(f"{d.name} — {offer.reason}")
                item.setData(ID_ROLE, d.id)
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
