"""The auditors' export: the audit trail of whole local days as CSV, its hash chain checked first.

Held by the manager's PendingViewModel (its Export tab). It exports even when the chain is
broken (auditors must see what is there) and says so, loudly. In training the file's name and its
first line say TRAINING (``export_file_name``, ``services/journal/export.training_file``).
"""

from __future__ import annotations

import logging
import os
from datetime import date

from PySide6.QtCore import QObject

from budtender_app.domain.messages import Level
from budtender_app.services.journal import Journal
from budtender_app.services.journal.export import training_file
from budtender_app.viewmodels.operation import MessageLine

# The manager window's log, as before this was split out of it.
log = logging.getLogger("budtender_app.viewmodels.pending")


def export_file_name(day: date, *, training: bool = False) -> str:
    """The export's suggested file name; a training one starts with TRAINING."""
    return ("TRAINING-" if training else "") + f"aiq-redemptions-audit-{day.isoformat()}.csv"


class AuditExport(QObject):
    """Writes the CSV and says on the manager's message line what was written.

    ``training``: the journal is training's, so the file says TRAINING above its header."""

    def __init__(self, journal: Journal, line: MessageLine, parent: QObject | None = None, *,
                 training: bool = False) -> None:
        super().__init__(parent)
        self._journal = journal
        self._line = line
        self.training = training

    def export_csv(self, path: str | os.PathLike[str], since: date,
                   until: date | None = None) -> tuple[int, bool] | None:
        """The audit trail of whole local days ``since``..``until`` as CSV. Checks the hash chain
        first and exports anyway (auditors must see what is there), saying when it is broken.
        Returns (events written, chain intact), or None when nothing was written."""
        if not os.fspath(path).strip():
            self._line.say(Level.ERROR, self.tr("Choose where to save the CSV file."))
            return None
        if until is not None and until < since:
            self._line.say(Level.ERROR, self.tr("The end date is before the start date."))
            return None
        report = self._journal.verify_chain()
        try:
            count = self._write(path, since, until)
        except OSError as exc:
            self._line.say(Level.ERROR, self.tr("Cannot write {path}: {why}. Nothing was exported.").format(
                path=os.fspath(path), why=exc.strerror or exc))
            return None
        span = f"{since} – {until}" if until else self.tr("{since} – now").format(since=since)
        done = self.tr("Exported {n} audit events ({span}) to {path}.").format(n=count, span=span, path=os.fspath(path))
        if self.training:
            done = self.tr("TRAINING: ") + done
        if report.ok:
            self._line.say(Level.INFO, done + " " + self.tr("The audit trail checks out: its hash chain is unbroken."))
        else:
            log.warning("export with a broken audit chain: %s", report)
            self._line.say(Level.ERROR, done + " " + self.tr(
                "WARNING: the audit trail has been altered at row {row} ({problem}). Tell the auditor and "
                "IT.").format(row=report.bad_id, problem=report.problem))
        return count, report.ok

    def _write(self, path: str | os.PathLike[str], since: date, until: date | None) -> int:
        if not self.training:
            return self._journal.export_csv(path, since, until)
        with training_file(path) as handle:
            return self._journal.export_csv(handle, since, until)
