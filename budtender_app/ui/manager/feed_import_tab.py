"""The Redemptions window's "Import files" tab: a POS's CSV export (sales, members, inventory) into AIQ.

Thin: the rules and words are FeedImportViewModel's. The file is chosen with a QFileDialog opened
with open(), never the static getOpenFileName. The work runs off the GUI thread (the view model);
the progress bar and the result list follow its signals, and Cancel stops after the batch in
flight. Closing the window cancels the same way.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.feed_mapping import FeedKind
from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import button_row
from budtender_app.ui.common.widgets import MessageLabel, named
from budtender_app.viewmodels.feed_import import KIND_LABELS, FeedImportViewModel


class FeedImportTab(QWidget):
    """Kind, file, mapping, the store's sales setting (for sales), the dry-run tick, Import / Cancel,
    the progress, and how it ended."""

    def __init__(self, vm: FeedImportViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.file_dialog: QFileDialog | None = None
        intro = QLabel(self.tr(
            "Only for a store whose POS sends AIQ nothing. If the POS reports sales to AIQ, never import them here: "
            "points would count twice. Every row is checked first, and nothing is sent while one has a problem; "
            "importing the same file again goes on where it stopped."), self)
        intro.setWordWrap(True)
        form = self._build_form()
        self._build_buttons_and_results()
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.sales_setting_label)
        layout.addLayout(button_row(self.cancel_button, self.import_button, left=(self.dry_run_check,)))
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.progress_label, 1)
        layout.addLayout(progress_row)
        layout.addWidget(self.result_label)
        layout.addWidget(self.result_list, 1)
        vm.running_changed.connect(self._on_vm_running_changed)
        vm.progress_changed.connect(self._on_vm_progress_changed)
        vm.result_changed.connect(self._on_vm_result_changed)
        self._on_kind_combo_changed(0)
        self._on_vm_running_changed(vm.running)

    def _build_buttons_and_results(self) -> None:
        self.import_button = named(QPushButton(self.tr("&Check and import"), self), "feed_import_button",
                                   "Check the file and import it")
        self.cancel_button = named(QPushButton(self.tr("Ca&ncel import"), self), "feed_cancel_button",
                                   "Cancel the import after the batch being sent")
        for button in (self.import_button, self.cancel_button):
            button.setAutoDefault(False)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.cancel_button.clicked.connect(self._vm.cancel)
        self.progress_bar = named(QProgressBar(self), "feed_progress_bar", "Import progress")
        self.progress_label = named(QLabel(self), "feed_progress_label", "Import progress in words")
        self.result_label = MessageLabel("feed_result_label", self)
        for label in (self.progress_label, self.result_label):  # they carry the file's name: never markup
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_list = named(QPlainTextEdit(self), "feed_result_list", "Problems and refused batches")
        self.result_list.setReadOnly(True)
        self.result_list.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Always there (it holds the tab's room): empty, it says what will show in it.
        self.result_list.setPlaceholderText(self.tr("Rows with problems and batches AIQ refused are listed here."))

    def _build_form(self) -> QFormLayout:
        self.kind_combo = named(QComboBox(self), "feed_kind_combo", "What the file holds")
        for kind, label in KIND_LABELS.items():
            self.kind_combo.addItem(self.tr(label), kind)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_combo_changed)
        self.path_edit = named(QLineEdit(self), "feed_path_edit", "CSV file to import")
        self.path_edit.setPlaceholderText(self.tr("The POS's export, saved as CSV UTF-8"))
        self.browse_button = named(QPushButton(self.tr("&Browse…"), self), "feed_browse_button", "Choose the file")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.browse_button)
        self.mapping_combo = named(QComboBox(self), "feed_mapping_combo", "Column mapping")
        # The store's own setting (F12), shown, not a second switch: a sales import follows it.
        self.sales_setting_label = MessageLabel("feed_sales_setting_label", self)
        self.dry_run_check = named(QCheckBox(self.tr("&Dry run: check every row, send nothing"), self),
                                   "feed_dry_run_check", "Dry run")
        form = QFormLayout()
        form.addRow(self._caption(self.tr("&File holds:"), self.kind_combo), self.kind_combo)
        form.addRow(self._caption(self.tr("CS&V file:"), self.path_edit), where)
        form.addRow(self._caption(self.tr("Column &mapping:"), self.mapping_combo), self.mapping_combo)
        return form

    def _caption(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def cancel_on_close(self, _result: int = 0) -> None:
        """The window closed: an import running stops after the batch in flight."""
        self._vm.cancel()

    @property
    def kind(self) -> FeedKind:
        return self.kind_combo.currentData()

    def _on_kind_combo_changed(self, _index: int) -> None:
        self.mapping_combo.clear()
        self.mapping_combo.addItem(self.tr("None: the header uses AIQ's field names"), "")
        for name in self._vm.mapping_names(self.kind):
            self.mapping_combo.addItem(name, name)
        self._show_sales_setting()

    def _show_sales_setting(self) -> None:
        if self.kind is not FeedKind.SALES:
            self.sales_setting_label.show_message(Level.CLEAR, "")
            return
        level = Level.INFO if self._vm.sales_allowed() else Level.WARNING
        self.sales_setting_label.show_message(level, self._vm.sales_setting_text())

    def showEvent(self, event: QShowEvent) -> None:  # the setting may have changed in F12 since
        super().showEvent(event)
        self._show_sales_setting()

    def _on_browse_button_clicked(self) -> None:
        dialog = QFileDialog(self, self.tr("The POS's CSV export"), self.path_edit.text(),
                             self.tr("CSV files (*.csv);;All files (*)"))
        dialog.setObjectName("feed_file_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._on_file_dialog_file_selected)
        self.file_dialog = dialog
        dialog.open()  # never exec(): the event loop keeps running

    def _on_file_dialog_file_selected(self, path: str) -> None:
        self.path_edit.setText(path)
        self.import_button.setFocus()

    def _on_import_button_clicked(self) -> None:
        self.result_list.clear()
        self.result_label.show_message(Level.CLEAR, "")
        self._vm.start(self.kind, self.path_edit.text().strip(), self.mapping_combo.currentData() or "",
                       dry_run=self.dry_run_check.isChecked())

    def _on_vm_running_changed(self, running: bool) -> None:
        for widget in (self.kind_combo, self.path_edit, self.browse_button, self.mapping_combo,
                       self.dry_run_check, self.import_button):
            widget.setEnabled(not running)
        if not running:
            self._show_sales_setting()
        self.cancel_button.setEnabled(running)
        self.progress_bar.setVisible(running or self.progress_bar.value() > 0)

    def _on_vm_progress_changed(self, done: int, total: int, text: str) -> None:
        if done >= 0:
            self.progress_bar.setRange(0, max(total, 0))  # 0..0: moving, while the file is checked
            self.progress_bar.setValue(done)
            self.progress_bar.setVisible(True)
        self.progress_label.setText(text)

    def _on_vm_result_changed(self, level: str, summary: str, lines: list) -> None:
        self.result_label.show_message(level, summary)
        self.result_list.setPlainText("\n".join(str(line) for line in lines))
        if self.progress_bar.maximum() == 0:  # it ended while checking: no batches to show
            self.progress_bar.setVisible(False)
            self.progress_label.setText("")
