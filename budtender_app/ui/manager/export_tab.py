"""The "Export for auditors" tab: the audit trail of whole days as a CSV file.

The file dialog is a QFileDialog opened with open(), never the static getSaveFileName (which
runs its own event loop and freezes every task). The view model checks the hash chain first and
says in the window's message line how many events went out and whether the trail is intact.

A file that is already there is never replaced without asking: the file dialog confirms its own
choice (its overwrite question is kept on), and any other path that exists (the suggested one, a
typed one, or the same file a second time) is asked about inline (ConfirmStrip) before writing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import button_row
from budtender_app.ui.common.style import set_level
from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.decision_widgets import ConfirmStrip
from budtender_app.ui.manager.hub_choice import HubExportRun, joined_hub
from budtender_app.viewmodels.audit_export import export_file_name
from budtender_app.viewmodels.pending import PendingViewModel


class ExportTab(QWidget):
    """From / to dates, where to save, and Export."""

    def __init__(self, vm: PendingViewModel, parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.file_dialog: QFileDialog | None = None
        self._confirmed_path = ""  # the file dialog just asked about replacing this file
        today = today or vm.today()
        self._today = today
        intro = QLabel(self.tr(
            "Every redemption event (queued, sent, redeemed, refused, unknown, decided, given back) with its "
            "time, store, terminal, transaction, discount and points, for whole days in this computer's time "
            "zone. The audit trail is checked before the export: an edited or deleted event is reported. "
            "A value that a spreadsheet would run as a formula (it starts with = + - or @) is written with a ' "
            "in front, so opening the file runs nothing.") + (self.tr(
            "\n\nTRAINING: this is the training journal. The file's name and first line say TRAINING: it is "
            "not the store's record.") if vm.training else ""), self)
        intro.setWordWrap(True)
        form = self._build_form(today)
        self.export_button = named(QPushButton(self.tr("E&xport CSV"), self), "export_button", "Export the CSV")
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.result_label = QLabel(self)
        self.result_label.setObjectName("export_result_label")
        self.result_label.setWordWrap(True)
        self.confirm = ConfirmStrip("export", self)
        hub = joined_hub(vm.hub_reports)  # "Whole store (hub)": every register's events (issue 15)
        self.hub_run = HubExportRun(hub, self, self.export_button, self.result_label) if hub else None
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        if self.hub_run is not None:
            layout.addWidget(self.hub_run.check_box)
        layout.addLayout(button_row(*([self.hub_run.stop_button] if self.hub_run else []), self.export_button))
        layout.addWidget(self.confirm)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

    def _build_form(self, today: date) -> QFormLayout:
        self.since_edit = self._date_edit("export_since_edit", "First day", today.replace(day=1))
        self.until_edit = self._date_edit("export_until_edit", "Last day", today)
        self.path_edit = named(QLineEdit(self), "export_path_edit", "CSV file to write")
        self.path_edit.setText(str(Path.home() / export_file_name(today, training=self._vm.training)))
        self.browse_button = named(QPushButton(self.tr("&Browse…"), self), "export_browse_button",
                                   "Choose where to save")
        self.browse_button.setAutoDefault(False)
        self.path_edit.textChanged.connect(self._on_path_edit_text_changed)
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(self._caption(self.tr("&From:"), self.since_edit), self.since_edit)
        form.addRow(self._caption(self.tr("&To (included):"), self.until_edit), self.until_edit)
        form.addRow(self._caption(self.tr("&Save to:"), self.path_edit), where)
        return form

    def _date_edit(self, object_name: str, accessible: str, day: date) -> QDateEdit:
        edit = named(QDateEdit(QDate(day.year, day.month, day.day), self), object_name, accessible)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMaximumDate(QDate(self._today.year, self._today.month, self._today.day))  # the one clock
        edit.setMinimumWidth(150)
        edit.setMaximumWidth(180)
        return edit

    def _caption(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _on_browse_button_clicked(self) -> None:
        dialog = QFileDialog(self, self.tr("Save the audit trail as"), self.path_edit.text(),
                             self.tr("CSV files (*.csv)"))
        dialog.setObjectName("export_file_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, False)  # it asks before replacing a file
        dialog.fileSelected.connect(self._on_file_dialog_file_selected)
        self.file_dialog = dialog
        dialog.open()  # never exec(): the event loop keeps running

    def _on_path_edit_text_changed(self, _text: str) -> None:
        self.confirm.cancel()  # the question was about the file named before

    def _on_file_dialog_file_selected(self, path: str) -> None:
        self.path_edit.setText(path)
        self._confirmed_path = path
        self.export_button.setFocus()

    def _on_export_button_clicked(self) -> None:
        typed = self.path_edit.text().strip()
        path = str(Path(typed).expanduser()) if typed else ""
        if path and Path(path).exists() and path != self._confirmed_path:
            self.confirm.ask(self.tr("{name} is already there. Replace it with this export?").format(
                name=path), self.tr("&Yes, replace it"), lambda: self._export(path))
            return
        self._export(path)

    def _export(self, path: str) -> None:
        self.confirm.cancel()
        self._confirmed_path = ""  # a confirmation is for one write
        if self.hub_run is not None and self.hub_run.chosen:  # in a worker thread; it says how it ended
            self.hub_run.start(path, _day(self.since_edit), _day(self.until_edit))
            return
        result = self._vm.export_csv(path, _day(self.since_edit), _day(self.until_edit))
        if result is None:
            self.result_label.setText("")
            return
        count, intact = result
        self.result_label.setText(
            self.tr("Last export: {n} events, audit trail intact.").format(n=count) if intact else
            self.tr("Last export: {n} events, audit trail ALTERED: tell the auditor.").format(n=count))
        set_level(self.result_label, Level.CLEAR if intact else Level.ERROR)


def _day(edit: QDateEdit) -> date:
    shown = edit.date()
    return date(shown.year(), shown.month(), shown.day())
