"""The Redemptions window's "Shift report" tab: a day's report, its paper, its CSV and AIQ's check.

Held by the PendingViewModel (``pending_vm.shift_report``). The day is the store's local day from
the app's one clock; the report is read from the journal's file on its own read-only connection
(``services/shift_report.py``: a day's events, read row by row, in a few milliseconds for a busy
day, so on the GUI thread like the window's other journal reads). The check with AIQ (E11) runs
in the background through ``Operations``, like the Pending tab's "Check with AIQ".

Each load also lists the day's shifts (``shifts``: a sign-in to its sign-out, read from the audit
trail, ``domain/shifts.py``); ``load(day, shift=N)`` is the report of shift N only (``shift``),
and its paper, CSV and file names say which shift.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from budtender_app.domain import errors
from budtender_app.domain.actor import Approving
from budtender_app.domain.clock import Clock
from budtender_app.domain.messages import Level
from budtender_app.domain.receipt import Receipt, SlipHeader
from budtender_app.domain.shift_check import Check
from budtender_app.domain.shift_flags import Flag
from budtender_app.domain.shift_report import Figures, ShiftReport, day_range
from budtender_app.domain.shift_text import check_lines, report_slip
from budtender_app.domain.shifts import Shift
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services import shift_report
from budtender_app.services.journal import Journal, JournalError
from budtender_app.services.paths import folders
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations

if TYPE_CHECKING:  # psycopg comes with it: imported only when a hub report runs
    from budtender_app.services.hub.shift_report import HubShiftReport

log = logging.getLogger("budtender_app.viewmodels.shift_report")


def report_file_name(day: date, suffix: str, *, training: bool = False, shift: int | None = None) -> str:
    """The suggested file name of a day's (or one of its shifts') report; a training one starts with TRAINING."""
    which = f"-shift-{shift}" if shift is not None else ""
    return ("TRAINING-" if training else "") + f"shift-report-{day.isoformat()}{which}.{suffix}"


class ShiftReportViewModel(QObject):
    """One day's shift report (``report``), AIQ's check of it (``check``), and their paper and CSV.

    ``api`` is AIQ's report (the app's client: the simulator in training). ``consents``: the
    consent record's file (default: this computer's, training's in training)."""

    report_changed = Signal()
    check_changed = Signal(str)  # what AIQ's report shows, in words
    message_changed = Signal(str, str)  # (Level, text)
    busy_changed = Signal(str)
    busy = BusyText()
    message = MessageText()

    def __init__(self, journal: Journal, api: shift_report.ReportApi, clock: Clock, *, training: bool = False,
                 consents: Path | None = None, parent: QObject | None = None,
                 approving: Approving | None = None, imports: Path | None = None) -> None:
        super().__init__(parent)
        self._approving = approving  # staff sign-in: the file needs a manager's approval
        self._journal = journal
        self._api = api
        self._clock = clock
        self.training = training
        self._consents = consents if consents is not None else folders().consents(training=training)
        #: The feed imports' progress file: the day's imports are counted in the report's notes.
        self._imports = imports if imports is not None else folders().feed_imports(training=training)
        self._line = MessageLine(self.message_changed.emit)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed)
        self.day = clock.today()
        self.report: ShiftReport | None = None
        self.check: Check | None = None
        self.shifts: list[Shift] = []  # the day's shifts (sign-in to sign-out), numbered from 1
        self.shift: Shift | None = None  # the one the report is of; None: the whole day
        #: The whole store's report from the hub (``show_hub``): its per-register lines; () for this register's.
        self.registers: tuple[Figures, ...] = ()
        self._hub: HubShiftReport | None = None  # that report, for its CSV

    def today(self) -> date:
        """The store's date now (the date picker's default and its last day)."""
        return self._clock.today()

    @property
    def flags(self) -> list[Flag]:
        """The report's unusual patterns (each with its events)."""
        return [f for f in (self.report.flags if self.report else ()) if isinstance(f, Flag)]

    @property
    def zone(self) -> tzinfo:
        """The store's zone (the app's one clock): what every time in the report is shown in."""
        zone = self._clock.local(self._clock.now()).tzinfo
        assert zone is not None  # Clock.local gives an aware time
        return zone

    def load(self, day: date, shift: int | None = None) -> ShiftReport | None:
        """Read ``day``'s report (the store's local day), or of its shift number ``shift`` (from
        ``shifts``; one that is not there is the whole day); None, said on the message line, when
        the journal cannot be read. AIQ's check of another report is forgotten."""
        zone = self.zone
        day_span = day_range(day, zone)
        try:
            shifts = shift_report.list_shifts(self._journal.path, day_span, self._journal.store, self._clock.now())
            chosen = next((s for s in shifts if s.number == shift), None)
            report = shift_report.make_report(self._journal.path, chosen.span(zone) if chosen else day_span,
                                              store=self._journal.store, consents=self._consents, shift=chosen,
                                              imports=self._imports)
        except (JournalError, sqlite3.Error) as exc:
            log.warning("shift report: the journal could not be read: %s", exc)
            self._line.say(Level.ERROR, self.tr("The journal could not be read for this report: {why}").format(why=exc))
            return None
        self.day, self.report, self.check, self.shifts, self.shift = day, report, None, shifts, chosen
        self.registers, self._hub = (), None
        self._line.clear()
        self.report_changed.emit()
        self.check_changed.emit(self.check_text)
        return report

    def show_hub(self, day: date, hub: HubShiftReport) -> None:
        """The whole store's report of ``day`` from the hub (viewmodels/hub_reports.py, a
        ``HubShiftReport``) in place of this register's: per staff member, and ``registers``."""
        self.day, self.report, self.check, self.shifts, self.shift = day, hub.report, None, [], None
        self.registers, self._hub = hub.registers, hub
        self._line.clear()
        self.report_changed.emit()
        self.check_changed.emit(self.check_text)

    @property
    def shift_number(self) -> int | None:
        """The number of the shift the report is of; None for the whole day."""
        return self.shift.number if self.shift is not None else None

    def shift_labels(self) -> list[str]:
        """The day's shifts, one line each ("2. Ana, 09:02–13:15 (switched)"), in the store's zone."""
        return [s.label(self.zone) for s in self.shifts]

    @property
    def check_text(self) -> str:
        """What AIQ's report showed, one line a difference ("" before a check)."""
        if self.check is None or self.report is None:
            return ""
        return "\n".join(check_lines(self.check, self.report))

    def slip(self) -> Receipt:
        """The report on paper: the receipt's header (store, terminal, printing time), TRAINING band."""
        report = self.report or self.load(self.day, self.shift_number)
        header = SlipHeader(self._journal.store, self._journal.terminal, self._clock.local(self._clock.now()),
                            self.training)
        if report is None:
            return Receipt(())
        return report_slip(report, header, self.check)

    def save_csv(self, path: str | os.PathLike[str]) -> bool:
        """The report as CSV at ``path`` (never over a file that is there); said on the message line."""
        if self._approving is not None and self._approving() is None:
            log.warning("shift report file refused: no manager approved it")
            self._line.say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return False
        if self.report is None or not os.fspath(path).strip():
            self._line.say(Level.ERROR, self.tr("Choose where to save the CSV file."))
            return False
        try:
            self._write_csv(path)
        except FileExistsError:  # shift_report.ReportFileExists too
            self._line.say(Level.ERROR, self.tr("{path} is already there: choose another name. A report never "
                                                "replaces a file.").format(path=os.fspath(path)))
            return False
        except OSError as exc:
            self._line.say(Level.ERROR, self.tr("Cannot write {path}: {why}.").format(
                path=os.fspath(path), why=exc.strerror or exc))
            return False
        self._line.say(Level.INFO, self.tr("Saved the report of {day} to {path}.").format(
            day=self.report.span.title, path=os.fspath(path)))
        return True

    def _write_csv(self, path: str | os.PathLike[str]) -> None:
        assert self.report is not None  # save_csv checked
        if self._hub is None:
            shift_report.write_csv(self.report, path, training=self.training, check=self.check)
            return
        from budtender_app.services.hub.shift_report import write_hub_csv  # psycopg: only with a hub

        write_hub_csv(self._hub, path)

    def start_check(self) -> None:
        """Check with AIQ in the background; a new check cancels one still running."""
        self._ops.replace(self.check_with_aiq())

    async def check_with_aiq(self) -> None:
        """AIQ's redemption report for the same day (E11): matched, only here, only at AIQ."""
        report = self.report or self.load(self.day, self.shift_number)
        if report is None:
            return
        try:
            with self._ops.showing(self.tr("Checking AIQ's redemption report for {day}…").format(day=self.day)):
                check = await shift_report.check_with_aiq(self._api, report)
        except errors.AiqError as exc:
            self._line.say(Level.ERROR, self.tr("AIQ's redemption report could not be read: {why}").format(why=exc))
            return
        self.check = check
        self._line.say(Level.INFO if check.agrees else Level.WARNING, check.summary() + ".")
        self.check_changed.emit(self.check_text)

    async def wait_idle(self) -> None:
        """Until the check is done (tests)."""
        await self._ops.wait_idle()

    def _crashed(self, exc: BaseException) -> None:
        log.error("the shift report's check failed", exc_info=exc)
        self._line.say(Level.ERROR, self.tr("Something went wrong checking with AIQ. Try again."))
