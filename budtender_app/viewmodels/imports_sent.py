"""The Redemptions window's list of POS files imported into AIQ's feeds, beside the checkout sales
sent ("Sent to AIQ" tab): each import with when, who, the file's name, its kind, its rows
sent, refused with AIQ's reasons, or not sent yet. Dry runs send nothing and are not listed.

Reads the progress file through ``read()`` (services/feeds/import_list.py): the newest imports,
bounded, so the list stays quick whatever the store imported over the years.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.clock import Clock
from budtender_app.domain.feed_imports import ImportSummary
from budtender_app.domain.feed_mapping import FeedKind

log = logging.getLogger(__name__)

KIND_WORDS = {FeedKind.SALES: "Sales", FeedKind.MEMBERS: "Members", FeedKind.INVENTORY: "Inventory"}


class ImportsSentViewModel(QObject):
    """This store's imports, newest first, for the list; ``changed`` when they may have moved."""

    changed = Signal()

    def __init__(self, read: Callable[[], list[ImportSummary]], clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read = read
        self._clock = clock
        self.rows: list[ImportSummary] = []
        self.unreadable = False

    def refresh(self) -> None:
        """Read the list again (the window opened, an import ended)."""
        try:
            self.rows, self.unreadable = self._read(), False
        except (sqlite3.Error, OSError):
            log.warning("the list of files imported into AIQ could not be read", exc_info=True)
            self.rows, self.unreadable = [], True
        self.changed.emit()

    def heading(self) -> str:
        """What the list says above itself."""
        if self.unreadable:
            return self.tr("Files imported into AIQ: the record of imports could not be read (see the log).")
        if not self.rows:
            return self.tr("Files imported into AIQ (the Import files tab, or budtender-app feed): none yet. "
                           "Dry runs send nothing and are not listed.")
        waiting = sum(1 for r in self.rows if r.waiting)
        refused = sum(1 for r in self.rows if r.refused)
        return self.tr("Files imported into AIQ, newest first: {n} listed, {refused} with batches AIQ refused, "
                       "{waiting} not finished. Dry runs are not listed.").format(
            n=len(self.rows), refused=refused, waiting=waiting)

    def cells(self, row: ImportSummary) -> list[str]:
        """One row: when (last run), who, file, kind, state."""
        when = self._clock.local(row.updated_at)
        return [f"{when:%b} {when.day} {when:%H:%M}", row.who or self.tr("not known"), row.file_name,
                self.tr(KIND_WORDS[row.kind]), row.state_text()]
