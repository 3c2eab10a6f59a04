"""The Redemptions window's "Sent to AIQ" tab: each sale (and refund) this terminal fed to AIQ,
with its state; "Send again" for one AIQ refused; under it, the POS files imported into AIQ's
feeds (imports_sent_list.py). Draws SalesSentViewModel and redraws on it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget

from budtender_app.domain.sale_feed import FeedState
from budtender_app.ui.common.dialog import button_row
from budtender_app.ui.common.style import UNSENT_COLOR, UNSURE_COLOR
from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.decision_widgets import EntryTable
from budtender_app.ui.manager.imports_sent_list import ImportsSentList
from budtender_app.viewmodels.imports_sent import ImportsSentViewModel
from budtender_app.viewmodels.sales_sent import SalesSentViewModel

_STATE_COLUMN = 5


class SalesSentTab(QWidget):
    """The heading (setting on or off, counts), the list, and Send again."""

    def __init__(self, vm: SalesSentViewModel, parent: QWidget | None = None,
                 imports: ImportsSentViewModel | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self._imports = imports
        self.heading_label = QLabel(self)
        self.heading_label.setObjectName("sales_sent_heading_label")
        self.heading_label.setWordWrap(True)
        self.table = named(EntryTable([self.tr("When"), self.tr("POS ID sent"), self.tr("What"), self.tr("Total"),
                                       self.tr("Shopper"), self.tr("State")], self),
                           "sales_sent_table", "Sales sent to AIQ")
        # The state carries AIQ's reason: it takes the room left and wraps rather than widening the window.
        self.table.horizontalHeader().setSectionResizeMode(_STATE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().sectionResized.connect(self._on_header_section_resized)
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)
        self.resend_button = named(QPushButton(self.tr("Send a&gain"), self), "sales_resend_button",
                                   "Send the refused sale again")
        self.resend_button.setAutoDefault(False)
        self.resend_button.clicked.connect(self._on_resend_button_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(button_row(self.resend_button))
        self.imports_list: ImportsSentList | None = None
        if imports is not None:  # the POS files imported: what was sent, imports too
            self.imports_list = ImportsSentList(imports, self)
            layout.addWidget(self.imports_list, 1)
        vm.changed.connect(self.redraw)
        vm.refresh()

    def redraw(self) -> None:
        keep = self.table.selected_id()
        self.heading_label.setText(self._vm.heading())
        self.table.setRowCount(len(self._vm.rows))
        for row, sale in enumerate(self._vm.rows):
            for column, text in enumerate(self._vm.cells(sale)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, sale.id)
                if column == _STATE_COLUMN and sale.state is not FeedState.SENT:
                    item.setForeground(UNSURE_COLOR if sale.state is FeedState.REFUSED else UNSENT_COLOR)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self.table.select_id([s.id for s in self._vm.rows], keep)
        self._on_table_item_selection_changed()

    def showEvent(self, event: QShowEvent) -> None:  # a tab laid out while hidden had narrow columns
        super().showEvent(event)
        QTimer.singleShot(0, self, self.table.resizeRowsToContents)
        if self._imports is not None:  # a command-line import may have run since
            self._imports.refresh()

    def _on_header_section_resized(self, _index: int, _old: int, _new: int) -> None:
        self.table.resizeRowsToContents()  # a wrapped reason stays whole, no taller than it needs

    def _on_table_item_selection_changed(self) -> None:
        self.resend_button.setEnabled(self._vm.may_resend(self.table.selected_id()))

    def _on_resend_button_clicked(self) -> None:
        row_id = self.table.selected_id()
        if row_id is not None and self._vm.may_resend(row_id):
            self._vm.resend(row_id)
