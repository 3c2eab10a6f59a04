"""The Redemptions window's "Shift report" tab: a day's figures per staff member, what is unusual
(each flag opens to the events behind it), and the report on paper, as PDF, as CSV, and checked
against AIQ's own redemption report.

The day picker starts on today in the store's zone (the app's one clock) and cannot go past it.
The Shift chooser next to it offers "Whole day" and each shift of that day (a sign-in to its
sign-out, times in the store's zone); choosing one shows only that person's events in its hours,
and its paper, PDF and CSV are titled with the shift.
Every dialog (print, save) is opened with open(), never exec(): the event loop keeps running.
A CSV is never written over a file that is there (the view model refuses and says so), so the
file dialog does not ask about replacing one.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.messages import Level
from budtender_app.domain.shift_text import COLUMNS, figure_cells, flag_lines
from budtender_app.ui.common.printing import open_print_dialog
from budtender_app.ui.common.widgets import MessageLabel, named
from budtender_app.ui.manager.hub_choice import HubReportRun, joined_hub
from budtender_app.ui.manager.report_print import print_report, render_report_pdf
from budtender_app.ui.receipt.receipt_view import documents_folder
from budtender_app.viewmodels.hub_reports import HubReports
from budtender_app.viewmodels.shift_report import ShiftReportViewModel, report_file_name

log = logging.getLogger("budtender_app.ui.manager.report_tab")


class ReportTab(QWidget):
    """Day, paper size, the per-staff table, the flags with their events, and the actions."""

    def __init__(self, vm: ShiftReportViewModel, parent: QWidget | None = None, *,
                 hub: HubReports | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self._hub = joined_hub(hub)  # "Whole store (hub)" when a hub is joined (issue 15)
        self.hub_run: HubReportRun | None = None
        self.file_dialog: QFileDialog | None = None
        self.print_dialog: QPrintDialog | None = None
        self._printer: QPrinter | None = None
        self._build()
        vm.report_changed.connect(self.redraw)
        vm.check_changed.connect(self._on_vm_check_changed)
        vm.message_changed.connect(self.message_label.show_message)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        vm.load(self.day())

    def _build(self) -> None:
        self.message_label = MessageLabel("report_message_label", self)
        top = self._build_top()
        self._build_table()
        self._build_flags()
        self.notes_label = named(QLabel(self), "report_notes_label", "What the figures leave out")
        self.notes_label.setWordWrap(True)
        self.check_label = named(QLabel(self), "report_check_label", "What AIQ's report shows")
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.flags_tree, 1)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.check_label)
        layout.addWidget(self.message_label)
        layout.addLayout(self._build_buttons())

    def _build_top(self) -> QHBoxLayout:
        """The day, the shift and the paper, in one row."""
        today = self._vm.today()
        self.date_edit = named(QDateEdit(QDate(today.year, today.month, today.day), self), "report_date_edit",
                               "Day of the report")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.date_edit.setMinimumWidth(150)
        self.date_edit.dateChanged.connect(self._on_date_edit_date_changed)
        caption = QLabel(self.tr("&Day:"), self)
        caption.setBuddy(self.date_edit)
        self.shift_combo = named(QComboBox(self), "report_shift_combo", "Shift: the whole day or one sign-in")
        self.shift_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.shift_combo.addItem(self.tr("Whole day"), None)
        self.shift_combo.currentIndexChanged.connect(self._on_shift_combo_current_index_changed)
        shift = QLabel(self.tr("S&hift:"), self)
        shift.setBuddy(self.shift_combo)
        self.paper_combo = named(QComboBox(self), "report_paper_combo", "Paper size")
        self.paper_combo.addItems([self.tr("80 mm slip"), self.tr("A4 page")])
        paper = QLabel(self.tr("&Paper:"), self)
        paper.setBuddy(self.paper_combo)
        top = QHBoxLayout()
        for widget in (caption, self.date_edit, shift, self.shift_combo, paper, self.paper_combo):
            top.addWidget(widget)
        if self._hub is not None:
            self.hub_run = HubReportRun(self._hub, self, self._vm, self.shift_combo, self.message_label, self.day)
            self.hub_run.by_register_box.toggled.connect(self.redraw)
            top.addWidget(self.hub_run.check_box)
            top.addWidget(self.hub_run.by_register_box)
        top.addStretch(1)
        return top

    def _build_table(self) -> None:
        self.table = named(QTableWidget(0, len(COLUMNS), self), "report_table", "Figures per staff member")
        # Two-word headings on two lines: eleven columns fit a 1024-pixel screen with whole names.
        self.table.setHorizontalHeaderLabels(
            [self.tr(c).replace(" ", "\n", 1).replace("-", "-\n", 1) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # as tall as its rows
        # The names' column takes what the figures leave (a long name wraps): never a sideways scroll.
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _build_flags(self) -> None:
        self.flags_tree = named(QTreeWidget(self), "report_flags_tree", "Unusual patterns and their events")
        self.flags_tree.setHeaderLabels([self.tr("Unusual (open one to see its events)")])
        self.flags_tree.setWordWrap(True)

    def _build_buttons(self) -> QHBoxLayout:
        self.check_button = self._button(self.tr("&Check with AIQ"), "report_check_button",
                                         "Check with AIQ's redemption report")
        self.print_button = self._button(self.tr("P&rint…"), "report_print_button", "Print the report")
        self.pdf_button = self._button(self.tr("Save as P&DF…"), "report_pdf_button", "Save the report as PDF")
        self.csv_button = self._button(self.tr("Save C&SV…"), "report_csv_button", "Save the report as CSV")
        self.check_button.clicked.connect(self._vm.start_check)
        self.print_button.clicked.connect(self.open_print_dialog)
        self.pdf_button.clicked.connect(lambda: self.open_file_dialog("pdf"))
        self.csv_button.clicked.connect(lambda: self.open_file_dialog("csv"))
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        for button in (self.print_button, self.pdf_button, self.csv_button):
            row.addWidget(button)
        return row

    def _button(self, text: str, object_name: str, accessible: str) -> QPushButton:
        button = named(QPushButton(text, self), object_name, accessible)
        button.setAutoDefault(False)
        return button

    # -- drawing -------------------------------------------------------------------------------

    def day(self) -> date:
        shown = self.date_edit.date()
        return date(shown.year(), shown.month(), shown.day())

    def redraw(self) -> None:
        report = self._vm.report
        # The whole store's, from the hub, may be shown one line per register instead of per person.
        by_register = bool(self._vm.registers) and self.hub_run is not None and self.hub_run.by_register
        lines = self._vm.registers if by_register else report.staff if report is not None else ()
        rows = [*lines, report.total] if report is not None else []
        if (heading := self.table.horizontalHeaderItem(0)) is not None:
            heading.setText(self.tr("Register") if by_register else self.tr("Staff"))
        self.table.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, figures in enumerate(rows):
            for c, text in enumerate(figure_cells(figures)):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r == len(rows) - 1:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        self._fit_table_height()
        self._draw_shifts()
        self._draw_flags()
        self.notes_label.setText("\n".join(report.notes) if report is not None else "")

    def _fit_table_height(self) -> None:
        """Every row shown (a day has a handful of staff); a long list scrolls past 8 rows."""
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(r) for r in range(min(self.table.rowCount(), 8)))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows
                                  + 2 * self.table.frameWidth())
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded if self.table.rowCount() > 8
                                              else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _draw_shifts(self) -> None:
        """"Whole day" and the day's shifts, the report's one chosen (without asking for it again)."""
        self.shift_combo.blockSignals(True)
        try:
            self.shift_combo.clear()
            self.shift_combo.addItem(self.tr("Whole day"), None)
            for number, label in zip((s.number for s in self._vm.shifts), self._vm.shift_labels(), strict=True):
                self.shift_combo.addItem(label, number)
            chosen = self._vm.shift_number
            self.shift_combo.setCurrentIndex(max(0, self.shift_combo.findData(chosen)) if chosen else 0)
        finally:
            self.shift_combo.blockSignals(False)

    def shift_number(self) -> int | None:
        """The shift chosen (its number), or None for the whole day."""
        data = self.shift_combo.currentData()
        return data if isinstance(data, int) else None

    def _on_shift_combo_current_index_changed(self, _index: int) -> None:
        if self.hub_run is None or not self.hub_run.chosen:
            self._vm.load(self.day(), self.shift_number())

    def _draw_flags(self) -> None:
        self.flags_tree.clear()
        report = self._vm.report
        flags = self._vm.flags
        if not flags:
            QTreeWidgetItem(self.flags_tree, [self.tr("Nothing unusual.")])
            return
        zone = report.span.zone if report is not None else None
        for flag in flags:
            top = QTreeWidgetItem(self.flags_tree, [flag.text])
            if zone is not None:
                for line in flag_lines((flag,), zone)[1:]:
                    QTreeWidgetItem(top, [line.strip()])

    def _on_vm_check_changed(self, text: str) -> None:
        self.check_label.setText(text)
        self.check_label.setVisible(bool(text))  # no empty line's gap before a check

    def _on_vm_busy_changed(self, text: str) -> None:
        self.check_button.setEnabled(not text)

    def _on_date_edit_date_changed(self, _date: QDate) -> None:
        if self.hub_run is not None and self.hub_run.chosen:
            self.hub_run.load(self.day())
            return
        self._vm.load(self.day())

    # -- paper and files -----------------------------------------------------------------------

    @property
    def a4(self) -> bool:
        return self.paper_combo.currentIndex() == 1

    def open_print_dialog(self) -> None:
        """Qt's print dialog, opened without blocking; printing happens when it is accepted."""
        if self.print_dialog is not None:
            return
        self._printer, self.print_dialog = open_print_dialog(
            self, Path(self._file_name("pdf")).stem, "report_print_dialog",
            self.tr("Print the shift report"),
            self._on_print_dialog_accepted, self._on_print_dialog_finished)

    def _on_print_dialog_accepted(self) -> None:
        if self._printer is None:
            return
        try:
            print_report(self._vm.slip(), self._printer, a4=self.a4)
        except Exception:
            log.exception("printing the shift report failed")
            self.message_label.show_message(Level.ERROR, self.tr("The report could not be printed. Try Save as PDF."))

    def _on_print_dialog_finished(self, _result: int = 0) -> None:
        if self.print_dialog is not None:
            self.print_dialog.deleteLater()
        self.print_dialog = None

    def _file_name(self, suffix: str) -> str:
        name = report_file_name(self._vm.day, suffix, training=self._vm.training, shift=self._vm.shift_number)
        return name.replace("shift-report-", "shift-report-store-") if self._vm.registers else name

    def open_file_dialog(self, suffix: str) -> None:
        """Ask where to save the report as ``suffix`` ("pdf" or "csv"), without blocking."""
        if self.file_dialog is not None:
            return
        start = str(Path(documents_folder()) / self._file_name(suffix))
        kind = self.tr("PDF (*.pdf)") if suffix == "pdf" else self.tr("CSV files (*.csv)")
        dialog = QFileDialog(self, self.tr("Save the shift report as"), start, kind)
        dialog.setObjectName(f"report_{suffix}_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix)
        # A CSV is never written over a file (the view model says so): no "replace?" to answer.
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, suffix == "csv")
        dialog.fileSelected.connect(self.save_pdf if suffix == "pdf" else self._vm.save_csv)
        dialog.finished.connect(self._on_file_dialog_finished)
        self.file_dialog = dialog
        dialog.open()

    def save_pdf(self, path: str) -> bool:
        """Write the report as PDF (the chosen paper) at ``path``."""
        try:
            render_report_pdf(self._vm.slip(), path, a4=self.a4)
        except Exception:
            log.exception("saving the shift report as PDF failed")
            self.message_label.show_message(Level.ERROR, self.tr(
                "The PDF could not be saved there. Choose another folder."))
            return False
        self.message_label.show_message(Level.INFO, self.tr("Saved the report as {path}.").format(path=path))
        return True

    def _on_file_dialog_finished(self, _result: int = 0) -> None:
        if self.file_dialog is not None:
            self.file_dialog.deleteLater()
        self.file_dialog = None
