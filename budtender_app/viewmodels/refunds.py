"""Giving points back from the Redemptions window: one line, or a whole POS transaction.

An object the pending view model holds (composition, as pin_steps.py for the counter): it reads
the decision and says the outcome through that view model, and sends each line through the
sender (E10), so a line given back meanwhile is refused by the journal's rules, never sent twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from budtender_app.domain.actor import Actor
from budtender_app.domain.messages import Level
from budtender_app.services.journal import JournalEntry, JournalError

if TYPE_CHECKING:  # the view model builds this object
    from budtender_app.viewmodels.pending import PendingViewModel


class GiveBack:
    """The refund tab's sends for one PendingViewModel."""

    def __init__(self, vm: PendingViewModel) -> None:
        self._vm = vm

    async def reverse(self, entry_id: int, reason: str, manager: str = "") -> None:
        """Give a redeemed line's points back (E10) through the sender: at most once."""
        decided = self._vm._decided(entry_id, None, reason, manager)
        if decided is None:
            return
        entry, reason, approver = decided
        problem = self._vm.words.refund_problem(entry)
        if problem or self._vm.busy:
            self._vm._say(*(problem or (Level.ERROR, self._vm._wait_text())))
            return
        with self._vm._sending(self._vm.tr("Giving {points:,} points back for '{name}'…").format(
                points=entry.points, name=entry.discount_name)):
            try:
                level, text = self._vm.words.give_back_outcome(await self._give_back(entry, reason, approver))
            except JournalError as exc:
                level, text = Level.ERROR, str(exc)
        self._vm._say(level, text)

    async def reverse_all(self, transaction_id: str, reason: str, manager: str = "") -> None:
        """Give back every line of the transaction that can be (``refund_plan``), each through the
        sender and so at most once; the lines already given back or not redeemed are skipped."""
        decided = self._vm._decision(reason, manager)
        if decided is None or self._vm._busy_said():
            return
        plan = self._vm.refund_plan(transaction_id)
        if not plan.to_give:
            self._vm._say(Level.INFO, self._vm.words.nothing_to_give_back(plan))
            return
        with self._vm._sending(self._vm.words.giving_back(plan)):
            try:
                ended = [await self._give_back(entry, *decided) for entry in plan.to_give]  # one by one
                level, text = self._vm.words.whole_refund_outcome(plan, ended)
            except JournalError as exc:
                level, text = Level.ERROR, str(exc)
        self._vm._say(level, text)

    async def _give_back(self, entry: JournalEntry, reason: str, approver: Actor) -> JournalEntry:
        self._vm._record("refund_requested", entry, f"give back {entry.points} points, by {approver}: {reason}",
                         approver)
        ended = await self._vm._sender.reverse(entry.id, staff=self._vm.acting(), approver=approver)
        if self._vm.sales_sent is not None:  # the store feeds AIQ its sales: a sale given back whole is refunded
            self._vm.sales_sent.after_give_back(entry.transaction_id)
        return ended

