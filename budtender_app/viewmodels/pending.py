"""The manager's redemptions window as a QObject: what is open, AIQ's report on it, the manager's
decisions, refunds (points given back) and the auditors' export.

Points move only through RedemptionSender, with the counter's rules: marked on disk before
sending, never sent twice. Every decision needs a reason and the manager who approved it; both go
to the audit trail with it. With staff sign-in that manager is ``approving()`` (their own passcode
or a signed-in manager, viewmodels/manager_approval.py) and a decision no manager approved is
refused here, whatever the window shows; without sign-in it is the name typed with the decision.
AIQ's redemption report (E11) is SEEN, not CONFIRMED (../shared/AIQ-API.md), so the wording says
what the report shows, never what AIQ did.

Actions return None (PySide6 6.12 drops a reference to a slot's returned True). The async work
runs through Operations, which keeps every task (qasync keeps none): closing the window never
drops a send.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal

from budtender_app.domain import errors
from budtender_app.domain.actor import Acting, Actor, Approving, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.loyalty import AiqRedemption
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.journal import Journal, JournalEntry, JournalError, ReversalPhase, State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.viewmodels.audit_export import AuditExport
from budtender_app.viewmodels.lazy_feed_import import LazyFeedImport
from budtender_app.viewmodels.lazy_report import LazyShiftReport
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations
from budtender_app.viewmodels.pending_words import Action, CheckKind, PendingWords, actions_for
from budtender_app.viewmodels.refund_plan import RefundLookup, RefundPlan, plan_refund
from budtender_app.viewmodels.refunds import GiveBack

if TYPE_CHECKING:  # loaded with the windows that show them: the hub's after the window shows
    from budtender_app.viewmodels.hub_reports import HubReports
    from budtender_app.viewmodels.imports_sent import ImportsSentViewModel
    from budtender_app.viewmodels.sales_sent import SalesSentViewModel
    from budtender_app.viewmodels.store_redemptions import StoreWideViewModel

log = logging.getLogger(__name__)

#: AIQ's report is searched from an hour before the row was journaled (the two clocks differ)
#: to a day after it, never past now.
REPORT_BEFORE = timedelta(hours=1)
REPORT_AFTER = timedelta(hours=24)

# The names the window imports.
CHECK, RETRY, REDEEMED, REVERSED = Action.CHECK, Action.RETRY, Action.REDEEMED, Action.REVERSED
ABANDONED = Action.ABANDONED


class ReportApi(Protocol):
    async def redemptions_between(self, start: int, end: int) -> list[AiqRedemption]: ...


class PendingViewModel(QObject):
    """Open redemptions of this store (unknown and unsent), and what a manager does about them."""

    entries_changed = Signal()
    pending_changed = Signal(int)  # how many are open: for the counter window's warning
    found_changed = Signal()  # the refund lookup's rows changed
    message_changed = Signal(str, str)  # (Level, text)
    busy_changed = Signal(str)  # progress text; "" when nothing is in flight
    check_result = Signal(int, str)  # (journal row id, what AIQ's report shows)
    busy = BusyText()  # what is in flight, in words; "" when nothing is
    message = MessageText()  # (Level, text) the screen shows now
    hub_reports: HubReports | None = None  # the store-wide reports (app.py: with a hub, outside training)
    shift_report = LazyShiftReport()  # the Shift report tab's view model, made when first opened
    #: The "Import files" tab's (app.py gives it with feed_wiring.add_feed_import); None: no tab.
    feed_import = LazyFeedImport()

    def __init__(self, journal: Journal, api: ReportApi, sender: RedemptionSender,
                 clock: Clock | None = None,
                 parent: QObject | None = None, *, training: bool = False, acting: Acting = acting_counter,
                 approving: Approving | None = None) -> None:
        super().__init__(parent)
        self._journal = journal
        self._api = api
        self._sender = sender
        self.acting = acting  # who is signed in: records each decision
        self.approving = approving  # the manager who approved (staff sign-in); None: a typed name approves
        self._clock = clock or Clock.system()  # the app's one clock (app.py)
        self._line = MessageLine(self.message_changed.emit)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed)
        self.words = PendingWords(self._clock, self)
        self.training = training  # the training journal: its export says TRAINING
        self._export = AuditExport(journal, self._line, parent=self, training=training)
        self._report_day = self._clock.today()  # the Shift report's first day (lazy_report.py)
        self.sales_sent: SalesSentViewModel | None = None  # the sales feed's list (sale_feed_wiring.py)
        self.imports_sent: ImportsSentViewModel | None = None  # the imports' list beside it (feed_wiring.py)
        self.entries: list[JournalEntry] = []
        #: Row id -> what AIQ's report showed: (CheckKind, text). Typed as text so the window may
        #: look a row up with ("", "") as its default.
        self.checks: dict[int, tuple[str, str]] = {}
        self._lookup = RefundLookup(journal, self._clock, self.words)  # the refund tab's rows
        self._refunds = GiveBack(self)  # giving points back (refunds.py): reverse, reverse_all
        self.reverse, self.reverse_all = self._refunds.reverse, self._refunds.reverse_all
        self._sending_now = False  # a send (redemption or refund) is in flight: nothing else may start
        self.store_wide: StoreWideViewModel | None = None  # every register's, when a store hub is joined
        self.refresh()

    # -- what the window shows ---------------------------------------------------------------

    def today(self) -> date:
        """The store's date now, from the app's one clock (the export's default range)."""
        return self._clock.today()

    def refresh(self) -> None:
        """Re-read the journal (this store's unknown and unsent rows, oldest first)."""
        self.entries = self._journal.pending()
        ids = {e.id for e in self.entries}
        self.checks = {k: v for k, v in self.checks.items() if k in ids}
        self.entries_changed.emit()
        self.pending_changed.emit(len(self.entries))
        if self._lookup.transaction or self._lookup.recent is not None:
            self._lookup.again()
            self.found_changed.emit()

    @property
    def found(self) -> list[JournalEntry]:
        """The refund tab's rows: a transaction's lines whose points were taken, or the Recent ones."""
        return self._lookup.rows

    @property
    def found_transaction(self) -> str:
        """The transaction the refund tab shows ("" none, or the Recent lines)."""
        return self._lookup.transaction

    def state_text(self, entry: JournalEntry) -> str:
        """The row's state in the words a manager needs."""
        return self.words.state(entry)

    def hint(self, entry: JournalEntry) -> str:
        """What to do first with an open row nobody has checked yet."""
        return self.words.hint(entry)

    def allowed_actions(self, entry: JournalEntry) -> frozenset[Action]:
        """What a manager may do with the row now: CHECK, RETRY, REDEEMED / REVERSED, ABANDONED.
        Once AIQ's report shows the redemption, sending it again is no longer offered."""
        return actions_for(entry, self.checks.get(entry.id, ("",))[0] == CheckKind.FOUND)

    @staticmethod
    def is_refund(entry: JournalEntry) -> bool:
        """The open item is giving points back (a refund), not a redemption."""
        return entry.state is State.REVERSING

    def can_give_back(self, entry: JournalEntry) -> bool:
        """A refund tab row whose points can be given back from here."""
        return entry.state is State.REDEEMED and bool(entry.contact_id)

    def when(self, moment: datetime) -> str:
        """A journal time in the store's zone (the view model's clock), to the minute."""
        return self.words.when(moment)

    def get(self, entry_id: int) -> JournalEntry | None:
        """The journal row as it is now (None when there is no such row)."""
        try:
            return self._journal.get(entry_id)
        except JournalError:
            return None

    # -- starting the async actions (what the window's buttons call) ---------------------------

    def start_check(self, entry_id: int) -> None:
        """Check AIQ's report for the row; a new check cancels one still running."""
        self._ops.replace(self.check_with_aiq(entry_id))

    def start_retry(self, entry_id: int, reason: str, manager: str) -> None:
        """Send again, in the background (``retry``)."""
        self._ops.spawn(self.retry(entry_id, reason, manager))

    def start_reverse(self, entry_id: int, reason: str, manager: str) -> None:
        """Give the points back, in the background (``reverse``)."""
        self._ops.spawn(self.reverse(entry_id, reason, manager))

    def start_reverse_all(self, transaction_id: str, reason: str, manager: str) -> None:
        """Give a whole transaction's points back, in the background (``reverse_all``)."""
        self._ops.spawn(self.reverse_all(transaction_id, reason, manager))

    async def wait_idle(self) -> None:
        """Until nothing is in flight (tests, and quitting without dropping a send)."""
        await self._ops.wait_idle()

    # -- AIQ's report ------------------------------------------------------------------------

    async def check_with_aiq(self, entry_id: int) -> None:
        """E11 around the row's time: does AIQ's report show this transaction and discount?
        Emits check_result(entry_id, text); ``checks[entry_id]`` keeps (CheckKind, text)."""
        entry = self.get(entry_id)
        if entry is None or CHECK not in self.allowed_actions(entry):
            self._say(Level.ERROR, self.tr("That redemption is no longer open."))
            self.refresh()
            return
        if self._sending_now:
            self._say(Level.ERROR, self._wait_text())
            return
        if entry.state is State.REVERSING:
            self._checked(entry_id, CheckKind.UNCLEAR, self.tr(
                "AIQ's redemption report does not list points given back. Check the shopper's points "
                "history in AIQ's dashboard before deciding."))
            return
        start, end = self._report_window(entry)
        busy = self.tr("Checking AIQ's redemption report for transaction {tx}…").format(tx=entry.transaction_id)
        try:
            with self._ops.showing(busy):
                rows = await self._api.redemptions_between(int(start.timestamp()), int(end.timestamp()))
        except errors.AiqError as exc:
            self._checked(entry_id, CheckKind.ERROR, self.words.report_error(exc))
            return
        self._checked(entry_id, *self.words.verdict(entry, rows, start, end))

    def _report_window(self, entry: JournalEntry) -> tuple[datetime, datetime]:
        start = entry.created_at - REPORT_BEFORE
        end = min(entry.created_at + REPORT_AFTER, self._clock())
        return start, max(end, entry.created_at)  # a till clock behind the journal's: still a window

    def _checked(self, entry_id: int, kind: CheckKind, text: str) -> None:
        self.checks[entry_id] = (kind, text)
        self.check_result.emit(entry_id, text)

    # -- decisions ---------------------------------------------------------------------------

    def resolve(self, entry_id: int, action: Action, reason: str, manager: str = "") -> None:
        """Mark an open row REDEEMED (AIQ's report shows it) or ABANDONED (not to be sent); for an
        unanswered refund, REVERSED (the points are back) or ABANDONED (they stay taken)."""
        decided = self._decided(entry_id, action, reason, manager)
        if decided is None:
            return
        entry, reason, approver = decided
        try:
            if entry.state is State.REVERSING:
                self._journal.resolve_reversal(entry_id, action, reason, approver, staff=self.acting())
            else:
                self._journal.resolve(entry_id, action, reason, approver, staff=self.acting())
        except (JournalError, ValueError) as exc:
            self.refresh()
            self._say(Level.ERROR, str(exc))
            return
        log.info("manager resolved redemption %s as %s", entry_id, action)
        self.refresh()
        self._say(Level.INFO, self.words.resolved(entry, action))

    async def retry(self, entry_id: int, reason: str, manager: str = "") -> None:
        """Send the row (or its refund) again, through the sender, after recording the decision."""
        decided = self._decided(entry_id, RETRY, reason, manager)
        if decided is None:
            return
        entry, reason, approver = decided
        with self._sending(self.tr("Sending '{name}' of transaction {tx} to AIQ…").format(
                name=entry.discount_name, tx=entry.transaction_id)):
            try:
                level, text = await self._send_again(entry, reason, approver)
            except JournalError as exc:
                level, text = Level.ERROR, str(exc)
        self._say(level, text)

    async def _send_again(self, entry: JournalEntry, reason: str, approver: Actor) -> tuple[Level, str]:
        journal = self._journal
        if entry.state is State.REVERSING:
            if entry.reversal_phase is ReversalPhase.UNKNOWN:
                journal.resolve_reversal(entry.id, Action.RETRY, reason, approver, staff=self.acting())
            else:
                self._record("manager_retry", entry, f"refund sent again by {approver}: {reason}", approver)
            return self.words.give_back_outcome(await self._sender.reverse(
                entry.id, staff=self.acting(), approver=approver))
        if entry.state is State.UNKNOWN:
            entry = journal.resolve(entry.id, Action.RETRY, reason, approver, staff=self.acting())
        else:  # queued: no state to change, but the decision still goes on the record
            self._record("manager_retry", entry, f"sent again by {approver}: {reason}", approver)
        return self.words.send_outcome(await self._sender.redeem(entry))

    # -- refunds and voids -------------------------------------------------------------------

    def find_redeemed(self, transaction_id: str) -> list[JournalEntry]:
        """This store's lines of a POS transaction whose points were taken (redeemed, being given
        back, or given back). Also kept in ``found`` for the window. The ID follows checkout's rule
        (RefundLookup.find), so no sale is refundable by a different rule."""
        self._say(*self._lookup.find(transaction_id))
        self.found_changed.emit()
        return list(self.found)

    def find_recent(self, last4: str = "", day: date | None = None) -> list[JournalEntry]:
        """This store's redeemed lines of ``day`` (else of the last days), newest first, of the
        shopper whose phone ends with ``last4`` ("" any). Also kept in ``found`` for the window."""
        self._say(*self._lookup.find_recent(last4, day))
        self.found_changed.emit()
        return list(self.found)

    def refund_plan(self, transaction_id: str) -> RefundPlan:
        """What giving back the whole transaction would do now (its preview)."""
        return plan_refund(transaction_id, self._journal.for_transaction(transaction_id), self.words.skip_reason)

    # -- the auditors' export ----------------------------------------------------------------

    def export_csv(self, path: str | os.PathLike[str], since: date,
                   until: date | None = None) -> tuple[int, bool] | None:
        """The audit trail of whole local days ``since``..``until`` as CSV (AuditExport.export_csv):
        (events written, chain intact), or None when nothing was written. With staff sign-in only
        for a manager's approval (the file holds every shopper's masked phone and every decision)."""
        if self.approving is not None and self.approving() is None:
            log.warning("manager action refused: no manager approved it")
            self._say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return None
        return self._export.export_csv(path, since, until)

    # -- plumbing ----------------------------------------------------------------------------

    def _decided(self, entry_id: int, action: Action | None, reason: str,
                 manager: str) -> tuple[JournalEntry, str, Actor] | None:
        """The row and the decision's (reason, approver) when both may go ahead (``action`` None:
        any row); else says why and returns None."""
        decided = self._decision(reason, manager)
        if decided is None:
            return None
        entry = self.get(entry_id) if action is None else self._open_row(entry_id, action)
        return None if entry is None else (entry, *decided)

    def _wait_text(self) -> str:
        return self.tr("Wait until this finishes: {busy}").format(busy=self.busy)

    def approver_name(self) -> str:
        """Who approves the decisions now ("" when none has, or a typed name approves)."""
        approver = self.approving() if self.approving is not None else None
        return approver.name if approver is not None else ""

    def _decision(self, reason: str, manager: str) -> tuple[str, Actor] | None:
        """(reason, the manager approving) when a decision may go on the record; else says why."""
        reason, manager = (reason or "").strip(), (manager or "").strip()
        approver = Actor.typed(manager) if self.approving is None else self.approving()
        if approver is None:
            log.warning("manager action refused: no manager approved it")
            self._say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return None
        problem = self.words.decision_problem(reason, approver.name)
        if problem:
            self._say(Level.ERROR, problem)
            return None
        return reason, approver

    def _busy_said(self) -> bool:
        """Something is in flight (and the manager was told to wait)."""
        if self.busy:
            self._say(Level.ERROR, self._wait_text())
        return bool(self.busy)

    def _open_row(self, entry_id: int, action: Action) -> JournalEntry | None:
        """The row when ``action`` is allowed on it now; else says why and returns None."""
        if self._busy_said():
            return None
        entry = self.get(entry_id)
        if entry is not None and action == RETRY and self.checks.get(entry_id, ("",))[0] == CheckKind.FOUND:
            self._say(Level.ERROR, self.tr("AIQ's report shows this redemption: mark it redeemed instead of "
                                           "sending it again."))
            return None
        if entry is None or action not in self.allowed_actions(entry):
            self.refresh()
            self._say(Level.ERROR, self.tr("That is not possible for this redemption any more: it is now '{state}'.")
                      .format(state=self.state_text(entry) if entry else "?"))
            return None
        return entry

    def _record(self, event: str, entry: JournalEntry, detail: str, approver: Actor) -> None:
        """An audit event of the manager's decision: the person signed in did it, ``approver`` approved."""
        pos = f", POS {entry.pos_discount_id}" if entry.pos_discount_id else ""
        self._journal.record_event(event, staff=self.acting(), approver=approver,
                                   transaction_id=entry.transaction_id,
                                   detail=f"'{entry.discount_name}'{pos}: {detail}")

    @contextlib.contextmanager
    def _sending(self, busy: str) -> Iterator[None]:
        """A send (redemption or refund) in flight: nothing else may start; then the rows again."""
        self._sending_now = True
        self._ops.set_busy(busy)
        try:
            yield
        finally:
            self._sending_now = False
            self._ops.set_busy("")
            self.refresh()

    def _crashed(self, exc: BaseException) -> None:
        log.error("manager action failed", exc_info=exc)

    def _say(self, level: Level, text: str) -> None:
        self._line.say(level, text)
