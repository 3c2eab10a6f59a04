"""The Redemptions window's "Import files" tab: a manager imports a POS's CSV export into AIQ.

Held by the PendingViewModel (``pending_vm.feed_import``, set by the app when it has a store to
send for). The window is opened behind a manager's approval, and ``start`` asks ``approving()``
again, as every manager act does. The file is checked in a worker thread (every row, with
line-numbered problems, before anything is sent); the batches then go on the app's loop with the
counter's rate limiter, the file read in a worker thread (services/feeds/importer.py), so the
window never waits. ``cancel`` stops after the batch in flight; running the same file again goes
on where it stopped. Each import that sent something goes on the audit trail with who approved it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Actor, Approving
from budtender_app.domain.feed_mapping import FeedKind, MappingError
from budtender_app.domain.feed_setting import sales_refused, sales_turned_off, setting_state
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.feeds.importer import FeedImporter, FileCheck, ImportResult, Outcome, Progress
from budtender_app.services.feeds.mappings import MappingStore
from budtender_app.services.feeds.progress import ProgressUnreadable
from budtender_app.viewmodels.operation import MessageLine, Operations

log = logging.getLogger(__name__)

#: The words for each kind, as the tab lists them.
KIND_LABELS = {FeedKind.SALES: "Sales (with line items)", FeedKind.MEMBERS: "Members",
               FeedKind.INVENTORY: "Inventory"}
_LEVELS = {Outcome.DONE: Level.INFO, Outcome.CHECKED: Level.INFO, Outcome.CANCELLED: Level.WARNING,
           Outcome.PROBLEMS: Level.ERROR, Outcome.REFUSED: Level.ERROR, Outcome.INTERRUPTED: Level.ERROR}


class FeedImportViewModel(QObject):
    """One import at a time: check, then send with progress; ``result_changed`` says how it ended.

    ``make_importer()`` builds the importer for the store in use now (its feed client, progress
    file and name); ``audit(detail, approver)`` writes the journal's audit event. ``sends_sales()``
    is the store's setting now (StoreProfile.send_sales, F12): a sales import needs it on, and
    stops at the next batch when it is turned off meanwhile. Members and inventory need no setting.
    """

    running_changed = Signal(bool)
    progress_changed = Signal(int, int, str)  # batches done, batches in all, in words
    result_changed = Signal(str, str, list)  # (Level, summary, the lines under it: problems, refusals)

    def __init__(self, make_importer: Callable[[], FeedImporter], mappings: MappingStore, store: Callable[[], str],
                 *, approving: Approving | None = None, audit: Callable[[str, Actor | None], None] | None = None,
                 sends_sales: Callable[[], bool] = lambda: False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sends_sales = sends_sales
        self._make_importer, self._mappings, self._store = make_importer, mappings, store
        self._approving, self._audit = approving, audit
        self._cancel = threading.Event()
        line = MessageLine(lambda level, text: self.result_changed.emit(level, text, []))
        self._ops = Operations(lambda _busy: None, line, on_crash=self._on_crash)  # keeps the task alive
        self.running = False

    def mapping_names(self, kind: FeedKind) -> list[str]:
        """The store's saved mappings for ``kind`` (none when the file cannot be read)."""
        try:
            return self._mappings.names(self._store(), kind)
        except MappingError:
            log.warning("the column mappings file cannot be read")
            return []

    def sales_setting_text(self) -> str:
        """What the tab says of the store's setting when the file holds sales."""
        return self.tr(setting_state(self._sends_sales()))

    def sales_allowed(self) -> bool:
        """Whether a sales file may be sent now (the store's setting is on)."""
        return self._sends_sales()

    def start(self, kind: FeedKind, path: str, mapping: str = "", *, dry_run: bool = False) -> None:
        """Check ``path`` and (unless ``dry_run``) send it, in the background (see run_import)."""
        if self.running:
            return
        self._set_running(True)  # at once: the button that started it is off before the loop turns
        self._ops.spawn(self._run(kind, path, mapping, dry_run))

    def cancel(self) -> None:
        """Stop after the batch in flight (what AIQ took stays taken; a rerun goes on)."""
        if self.running and not self._cancel.is_set():
            self._cancel.set()
            self.progress_changed.emit(-1, -1, self.tr("Cancelling after the batch being sent…"))

    async def wait_idle(self) -> None:
        """Until the import running now has ended (tests, quitting)."""
        await self._ops.wait_idle()

    async def run_import(self, kind: FeedKind, path: str, mapping: str = "", *, dry_run: bool = False) -> None:
        """The whole import; how it ended is emitted with ``result_changed``."""
        if self.running:
            return
        self._set_running(True)
        await self._run(kind, path, mapping, dry_run)

    async def _run(self, kind: FeedKind, path: str, mapping: str, dry_run: bool) -> None:
        try:
            approved, approver = self._approver()
            if not approved:
                self.result_changed.emit(Level.ERROR, self.tr(NEEDS_MANAGER), [])
            elif kind is FeedKind.SALES and not dry_run and not self._sends_sales():
                self.result_changed.emit(Level.ERROR, self.tr(sales_refused()), [])
            elif not path.strip():
                self.result_changed.emit(Level.ERROR, self.tr("Choose the CSV file to import."), [])
            else:
                await self._import(kind, Path(path), mapping, dry_run, approver)
        except Exception:  # a bug must not leave the tab stuck in "running"
            log.exception("feed import failed")
            self.result_changed.emit(Level.ERROR, self.tr("The import failed unexpectedly; see the log."), [])
        finally:
            self._set_running(False)

    def _on_crash(self, exc: BaseException) -> None:
        log.error("feed import crashed: %s", type(exc).__name__)

    def _approver(self) -> tuple[bool, Actor | None]:
        """(approved, the approving manager): no manager without staff sign-in (the window's PIN
        approved); not approved when sign-in is on and no manager approves now."""
        if self._approving is None:
            return True, None
        who = self._approving()
        if who is None:
            log.warning("feed import refused: no manager approved it")
        return who is not None, who

    async def _import(self, kind: FeedKind, path: Path, mapping_name: str, dry_run: bool,
                      approver: Actor | None) -> None:
        try:
            importer = self._make_importer()
        except ProgressUnreadable as exc:
            self.result_changed.emit(Level.ERROR, str(exc), [])
            return
        self.progress_changed.emit(0, 0, self.tr("Checking every row of {name}…").format(name=path.name))
        try:
            mapping = self._mappings.get(self._store(), mapping_name) if mapping_name else None
            check = await asyncio.to_thread(importer.check, kind, path, mapping)
        except MappingError as exc:
            self.result_changed.emit(Level.ERROR, str(exc), [])
            return
        except OSError as exc:
            self.result_changed.emit(Level.ERROR, self.tr("Cannot read {name}: {why}.").format(
                name=path.name, why=exc.strerror or exc), [])
            return
        if check.problem_count or dry_run:
            self._show_check(check)
            return
        self.progress_changed.emit(0, check.batches, self._words(Progress(check.batches)))
        result = await importer.run(check, cancel=self._cancel, on_progress=self._on_progress,
                                    hold=self._sales_hold if kind is FeedKind.SALES else None)
        self._show_result(result)
        if self._audit is not None and (result.sent_items or result.refused):
            self._audit(f"{kind.value} import of {path.name}: {result.outcome.value}, {result.sent_items} sent, "
                        f"{len(result.refused)} batches refused", approver)

    def _sales_hold(self) -> str | None:
        return None if self._sends_sales() else self.tr(sales_turned_off())

    def _on_progress(self, progress: Progress) -> None:
        self.progress_changed.emit(progress.done, progress.batches, self._words(progress))

    def _words(self, progress: Progress) -> str:
        text = self.tr("Batch {done:,} of {total:,} · {sent:,} sent").format(
            done=progress.done, total=progress.batches, sent=progress.sent_items)
        if progress.skipped_items:
            text += self.tr(" · {n:,} sent before").format(n=progress.skipped_items)
        if progress.refused:
            text += self.tr(" · {n} refused").format(n=len(progress.refused))
        return text

    def _show_check(self, check: FileCheck) -> None:
        lines = [str(p) for p in check.problems]
        if check.problem_count > len(lines):
            lines.append(self.tr("… and {n:,} more").format(n=check.problem_count - len(lines)))
        if check.problem_count:
            summary = self.tr("{name}: {n:,} {problems} in {rows:,} rows. Nothing was sent: fix the file (or the "
                              "mapping) and import it again.").format(
                name=check.path.name, n=check.problem_count, rows=check.rows,
                problems=self.tr("problem") if check.problem_count == 1 else self.tr("problems"))
            self.result_changed.emit(Level.ERROR, summary, lines)
            return
        summary = self.tr("Dry run: {name}: {rows:,} rows, every one fine: {items:,} to send in {batches}. "
                          "Nothing was sent.").format(
            name=check.path.name, rows=check.rows, items=check.items,
            batches=self.tr("1 batch") if check.batches == 1 else self.tr("{n:,} batches").format(n=check.batches))
        self.result_changed.emit(Level.INFO, summary, [])

    def _show_result(self, result: ImportResult) -> None:
        self.result_changed.emit(_LEVELS[result.outcome], result.message, [str(r) for r in result.refused])

    def _set_running(self, running: bool) -> None:
        self.running = running
        if running:
            self._cancel = threading.Event()
        self.running_changed.emit(running)
