"""The words of the manager's redemptions window: states, AIQ's report, and what a send did.

Kept apart from PendingViewModel's rules so each stays readable. A QObject only so ``self.tr``
marks every string for Qt's translation tools. AIQ's redemption report (E11) is SEEN, not
CONFIRMED (../shared/AIQ-API.md): the wording says what the report shows, never what AIQ did.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QObject

from budtender_app.domain import errors
from budtender_app.domain.clock import Clock
from budtender_app.domain.loyalty import AiqRedemption
from budtender_app.domain.messages import Level
from budtender_app.services.journal import JournalEntry, ReversalPhase, State
from budtender_app.viewmodels.refund_plan import RefundPlan, valid_last4

#: The longest manager's name and reason the audit trail takes (the window's fields say so too).
MAX_MANAGER = 40
MAX_REASON = 200


class Action(StrEnum):
    """What a manager may do with an open row (a StrEnum: the journal records it as text)."""

    CHECK = "check"
    RETRY = "retry"
    REDEEMED = "redeemed"
    REVERSED = "reversed"
    ABANDONED = "abandoned"


class CheckKind(StrEnum):
    """What AIQ's report showed about a row (a StrEnum: the window keys its colours by the text)."""

    FOUND = "found"  # the same transaction and discount: mark it redeemed, never send again
    ABSENT = "absent"  # nothing like it: sending again is safe, as far as the report shows
    UNCLEAR = "unclear"  # this discount without a transaction ID: check the dashboard
    ERROR = "error"  # the report could not be read


class RowLike(Protocol):
    """What the words and the rules read of a row: a journal row here, or another register's from
    the store hub (services/hub/settlements.HubRow, which has no AIQ contact id: "")."""

    @property
    def state(self) -> State: ...
    @property
    def reversal_phase(self) -> ReversalPhase | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def transaction_id(self) -> str: ...
    @property
    def discount_id(self) -> str: ...
    @property
    def contact_id(self) -> str: ...
    @property
    def points(self) -> int: ...


def actions_for(row: RowLike, found: bool) -> frozenset[Action]:
    """What a manager may do with an open row now (``found``: AIQ's report shows it, so sending
    it again is no longer offered): CHECK, RETRY, REDEEMED / REVERSED, ABANDONED."""
    if row.state is State.UNKNOWN:
        if found:
            return frozenset({Action.CHECK, Action.REDEEMED, Action.ABANDONED})
        return frozenset({Action.CHECK, Action.RETRY, Action.REDEEMED, Action.ABANDONED})
    if row.state is State.QUEUED:
        return frozenset({Action.CHECK, Action.RETRY, Action.ABANDONED})  # never reached AIQ: cannot be redeemed
    if row.state is State.REVERSING and row.reversal_phase is ReversalPhase.UNKNOWN:
        return frozenset({Action.CHECK, Action.RETRY, Action.REVERSED, Action.ABANDONED})
    if row.state is State.REVERSING and row.reversal_phase is ReversalPhase.QUEUED:
        return frozenset({Action.RETRY, Action.ABANDONED})
    return frozenset()


def when(moment: datetime, clock: Clock | None = None) -> str:
    """A journal time in the store's zone (the clock's; this computer's without one), to the minute."""
    local = clock.local(moment) if clock is not None else moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M")


def lines(n: int) -> str:
    """"1 line" / "3 lines"."""
    return "1 line" if n == 1 else f"{n} lines"


