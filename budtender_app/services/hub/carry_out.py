"""The owning terminal's side of a settlement (settlements.py): a manager at another register
decided about one of this terminal's redemptions; this terminal carries the decision out through
its own journal's decision code (``Journal.resolve``, ``resolve_reversal``, the sender for a
retry: the redemption URL is only here), at its pusher's next contact.

Exactly once: the decision's audit event carries ``[hub <ref>]`` (in its reason, so it is in the
event's detail, written in the same transaction as the move). Before acting the journal is searched
for it: found, the request was carried out before the terminal could say so (a crash, a hub that
went away) and is only marked done. A refusal changes nothing, so refusing twice is harmless.

The hub is not trusted blindly: the row must be this store's and unchanged since the manager saw
it (its last event is the request's ``as_of_seq``), the move must be one the journal allows now,
and the reason and the approving manager are checked as the local window checks them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from budtender_app.domain.actor import NAME_LIMIT, Actor
from budtender_app.domain.journal_rules import ReversalPhase, State
from budtender_app.services.hub.settlements import Settlement, is_ref, sealed
from budtender_app.services.journal import Journal, JournalEntry, JournalError, JournalWriteError

log = logging.getLogger(__name__)

MAX_REASON = 200
#: (outcome, words) for the hub: 'done' or 'refused'.
Outcome = tuple[str, str]
#: The owner's take of a request on the hub right before acting (withdraw.py): True taken, False
#: withdrawn meanwhile (do nothing), None the hub could not say (asked again at the next contact).
Take = Callable[[str], Awaitable[bool | None]]


async def _taken(_ref: str) -> bool | None:
    return True


class Sender(Protocol):
    """RedemptionSender, as far as a retry uses it."""

    async def send_queued(self, *, only: set[int] | None = None,
                          may_send: Callable[[], bool] = ...) -> list[JournalEntry]: ...

    async def reverse(self, entry_id: int, *, staff: Actor, approver: Actor | None = None) -> JournalEntry: ...


def marker(ref: str) -> str:
    """What the decision's audit event carries so it is found again."""
    return f"[hub {ref}]"


def _plain(text: str) -> str:
    """Hub text folded to one line, with no marker of its own: a reason that spelled another
    request's marker would make that one look carried out, and it would never be."""
    return " ".join(text.replace("[hub", "(hub").split())


class HubSettler:
    """Carries out the settlements addressed to this terminal, on its own (writable) journal."""

    def __init__(self, journal: Journal, sender: Sender, *, key: bytes, may_send: Callable[[], bool] = lambda: True,
                 after: Callable[[], None] = lambda: None) -> None:
        self._journal = journal
        self._key = key  # the store's key: only a request sealed with it is carried out
        self._sender = sender
        self._may_send = may_send  # never a send in the middle of the counter's checkout
        self._after = after  # the counter's count of open redemptions changed

    def done_before(self, ref: str) -> bool:
        """The journal already holds the decision of request ``ref``."""
        found = self._journal.read_one("SELECT id FROM audit WHERE instr(detail, ?) > 0 LIMIT 1", (marker(ref),))
        return found is not None

    async def carry_out(self, s: Settlement, take: Take = _taken) -> Outcome | None:
        """Carry ``s`` out once; the outcome for the hub, or None: not now (the journal could not
        write, or a send must wait for the counter's sale), asked again at the next contact, or
        withdrawn by a manager before ``take`` got it (then nothing is done here)."""
        if not is_ref(s.ref):
            return "refused", "not a settlement this terminal can read"
        if not sealed(s, self._key):  # written or edited on the hub by someone without the store's key
            log.warning("hub settlement %s is not sealed with this store's key: refused", s.ref)
            return "refused", ("not sealed with this store's key: no register of the store filed it as it stands "
                               "(or this register lacks the store's key, IT: hub staff-key)")
        if self.done_before(s.ref):
            log.info("hub settlement %s was carried out before: marked done now", s.ref)
            return "done", "carried out (the terminal stopped before it could say so)"
        try:
            entry = self._journal.get(s.entry_id)
        except JournalError:
            return "refused", "this register's journal has no such redemption"
        problem = self._problem(s, entry)
        if problem:
            return "refused", problem
        if s.action == "retry" and not self._may_send():
            return None
        taken = await take(s.ref)
        if not taken:
            if taken is False:
                log.info("hub settlement %s was withdrawn by a manager before it was carried out: nothing done",
                         s.ref)
            return None
        try:
            text = await self._act(s, entry)
        except JournalWriteError:
            log.warning("hub settlement %s waits: the journal could not write it", s.ref)
            return None
        except (JournalError, ValueError) as exc:
            return "refused", str(exc)
        log.info("hub settlement %s carried out: %s on redemption %s", s.ref, s.action, s.entry_id)
        self._after()
        return "done", text

    def _problem(self, s: Settlement, entry: JournalEntry) -> str:
        if entry.store != s.store or entry.transaction_id != s.transaction_id or entry.discount_id != s.discount_id:
            return "that is not the redemption this register has under that number"
        latest = self._journal.audit.latest_for(entry.id)
        if latest is None or latest.id != s.as_of_seq:
            return "the redemption changed here since the manager looked at it: decide again"
        refund = entry.state is State.REVERSING
        if (s.action == "reversed" and not refund) or (s.action == "redeemed" and refund):
            return f"that decision does not fit the redemption as it is now ({entry.state.value}): decide again"
        reason, manager = " ".join(s.reason.split()), s.approver.name.strip()
        if not reason or len(reason) > MAX_REASON:
            return "a decision needs a reason of at most 200 characters"
        if not manager or len(manager) > NAME_LIMIT:
            return "a decision needs the approving manager's name"
        return ""

    async def _act(self, s: Settlement, entry: JournalEntry) -> str:
        """The decision through the journal's own moves (the same as the local window's)."""
        where = _plain(s.decided_on_name)[:NAME_LIMIT]
        reason = f"{marker(s.ref)} {_plain(s.reason)} (decided at {where})"
        staff, approver = s.staff, s.approver
        journal = self._journal
        if s.action != "retry":
            if entry.state is State.REVERSING:
                done = journal.resolve_reversal(entry.id, s.action, reason, approver, staff=staff)
            else:
                done = journal.resolve(entry.id, s.action, reason, approver, staff=staff)
            return f"now {done.state.value}"
        if entry.state is State.REVERSING:
            if entry.reversal_phase is ReversalPhase.UNKNOWN:
                journal.resolve_reversal(entry.id, "retry", reason, approver, staff=staff)
            else:
                self._record(entry, reason, approver, staff)
            done = await self._sender.reverse(entry.id, staff=staff, approver=approver)
            return "points given back" if done.state is State.REVERSED else f"sent again: now {done.state.value}"
        if entry.state is State.QUEUED:
            self._record(entry, reason, approver, staff)
        else:
            journal.resolve(entry.id, "retry", reason, approver, staff=staff)
        sent = await self._sender.send_queued(only={entry.id}, may_send=self._may_send)
        return f"sent again: now {sent[0].state.value}" if sent else "queued: sent by the register's next round"

    def _record(self, entry: JournalEntry, reason: str, approver: Actor, staff: Actor) -> None:
        """A retry of a row with no state to change still goes on the record (as the local window's)."""
        pos = f", POS {entry.pos_discount_id}" if entry.pos_discount_id else ""
        self._journal.record_event("manager_retry", staff=staff, approver=approver,
                                   transaction_id=entry.transaction_id,
                                   detail=f"{reason}: '{entry.discount_name}'{pos} sent again by {approver}")
