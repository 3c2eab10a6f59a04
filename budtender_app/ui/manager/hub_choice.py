""""Whole store (hub)" in the Export tab and the Shift report tab (issue 15), when a hub is joined.

The tabs keep their own form; this adds the box and runs the store-wide work through
``HubReports`` (a worker thread: the window keeps answering), showing the rows written as they go
and the end in the tab's result line. While it runs, the tab's button is off and Stop is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.style import set_level
from budtender_app.ui.common.widgets import MessageLabel, named
from budtender_app.viewmodels.hub_reports import HubReports
from budtender_app.viewmodels.shift_report import ShiftReportViewModel

if TYPE_CHECKING:  # psycopg comes with it: imported only when a hub report runs
    from budtender_app.viewmodels.hub_reports import HubShiftReport


def joined_hub(hub: HubReports | None) -> HubReports | None:
    """``hub`` when this terminal joined one (the tabs offer the box then), else None."""
    return hub if hub is not None and hub.joined() else None


def hub_check_box(parent: QWidget, object_name: str, text: str) -> QCheckBox:
    """The "Whole store (hub)" box, named for tests and screen readers."""
    return named(QCheckBox(text, parent), object_name, "Every register of the store, from the store hub")


class HubExportRun(QObject):
    """The Export tab's store-wide export: its box, its Stop button, its progress and end."""

    ended = Signal()  # the tab shows how the export ended (on the GUI thread)

    def __init__(self, hub: HubReports, tab: QWidget, button: QPushButton, result: QLabel) -> None:
        super().__init__(tab)
        self._hub = hub
        self._button = button
        self._result = result
        self.check_box = hub_check_box(tab, "export_hub_check", self.tr(
            "&Whole store (hub): every register's events, from the store hub"))
        self.stop_button = named(QPushButton(self.tr("S&top"), tab), "export_hub_stop_button",
                                 "Stop the export from the store hub")
        self.stop_button.setAutoDefault(False)
        self.stop_button.hide()
        self.stop_button.clicked.connect(hub.cancel)
        hub.export_progress.connect(self._on_hub_export_progress)
        hub.export_done.connect(self._on_hub_export_done)
        hub.message_changed.connect(self._on_hub_message_changed)

    @property
    def chosen(self) -> bool:
        return self.check_box.isChecked()

    def start(self, path: str, since: date, until: date | None) -> None:
        """The tab asked about a file that is there already: what reaches here may replace it."""
        if not self._hub.start_export(path, since, until, replace=True):
            return
        self._button.setEnabled(False)
        self.check_box.setEnabled(False)
        self.stop_button.show()
        self._show(Level.CLEAR, self.tr("Exporting from the store hub…"))

    def _on_hub_export_progress(self, rows: int) -> None:
        self._show(Level.CLEAR, self.tr("Exporting from the store hub… {n} events written.").format(n=f"{rows:,}"))

    def _on_hub_export_done(self, level: str, text: str) -> None:
        self._button.setEnabled(True)
        self.check_box.setEnabled(True)
        self.stop_button.hide()
        self._show(Level(level), text)
        self.ended.emit()

    def _on_hub_message_changed(self, level: str, text: str) -> None:
        if self.chosen:
            self._show(Level(level), text)

    def _show(self, level: Level, text: str) -> None:
        self._result.setText(text)
        set_level(self._result, level)



class HubReportRun(QObject):
    """The Shift report tab's whole-store report: its box; the report read in a worker thread and
    shown in the tab when it comes, per staff member or (By register) per register. The day's shifts are a
    register's: the Shift chooser is off while the box is ticked."""

    def __init__(self, hub: HubReports, tab: QWidget, vm: ShiftReportViewModel, shift_combo: QComboBox,
                 message: MessageLabel, day: Callable[[], date]) -> None:
        super().__init__(tab)
        self._hub, self._vm, self._shift_combo, self._message, self._day = hub, vm, shift_combo, message, day
        self._asked: date | None = None  # the day whose report is on its way
        self.check_box = hub_check_box(tab, "report_hub_check", self.tr("&Whole store (hub)"))
        self.check_box.toggled.connect(self._on_check_box_toggled)
        self.by_register_box = named(QCheckBox(self.tr("By re&gister"), tab), "report_by_register_check",
                                     "Figures per register instead of per staff member")
        self.by_register_box.setEnabled(False)  # with the whole store's report only
        hub.report_done.connect(self._on_hub_report_done)
        hub.message_changed.connect(self._on_hub_message_changed)

    @property
    def chosen(self) -> bool:
        return self.check_box.isChecked()

    @property
    def by_register(self) -> bool:
        """The table shows one line per register (the whole store's report only)."""
        return self.chosen and self.by_register_box.isChecked()

    def load(self, day: date) -> None:
        """Ask the hub for ``day``'s report of the whole store; shown when it comes."""
        if self._hub.start_report(day):
            self._asked = day
            self.check_box.setEnabled(False)
            self._message.show_message(Level.CLEAR, self.tr("Reading every register's events from the store hub…"))

    def _on_check_box_toggled(self, checked: bool) -> None:
        self._shift_combo.setEnabled(not checked)
        self.by_register_box.setEnabled(checked)
        if checked:
            self.load(self._day())
        else:
            self._vm.load(self._day())  # this register's own again

    def _on_hub_report_done(self, hub: HubShiftReport | None) -> None:
        self.check_box.setEnabled(True)
        day, self._asked = self._asked, None
        if hub is None or day is None or not self.chosen:
            return
        self._message.show_message(Level.CLEAR, "")
        self._vm.show_hub(day, hub)
        if day != self._day():  # the day was changed meanwhile: that one now
            self.load(self._day())

    def _on_hub_message_changed(self, level: str, text: str) -> None:
        if self.chosen:
            self._message.show_message(Level(level), text)
