"""The Redemptions window's store-wide reports from the hub (issue 15): the auditors' export of
every register, and the day's shift report per staff member and per register.

Each runs in a worker thread of its own (the hub is a network away; a year's export takes
minutes), never on the GUI thread; one at a time. The thread tells its progress (rows written)
and its end through this object's signals, which Qt queues to the GUI thread. psycopg and the
hub's services are imported only when a report runs, never at the terminal's start-up.

Built by the composition root only outside training (``hub_wiring.hub_reports``): training never
reads a real hub. With staff sign-in the file needs a manager's approval, as the local export.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Approving
from budtender_app.domain.clock import Clock
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NEEDS_MANAGER

if TYPE_CHECKING:  # psycopg comes with it: imported only when a report runs
    from budtender_app.services.hub.shift_report import HubShiftReport as HubShiftReport  # for the tabs

log = logging.getLogger("budtender_app.viewmodels.hub_reports")


class HubAccess(Protocol):
    """How to reach the joined hub: whether one is joined (no keyring, no network: cheap enough
    to ask when a window opens) and its connection arguments (password from the keyring)."""

    def joined(self) -> bool: ...

    def connect_args(self) -> dict[str, Any] | None: ...


def hub_export_file_name(day: date) -> str:
    """The store-wide export's suggested file name."""
    return f"aiq-redemptions-audit-store-{day.isoformat()}.csv"


class HubReports(QObject):
    """Runs the store-wide export or report in a worker thread; says how far it got and how it ended."""

    export_progress = Signal(int)  # rows written so far
    export_done = Signal(str, str)  # (Level, text): what was written, or why not
    report_done = Signal(object)  # the HubShiftReport, or None (then ``message`` says why)
    message_changed = Signal(str, str)  # (Level, text)

    def __init__(self, access: HubAccess, clock: Clock, parent: QObject | None = None, *,
                 approving: Approving | None = None, store: Callable[[], str] = lambda: "") -> None:
        super().__init__(parent)
        self._access = access
        self._clock = clock
        self._approving = approving
        self._store = store  # this terminal's store: the one reported on
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def joined(self) -> bool:
        """True when this terminal joined a hub (the tabs offer "Whole store (hub)" then)."""
        return self._access.joined()

    @property
    def running(self) -> bool:
        """A report or an export is under way in its thread."""
        return self._thread is not None and self._thread.is_alive()

    def start_export(self, path: str | os.PathLike[str], since: date, until: date | None, *,
                     replace: bool = False) -> bool:
        """Start the store's export of whole local days ``since``..``until`` to ``path`` (``replace``:
        the manager said yes to replacing the file there). False, said, when it cannot start."""
        if not self._may_start(os.fspath(path)):
            return False
        if until is not None and until < since:
            self._say(Level.ERROR, self.tr("The end date is before the start date."))
            return False
        self._run("export", lambda args: self._export(args, Path(path), since, until, replace))
        return True

    def start_report(self, day: date) -> bool:
        """Start reading the store's shift report of ``day`` (its local day) from the hub."""
        if self.running:
            self._say(Level.ERROR, self.tr("The store hub is still busy with the last report: wait for it."))
            return False
        self._run("report", lambda args: self._report(args, day))
        return True

    def cancel(self) -> None:
        """Stop an export under way (no file is left); the thread ends at its next rows."""
        self._stop.set()

    def wait(self, timeout: float = 30.0) -> None:
        """Until the worker thread ends (tests, quitting)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the worker thread ---------------------------------------------------------------------

    def _may_start(self, path: str) -> bool:
        if self.running:
            self._say(Level.ERROR, self.tr("An export from the store hub is under way: wait for it to end."))
            return False
        if self._approving is not None and self._approving() is None:
            log.warning("manager action refused: no manager approved it")
            self._say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return False
        if not path.strip():
            self._say(Level.ERROR, self.tr("Choose where to save the CSV file."))
            return False
        return True

    def _run(self, kind: str, work: Callable[[dict[str, Any]], None]) -> None:
        self._stop.clear()

        def body() -> None:
            try:
                args = self._access.connect_args()
                if args is None:
                    raise _Refused(self.tr("This terminal joined no hub (IT: budtender-app hub set)."))
                work(args)
            except Exception as exc:  # noqa: BLE001 - the thread's end: every failure is said, none lost
                self._failed(kind, exc)

        self._thread = threading.Thread(target=body, name="hub-report", daemon=True)
        self._thread.start()

    def _export(self, args: dict[str, Any], path: Path, since: date, until: date | None, replace: bool) -> None:
        from budtender_app.services.hub.config import connect
        from budtender_app.services.hub.export import export_hub_csv

        def progress(rows: int) -> None:
            if self._stop.is_set():
                raise _Cancelled
            self.export_progress.emit(rows)

        with connect(args) as conn:
            result = export_hub_csv(conn, path, since, until, self._clock.zone, store=self._store() or None,
                                    replace=replace, on_progress=progress)
        span = f"{since} – {until}" if until else self.tr("{since} – now").format(since=since)
        text = self.tr("Exported {n} audit events of every register ({span}) from the store hub to {path}.").format(
            n=f"{result.count:,}", span=span, path=os.fspath(path))
        if result.flagged:
            names = ", ".join(name for name, _why in result.flagged)
            log.warning("store-wide export with registers flagged on the hub: %s", names)
            self.export_done.emit(Level.ERROR, text + " " + self.tr(
                "WARNING: the hub found the audit trail of {names} altered. Tell the auditor and IT.").format(
                    names=names))
            return
        self.export_done.emit(Level.INFO, text)

    def _report(self, args: dict[str, Any], day: date) -> None:
        from budtender_app.domain.shift_report import day_range  # the report's modules load with it
        from budtender_app.services.hub.config import connect
        from budtender_app.services.hub.shift_report import make_hub_report

        with connect(args) as conn:
            hub = make_hub_report(conn, day_range(day, self._zone()), store=self._store() or None)
        self.report_done.emit(hub)

    def _zone(self) -> Any:
        zone = self._clock.local(self._clock.now()).tzinfo
        assert zone is not None  # Clock.local gives an aware time
        return zone

    def _failed(self, kind: str, exc: Exception) -> None:
        """Whatever stopped the thread, in words: the export's line, or the report's."""
        if isinstance(exc, _Cancelled):
            self.export_done.emit(Level.WARNING, self.tr("The export was stopped: nothing was written."))
            return
        if isinstance(exc, FileExistsError):
            why = self.tr("the file is already there: choose another name")
        elif isinstance(exc, OSError):
            why = exc.strerror or str(exc)
        else:
            why = " ".join(str(exc).split()) or type(exc).__name__
            log.warning("store-wide report from the hub failed: %s", why)
        why = why.rstrip(".")
        if kind == "export":
            text = self.tr("Nothing was exported from the store hub: {why}.").format(why=why)
            self.export_done.emit(Level.ERROR, text)
            return
        self._say(Level.ERROR, self.tr("The store hub's report could not be read: {why}.").format(why=why))
        self.report_done.emit(None)

    def _say(self, level: Level, text: str) -> None:
        self.message_changed.emit(level, text)


class _Cancelled(Exception):
    """The manager stopped the export."""


class _Refused(Exception):
    """No hub to ask."""
