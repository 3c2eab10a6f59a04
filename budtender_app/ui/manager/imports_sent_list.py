"""The "Files imported into AIQ" list under the sales sent (Sent to AIQ tab): each import of a
POS file with when, who, the file, its kind and its state. Draws ImportsSentViewModel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from budtender_app.ui.common.style import UNSENT_COLOR, UNSURE_COLOR
from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.decision_widgets import EntryTable
from budtender_app.viewmodels.imports_sent import ImportsSentViewModel

_FILE_COLUMN, _STATE_COLUMN = 2, 4
_FILE_WIDTH = 200  # a long name is cut (its tooltip holds it whole) rather than widening the window


class ImportsSentList(QWidget):
    """The heading and the table of imports."""

    def __init__(self, vm: ImportsSentViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.heading_label = QLabel(self)
        self.heading_label.setObjectName("imports_sent_heading_label")
        self.heading_label.setWordWrap(True)
        self.table = named(EntryTable([self.tr("When"), self.tr("Who"), self.tr("File"), self.tr("What"),
                                       self.tr("State")], self), "imports_sent_table", "Files imported into AIQ")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(_STATE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(_FILE_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(_FILE_COLUMN, _FILE_WIDTH)
        self.table.setWordWrap(True)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading_label)
        layout.addWidget(self.table, 1)
        vm.changed.connect(self.redraw)
        vm.refresh()

    def redraw(self) -> None:
        self.heading_label.setText(self._vm.heading())
        self.table.setRowCount(len(self._vm.rows))
        for row, summary in enumerate(self._vm.rows):
            for column, text in enumerate(self._vm.cells(summary)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, summary.id)
                if column in (_FILE_COLUMN, _STATE_COLUMN):
                    item.setToolTip(text)
                if column == _STATE_COLUMN and (summary.refused or summary.waiting):
                    item.setForeground(UNSURE_COLOR if summary.refused else UNSENT_COLOR)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