class PendingWords(QObject):
    """Sentences for a manager about one journal row; times in the store's zone (``clock``)."""

    def __init__(self, clock: Clock | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock

    def when(self, moment: datetime) -> str:
        """A journal time in the store's zone, to the minute."""
        return when(moment, self.clock)

    def state(self, entry: RowLike) -> str:
        """The row's state in the words a manager needs."""
        if entry.state is State.REVERSING:
            if entry.reversal_phase is ReversalPhase.UNKNOWN:
                return self.tr("Giving points back: no answer from AIQ — the points may be back")
            if entry.reversal_phase is ReversalPhase.SENDING:
                return self.tr("Giving points back: being sent now")
            return self.tr("Giving points back: not sent yet — AIQ was unreachable")
        if entry.state is State.QUEUED:
            if entry.attempts:
                return self.tr("Not sent yet — AIQ was unreachable")
            return self.tr("Not sent yet")
        return {
            State.UNKNOWN: self.tr("No answer from AIQ — points may have been taken"),
            State.SENDING: self.tr("Being sent now"),
            State.REDEEMED: self.tr("Redeemed"),
            State.REJECTED: self.tr("Refused by AIQ — no points taken"),
            State.ABANDONED: self.tr("Abandoned — not redeemed"),
            State.REVERSED: self.tr("Points given back"),
        }[entry.state]

    def hint(self, entry: JournalEntry) -> str:
        """What to do first with an open row nobody has checked yet."""
        if entry.state is State.QUEUED:
            return self.tr("This never reached AIQ, so no points were taken: send it now, or abandon it.")
        if entry.state is State.REVERSING and entry.reversal_phase is ReversalPhase.QUEUED:
            return self.tr("Giving these points back never reached AIQ: send it now, or abandon it.")
        if entry.state is State.REVERSING:
            return self.tr("Check the shopper's points history in AIQ's dashboard, then decide.")
        return self.tr("Not checked yet: press Check with AIQ before deciding.")

    def verdict(self, entry: RowLike, rows: list[AiqRedemption], start: datetime,
                end: datetime) -> tuple[CheckKind, str]:
        """(kind, text) for what AIQ's report of [start, end] shows about the row: "found" (same
        transaction and discount), "unclear" (this discount without a transaction ID) or "absent"."""
        same = [r for r in rows if r.transaction_id == entry.transaction_id and r.discount_id == entry.discount_id]
        if same:
            first = same[0]
            points = first.points if first.points is not None else entry.points
            text = self.tr("AIQ's report shows this redemption (AIQ id {id}, {points:,} points) on transaction "
                           "{tx}: mark it redeemed. Do not send it again.").format(
                id=first.id or "?", points=points, tx=entry.transaction_id)
            if len(same) > 1:
                text += " " + self.tr("It shows it {n} times: the points may have been taken more than once; "
                                      "check the shopper's history in AIQ's dashboard.").format(n=len(same))
            return CheckKind.FOUND, text
        untagged = [r for r in rows if r.discount_id == entry.discount_id and not r.transaction_id
                    and (not r.contact_id or not entry.contact_id or r.contact_id == entry.contact_id)]
        if untagged:
            shows = (self.tr("AIQ's report shows 1 redemption") if len(untagged) == 1 else
                     self.tr("AIQ's report shows {n} redemptions").format(n=len(untagged)))
            return CheckKind.UNCLEAR, shows + self.tr(
                " of this discount without a transaction ID, so it cannot tell whether one is this sale. "
                "Check the shopper's points history in AIQ's dashboard before sending it again.")
        return CheckKind.ABSENT, self.tr(
            "AIQ's report shows no redemption of this discount on transaction {tx} ({start} to {end}): "
            "sending it again is safe, as far as the report shows.").format(
            tx=entry.transaction_id, start=self.when(start), end=self.when(end))

    def report_error(self, exc: errors.AiqError) -> str:
        """Why AIQ's report could not be read, and that the manager may still decide."""
        decide = self.tr("You can still decide without it.")
        if isinstance(exc, errors.AuthRejected):
            text = self.tr("This store's API key was refused by AIQ, so its redemption report cannot be checked.")
        elif isinstance(exc, errors.NotFound):
            text = self.tr("AIQ's redemption report is not available with this store's credentials.")
        elif isinstance(exc, (errors.Unreachable, errors.CertificateProblem)):
            text = self.tr("Cannot reach AIQ to check its redemption report: {why}").format(why=exc)
        else:
            text = self.tr("AIQ's redemption report could not be read: {why}").format(why=exc)
        return f"{text} {decide}"

    def send_outcome(self, entry: JournalEntry) -> tuple[Level, str]:
        """(level, text) for a redemption a manager sent again, as it ended."""
        fields = {"name": entry.discount_name, "tx": entry.transaction_id, "points": entry.points,
                  "id": entry.aiq_redemption_id or "-", "why": entry.message}
        if entry.state is State.REDEEMED:
            return Level.INFO, self.tr("Redeemed at AIQ: '{name}' on transaction {tx}, {points:,} points "
                                       "(AIQ id {id}).").format(**fields)
        if entry.state is State.UNKNOWN:
            return Level.ERROR, self.tr("Sent, and again no answer from AIQ: the points may have been taken. "
                                        "Check with AIQ before anything else.").format(**fields)
        if entry.state is State.REJECTED:
            return Level.ERROR, self.tr("Refused by AIQ: '{name}'; no points were taken. {why}").format(**fields)
        if entry.state is State.QUEUED:
            return Level.ERROR, self.tr("Not sent: AIQ is still unreachable. No points were taken; try again "
                                        "later.").format(**fields)
        return Level.INFO, self.state(entry)

    def give_back_outcome(self, entry: JournalEntry) -> tuple[Level, str]:
        """(level, text) for points a manager gave back, as it ended."""
        fields = {"name": entry.discount_name, "tx": entry.transaction_id, "points": entry.points,
                  "why": entry.message}
        if entry.state is State.REVERSED:
            return Level.INFO, self.tr("Gave {points:,} points back for '{name}' (transaction {tx}).").format(**fields)
        if entry.state is State.REDEEMED:
            return Level.ERROR, self.tr("Refused by AIQ: the points were not given back; they stay taken. "
                                        "{why}").format(**fields)
        if entry.reversal_phase is ReversalPhase.UNKNOWN:
            return Level.ERROR, self.tr("No answer from AIQ while giving {points:,} points back: they may or may "
                                        "not be back. It is listed under Pending; check the shopper's balance "
                                        "before trying again.").format(**fields)
        return Level.ERROR, self.tr("Could not reach AIQ: the points were not given back yet. It is listed "
                                    "under Pending; try again later.").format(**fields)

    def resolved(self, entry: JournalEntry, action: Action) -> str:
        """What a manager's decision on the row did (REDEEMED, REVERSED or ABANDONED)."""
        texts = {  # (a refund?, the decision)
            (False, Action.REDEEMED): self.tr("Marked redeemed: '{name}' on transaction {tx} ({points:,} points)."),
            (False, Action.ABANDONED): self.tr("Abandoned: '{name}' on transaction {tx} will not be sent."),
            (True, Action.REVERSED): self.tr("Marked as given back: {points:,} points for '{name}' on "
                                             "transaction {tx}."),
            (True, Action.ABANDONED): self.tr("Refund abandoned: the {points:,} points for '{name}' on "
                                              "transaction {tx} stay taken."),
        }
        return texts[(entry.state is State.REVERSING, action)].format(
            name=entry.discount_name, tx=entry.transaction_id, points=entry.points)

    def refund_problem(self, entry: JournalEntry) -> tuple[Level, str] | None:
        """Why this row's points cannot be given back from here (None: they can)."""
        fields = {"name": entry.discount_name, "tx": entry.transaction_id, "points": entry.points,
                  "when": self.when(entry.updated_at)}
        if entry.state is State.REVERSED:
            return Level.INFO, self.tr("Already given back: the {points:,} points for '{name}' were given back "
                                       "on {when}. Nothing was sent.").format(**fields)
        if entry.state is State.REVERSING:
            return Level.ERROR, self.tr("Giving these points back is already under way or unanswered: see the "
                                        "Pending tab.")
        if entry.state is not State.REDEEMED:
            return Level.ERROR, self.tr("Only a redeemed discount can have its points given back.")
        if not entry.contact_id:
            return Level.ERROR, self.tr("The journal has no AIQ shopper id for '{name}', so its points cannot be "
                                        "given back from here: adjust them in AIQ's dashboard.").format(**fields)
        return None

    def skip_reason(self, entry: JournalEntry) -> str | None:
        """Why a whole-transaction refund leaves this line out, in a few words (None: it gives it back)."""
        if entry.state is State.REVERSED:
            return self.tr("already given back on {when}").format(when=self.when(entry.updated_at))
        if entry.state is State.REVERSING:
            return self.tr("being given back: see Pending")
        if entry.state is not State.REDEEMED:
            return self.tr("not redeemed")
        if not entry.contact_id:
            return self.tr("no AIQ shopper id: adjust it in AIQ's dashboard")
        return None

    def skipped_text(self, plan: RefundPlan) -> str:
        """"Skipped: '$5 off' (already given back on …)." or ""."""
        if not plan.skipped:
            return ""
        named = "; ".join(f"'{e.discount_name}' ({why})" for e, why in plan.skipped)
        return " " + self.tr("Skipped: {lines}.").format(lines=named)

    def whole_refund_question(self, plan: RefundPlan) -> str:
        """The preview a manager confirms: every line, the points together, to whom."""
        total = len(plan.to_give) + len(plan.skipped)
        fields = {"tx": plan.transaction_id, "points": plan.points, "lines": lines(len(plan.to_give)),
                  "shopper": plan.shoppers or self.tr("the shopper"), "n": len(plan.to_give), "total": total}
        if plan.skipped:
            head = self.tr("Give back {n} of {total} lines of {tx}: {points:,} points to {shopper}?")
        elif total == 1:
            head = self.tr("Give back the 1 line of {tx}: {points:,} points to {shopper}?")
        else:
            head = self.tr("Give back all {lines} of {tx}: {points:,} points to {shopper}?")
        return (head.format(**fields) + self.skipped_text(plan) + " "
                + self.tr("Only when the sale was refunded or voided in the POS."))

    def giving_back(self, plan: RefundPlan) -> str:
        """The busy text while a whole transaction's points go back."""
        return self.tr("Giving {points:,} points back for transaction {tx}…").format(
            points=plan.points, tx=plan.transaction_id)

    def nothing_to_give_back(self, plan: RefundPlan) -> str:
        """A whole refund with no line left to give back: nothing was sent, and why."""
        if not plan.skipped:
            return self.no_redeemed(plan.transaction_id)
        return (self.tr("Nothing was sent: no line of {tx} has points left to give back.").format(
            tx=plan.transaction_id) + self.skipped_text(plan))

    def whole_refund_outcome(self, plan: RefundPlan, ended: list[JournalEntry]) -> tuple[Level, str]:
        """(level, text) for a whole transaction given back: what came back, each failure, the skipped."""
        back = [e for e in ended if e.state is State.REVERSED]
        text = self.tr("Gave {points:,} points back for {lines} of {tx}.").format(
            points=sum(e.points for e in back), lines=lines(len(back)), tx=plan.transaction_id)
        failed = [e for e in ended if e.state is not State.REVERSED]
        for entry in failed:
            text += " " + f"'{entry.discount_name}': " + self.give_back_outcome(entry)[1]
        return (Level.ERROR if failed else Level.INFO), text + self.skipped_text(plan)

    def no_redeemed(self, transaction_id: str) -> str:
        """A transaction with no line whose points were taken."""
        return self.tr("No redeemed discount on transaction {tx} at this store.").format(tx=transaction_id)

    def recent_problem(self, last4: str) -> str | None:
        """Why the Recent filter cannot be used as typed (None: it can)."""
        if valid_last4(last4):
            return None
        return self.tr("Type up to the last 4 digits of the shopper's phone number, digits only.")

    def nothing_recent(self, last4: str) -> str:
        """The Recent lookup found no redeemed line."""
        if last4:
            return self.tr("No redeemed discount for a shopper whose phone ends in {d} in that time.").format(d=last4)
        return self.tr("No redeemed discount at this store in that time.")

    def decision_problem(self, reason: str, manager: str) -> str | None:
        """Why a decision cannot go on the audit trail as typed (stripped), or None."""
        if not reason:
            return self.tr("Type a reason: it goes on the audit trail with the decision.")
        if len(reason) > MAX_REASON:
            return self.tr("Keep the reason under {n} characters.").format(n=MAX_REASON)
        if not manager or len(manager) > MAX_MANAGER:
            return self.tr("Type your name or initials (up to {n} characters): they go on the audit trail "
                           "with the decision.").format(n=MAX_MANAGER)
        return None
