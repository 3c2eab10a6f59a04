"""The Redemptions window's "Whole store" view as a QObject: every register's open redemptions
and claim conflicts from the store hub, AIQ's report on them, and a manager's settlements.

Present only when this terminal joined a store hub (hub_wiring.start_hub sets
``PendingViewModel.store_wide``); this register's own rows are decided in the Pending tab, as
always. A decision about another register's row is not carried out here: only that register
holds its redemption URL and its journal is the source of truth. It goes to the hub as a
settlement request (services/hub/settlements.py) naming who decided and who approved, and the
row shows "waiting for Register 1" until that register has carried it out.

The same rules as the local window (pending.py): a manager approves (``approving``; without staff
sign-in a typed name), every decision needs a reason, sending again is not offered once AIQ's
report shows the redemption, and a decision no manager approved is refused here whatever the
window shows. AIQ's report (E11) is read with this terminal's client: it has the store's key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Signal

from budtender_app.domain import errors
from budtender_app.domain.actor import Acting, Actor, Approving, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.messages import Level
from budtender_app.domain.redact import redact
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.hub.desk import HubDesk, HubDeskError
from budtender_app.services.hub.release import Blocked
from budtender_app.services.hub.settlements import Conflict, HubRow, Settlement, new_ref
from budtender_app.services.journal import JournalError, State
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations
from budtender_app.viewmodels.pending import REPORT_AFTER, REPORT_BEFORE, ReportApi
from budtender_app.viewmodels.pending_words import MAX_REASON, Action, CheckKind, PendingWords, actions_for

log = logging.getLogger(__name__)

#: Refused redemptions stay listed this long (nothing was taken; a manager may send one again).
REFUSED_FOR = timedelta(days=7)


class StoreWideViewModel(QObject):
    """Every register's open redemptions at this store, and a manager's settlements of them."""

    rows_changed = Signal()
    message_changed = Signal(str, str)  # (Level, text)
    busy_changed = Signal(str)
    check_result = Signal(int, str)  # (row key, what AIQ's report shows)
    busy = BusyText()
    message = MessageText()

    def __init__(self, desk: HubDesk, api: ReportApi, store: Callable[[], str], clock: Clock,
                 parent: QObject | None = None, *, acting: Acting = acting_counter,
                 approving: Approving | None = None, record: Callable[..., None] | None = None) -> None:
        super().__init__(parent)
        self._record = record  # this terminal's Journal.record_event: a claim released goes on its trail
        self._desk = desk
        self._api = api
        self._store = store  # the store in use now (a profile switch moves the counter to another)
        self._clock = clock
        self.acting = acting
        self.approving = approving
        self.words = PendingWords(clock, self)
        self._line = MessageLine(self.message_changed.emit)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed)
        self.rows: list[HubRow] = []
        self.conflicts: list[Conflict] = []
        self.blocked: list[Blocked] = []  # claims held by registers silent since (release.py)
        self.read_at: datetime | None = None
        self.problem = ""  # why the hub could not be read ("" when it was)
        self.checks: dict[int, tuple[str, str]] = {}  # row key -> (CheckKind, text)
        self._keys: dict[tuple[str, int], int] = {}

    @property
    def store(self) -> str:
        return self._store()

    # -- what the window shows ---------------------------------------------------------------

    def approver_name(self) -> str:
        """Who approves the decisions now ("" when none has, or a typed name approves)."""
        approver = self.approving() if self.approving is not None else None
        return approver.name if approver is not None else ""

    def key(self, row: HubRow) -> int:
        """A number for the row that stays the same across reads (registers' row ids overlap)."""
        return self._keys.setdefault((row.terminal_id, row.id), len(self._keys) + 1)

    def row(self, key: int | None) -> HubRow | None:
        return next((r for r in self.rows if self.key(r) == key), None)

    def is_own(self, row: HubRow) -> bool:
        """This register's own row: decided in the Pending tab, as always."""
        return row.terminal_id == self._desk.terminal_id

    def allowed_actions(self, row: HubRow) -> frozenset[Action]:
        """What a manager may ask the row's register to do now (nothing while a request waits)."""
        if self.is_own(row):
            return frozenset()
        if row.waiting_ref:
            return frozenset({Action.CHECK}) & actions_for(row, False)
        found = self.checks.get(self.key(row), ("",))[0] == CheckKind.FOUND
        if row.state is State.REJECTED:  # AIQ refused it, nothing taken: it may be sent again
            return frozenset({Action.RETRY})
        return actions_for(row, found)

    def when(self, row: HubRow) -> str:
        return self.words.when(datetime.fromisoformat(row.created_at))

    def state_text(self, row: HubRow) -> str:
        """The row's state, and what waits for its register."""
        text = self.words.state(row)
        if row.waiting_ref:
            return text + " — " + self.tr("waiting for {register}: {what}").format(
                register=row.register, what=self.action_words(row.waiting_action))
        if self.is_own(row):
            return text + " — " + self.tr("this register: decide under Pending")
        return text

    def action_words(self, action: str) -> str:
        return {"redeemed": self.tr("mark redeemed"), "abandoned": self.tr("give up"),
                "retry": self.tr("send again"), "reversed": self.tr("mark points given back")}.get(action, action)

    def conflict_text(self, c: Conflict) -> str:
        """The conflict in plain words: nothing about it is resolved silently."""
        return self.tr("'{name}' of transaction {tx}: redeemed at {late} ({when}) while {holder} held the claim. "
                       "The points may have been taken twice.").format(
            name=c.discount_name, tx=c.transaction_id, late=c.register, holder=c.holder,
            when=self.words.when(c.redeemed_at))

    # -- reading the hub ---------------------------------------------------------------------

    def start_refresh(self) -> None:
        self._ops.spawn(self.refresh())

    async def refresh(self) -> None:
        """Read the store's rows and conflicts from the hub (a hub away: said, the last read kept)."""
        since = self._clock.now() - REFUSED_FOR
        try:
            with self._ops.showing(self.tr("Reading the store hub…")):
                view = await self._desk.read(self.store, since)
        except HubDeskError as exc:
            self.problem = str(exc)
            self.rows_changed.emit()
            return
        self.rows, self.conflicts, self.blocked, self.problem = view.rows, view.conflicts, view.blocked, ""
        self.read_at = self._clock.now()
        keys = {self.key(r) for r in self.rows}
        self.checks = {k: v for k, v in self.checks.items() if k in keys}
        self.rows_changed.emit()

    async def wait_idle(self) -> None:
        await self._ops.wait_idle()

    # -- AIQ's report ------------------------------------------------------------------------

    def start_check(self, key: int) -> None:
        self._ops.replace(self.check_with_aiq(key))

    async def check_with_aiq(self, key: int) -> None:
        """E11 around the row's time, read with this terminal's client (it has the store's key)."""
        row = self.row(key)
        if row is None or Action.CHECK not in self.allowed_actions(row):
            self._line.say(Level.ERROR, self.tr("That redemption cannot be checked from here now."))
            return
        created = datetime.fromisoformat(row.created_at)
        start, end = created - REPORT_BEFORE, max(min(created + REPORT_AFTER, self._clock.now()), created)
        busy = self.tr("Checking AIQ's redemption report for transaction {tx}…").format(tx=row.transaction_id)
        try:
            with self._ops.showing(busy):
                found = await self._api.redemptions_between(int(start.timestamp()), int(end.timestamp()))
        except errors.AiqError as exc:
            self._checked(key, CheckKind.ERROR, self.words.report_error(exc))
            return
        self._checked(key, *self.words.verdict(row, found, start, end))

    def _checked(self, key: int, kind: CheckKind, text: str) -> None:
        self.checks[key] = (kind, text)
        self.check_result.emit(key, text)

    # -- settlements -------------------------------------------------------------------------

    def start_decide(self, key: int, action: Action, reason: str, manager: str = "") -> None:
        self._ops.spawn(self.decide(key, action, reason, manager))

    async def decide(self, key: int, action: Action, reason: str, manager: str = "") -> None:
        """Ask the row's register to carry ``action`` out (REDEEMED, ABANDONED, RETRY, REVERSED)."""
        decided = self._decision(reason, manager)
        if decided is None:
            return
        reason, approver = decided
        row = self.row(key)
        if row is None or action not in self.allowed_actions(row) or action is Action.CHECK:
            self._line.say(Level.ERROR, self.tr("That is not possible for this redemption from here now."))
            return
        s = Settlement(new_ref(), self.store, row.terminal_id, row.id, row.transaction_id, row.discount_id,
                       action.value, reason, row.as_of_seq, self._desk.terminal_id, self._desk.terminal_name,
                       self.acting(), approver, self._clock.now())
        try:
            with self._ops.showing(self.tr("Writing the decision to the store hub…")):
                await self._desk.request(s)
        except HubDeskError as exc:
            self._line.say(Level.ERROR, str(exc))
            await self.refresh()
            return
        log.info("settlement of %s's redemption %s asked: %s", row.register, row.id, action)
        await self.refresh()
        self._line.say(Level.INFO, self.tr("Waiting for {register}: it will {what} for '{name}' (transaction {tx}) "
                                           "at its next contact with the store hub.").format(
            register=row.register, what=self.action_words(action.value), name=row.discount_name,
            tx=row.transaction_id))

    def may_withdraw(self, row: HubRow) -> bool:
        """A settlement waits for the row's register: a manager may withdraw it."""
        return bool(row.waiting_ref)

    def start_withdraw(self, key: int, reason: str, manager: str = "") -> None:
        self._ops.spawn(self.withdraw(key, reason, manager))

    async def withdraw(self, key: int, reason: str, manager: str = "") -> None:
        """Withdraw the settlement waiting for the row's register (the hub decides who wins when
        that register is carrying it out at the same moment: services/hub/withdraw.py)."""
        decided = self._decision(reason, manager)
        if decided is None:
            return
        reason, approver = decided
        row = self.row(key)
        if row is None or not self.may_withdraw(row):
            self._line.say(Level.ERROR, self.tr("No decision waits for that redemption now."))
            return
        try:
            with self._ops.showing(self.tr("Withdrawing the decision on the store hub…")):
                found = await self._desk.withdraw(row.waiting_ref, approver, reason)
        except HubDeskError as exc:
            self._line.say(Level.ERROR, str(exc))
            return
        await self.refresh()
        if found.withdrawn:
            log.info("settlement %s for %s's redemption %s withdrawn", row.waiting_ref, row.register, row.id)
            self._line.say(Level.INFO, self.tr("Withdrawn: {register} will not {what} for '{name}' (transaction "
                                               "{tx}). It may be decided again.").format(
                register=row.register, what=self.action_words(row.waiting_action), name=row.discount_name,
                tx=row.transaction_id))
            return
        self._line.say(Level.ERROR, self._not_withdrawn(row, found.why))

    def _not_withdrawn(self, row: HubRow, why: str) -> str:
        if why == "taken":
            return self.tr("Too late to withdraw: {register} is carrying it out now. Its outcome shows here once it "
                           "has (Refresh).").format(register=row.register)
        if why == "gone":
            return self.tr("That decision is not on the store hub any more.")
        return self.tr("Too late to withdraw: {register} already answered it ({what}).").format(
            register=row.register, what=why)

    def blocked_text(self, b: Blocked) -> str:
        """The silent claim in plain words: its holder may have redeemed it."""
        return self.tr("Discount {discount} of transaction {tx}: claimed at {holder} ({when}), not heard from "
                       "since, so no register may redeem it. {holder} may have redeemed it.").format(
            discount=b.discount_id, tx=b.transaction_id, holder=b.holder, when=self.words.when(b.claimed_at))

    def start_release(self, index: int, reason: str, manager: str = "") -> None:
        self._ops.spawn(self.release(index, reason, manager))

    async def release(self, index: int, reason: str, manager: str = "") -> None:
        """Release the ``index``-th silent claim: on the hub (who, why) and on this terminal's trail."""
        decided = self._decision(reason, manager)
        if decided is None:
            return
        reason, approver = decided
        if not 0 <= index < len(self.blocked):
            self._line.say(Level.ERROR, self.tr("That claim is not listed any more: press Refresh."))
            return
        b = self.blocked[index]
        try:
            with self._ops.showing(self.tr("Releasing the claim on the store hub…")):
                done = await self._desk.release_claim(self.store, b, approver, reason)
        except HubDeskError as exc:
            self._line.say(Level.ERROR, str(exc))
            return
        log.info("claim of transaction %s discount %s held by %s released by a manager", b.transaction_id,
                 b.discount_id, done.holder_name)
        said = self.tr("Released: any register may redeem discount {discount} of transaction {tx} now. If {holder} did "
                       "redeem it, its next contact shows a claim conflict here.").format(
            discount=b.discount_id, tx=b.transaction_id, holder=done.holder_name)
        try:
            if self._record is not None:
                self._record("claim_released", staff=self.acting(), approver=approver, transaction_id=b.transaction_id,
                             detail=f"store hub claim of discount {b.discount_id} held by {done.holder_name} since "
                                    f"{done.claimed_at.isoformat(timespec='minutes')} released by {approver.name}: "
                                    f"{reason}")
        except JournalError as exc:
            said = self.tr("Released on the store hub (its record names {name}), but this register's journal could "
                           "not record it: {why}").format(name=approver.name, why=exc)
        await self.refresh()
        self._line.say(Level.INFO if said.startswith("Released:") else Level.ERROR, said)

    def start_settle_conflict(self, conflict_id: int, reason: str, manager: str = "") -> None:
        self._ops.spawn(self.settle_conflict(conflict_id, reason, manager))

    async def settle_conflict(self, conflict_id: int, reason: str, manager: str = "") -> None:
        """A manager checked both registers' records: the conflict is settled, by them."""
        decided = self._decision(reason, manager)
        if decided is None:
            return
        reason, approver = decided
        try:
            with self._ops.showing(self.tr("Writing to the store hub…")):
                first = await self._desk.settle_conflict(conflict_id, approver, reason)
        except HubDeskError as exc:
            self._line.say(Level.ERROR, str(exc))
            return
        await self.refresh()
        self._line.say(Level.INFO if first else Level.ERROR, self.tr("Conflict marked settled by {name}.").format(
            name=approver.name) if first else self.tr("Someone else settled that conflict meanwhile."))

    def _decision(self, reason: str, manager: str) -> tuple[str, Actor] | None:
        """(reason, the manager approving) when a decision may go ahead; else says why."""
        if self.busy:
            self._line.say(Level.ERROR, self.tr("Wait until this finishes: {busy}").format(busy=self.busy))
            return None
        # The reason goes to the hub, where every register reads it: nothing that looks secret (a phone,
        # a URL, a key pasted by mistake) leaves this terminal in it.
        reason, manager = " ".join(redact(reason or "", limit=2 * MAX_REASON).split()), (manager or "").strip()
        approver = Actor.typed(manager) if self.approving is None else self.approving()
        if approver is None:
            log.warning("manager action refused: no manager approved it")
            self._line.say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return None
        problem = self.words.decision_problem(reason, approver.name)
        if problem:
            self._line.say(Level.ERROR, problem)
            return None
        return reason, approver

    def _crashed(self, exc: BaseException) -> None:
        log.error("store-wide redemptions action failed", exc_info=exc)
