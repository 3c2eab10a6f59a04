"""A row's moves as SQL: checked against its audit trail and the journal's rules, then written
with its audit event in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from budtender_app.domain.actor import Actor, names
from budtender_app.domain.journal_rules import STARTS_A_SEND, Action, Move, State, is_final, next_move
from budtender_app.services.journal.audit import Audit, utc_text
from budtender_app.services.journal.entry import JournalEntry, safe_text, url_secrets
from budtender_app.services.journal.errors import JournalStateError, JournalTampered
from budtender_app.services.journal.proof import Proof
from budtender_app.services.journal.rows import Rows
from budtender_app.services.journal.schema import SUSPECTS

log = logging.getLogger("budtender_app.services.journal")

#: The row's last event by a person (not the terminal on its own, not IT's command line).
_LAST_PERSON = ("SELECT staff_id, staff_name, approver_id, approver_name FROM audit WHERE entry_id = ? "
                "AND fields_version >= 4 AND staff_id NOT IN (?, ?) ORDER BY id DESC LIMIT 1")


class Mover:
    """Moves the rows of one journal, writing as ``terminal`` (or the row's own, when "")."""

    def __init__(self, rows: Rows, audit: Audit, proof: Proof, *, terminal: str,
                 now: Callable[[], datetime]) -> None:
        self._rows = rows
        self._audit = audit
        self._proof = proof
        self._terminal = terminal
        self._now = now

    def move(self, entry_id: int, action: Action, *, attempts: bool = False,
             reversal_attempts: bool = False, detail: str | None = None,
             now: datetime | None = None, staff: Actor | None = None, approver: Actor | None = None,
             **sets: Any) -> JournalEntry:
        """Move row ``entry_id`` by ``action`` (JournalTampered when its state is not the one its
        trail says, JournalStateError when MOVES does not allow it); ``sets``: columns to set,
        ``attempts``/``reversal_attempts``: count one more try. ``staff`` (and ``approver``) did
        it; None: the terminal carries out the act of the row's last person (``attribution``)."""
        now = now or self._now()
        with self._rows.write() as conn:
            entry = self._rows.get(entry_id)
            move = self._allowed(entry, action)
            for key in ("message", "resolution_reason"):
                if key in sets:
                    sets[key] = safe_text(sets[key], *url_secrets(entry.redemption_url))
            sets.update(state=move.state.value, reversal_phase=move.phase.value if move.phase else None,
                        updated_at=utc_text(now))
            if is_final(move.state):
                sets["redemption_url"] = ""
            assignments = ", ".join(f"{k} = ?" for k in sets)
            if attempts:
                assignments += ", attempts = attempts + 1"
            if reversal_attempts:
                assignments += ", reversal_attempts = reversal_attempts + 1"
            # The state in the WHERE makes the move atomic even against another connection.
            cursor = conn.execute(f"UPDATE redemptions SET {assignments} WHERE id = ? AND state = ?",
                                  [*sets.values(), entry_id, entry.state.value])
            if cursor.rowcount != 1:  # pragma: no cover - BEGIN IMMEDIATE already excludes this
                raise JournalStateError(f"Redemption #{entry_id} changed underneath; nothing done.")
            updated = self._rows.get(entry_id)
            if detail is None and (attempts or reversal_attempts):
                detail = f"attempt {updated.attempts if attempts else updated.reversal_attempts}"
            if staff is None:
                staff, approver = self.attribution(updated)
            self.audit_event(move.event, updated, now, sets.get("message", "") if detail is None else detail,
                             secrets=url_secrets(entry.redemption_url), staff=staff, approver=approver)
            return updated

    def _allowed(self, entry: JournalEntry, action: Action) -> Move:
        problem = self._proof.mismatch(entry, sending=action in STARTS_A_SEND)
        if problem:
            log.error("journal row refused: %s", problem)
            raise JournalTampered(problem + " Nothing was sent or changed. IT: with the terminal closed, "
                                  "`budtender-app journal accept-fresh` puts it back as its audit trail says.")
        move = next_move(entry.state, entry.reversal_phase, action)
        if move is None:
            phase = f" (reversal {entry.reversal_phase})" if entry.reversal_phase else ""
            raise JournalStateError(
                f"Redemption #{entry.id} is {entry.state}{phase}: cannot {action.replace('_', ' ')}.")
        return move

    def resolve(self, entry_id: int, action: Action, reason: str, approver: Actor, staff: Actor) -> JournalEntry:
        """A manager's decision (a ``resolve*`` action), which needs the approving manager's name
        and a reason; ``staff`` is who recorded it (the manager, or the person signed in)."""
        reason, manager = reason.strip(), approver.name.strip()
        if not reason or not manager:
            raise ValueError("a resolution needs the manager's name and a reason")
        verdict = action.split(":", 1)[1]
        approver_id, approver_name = names(approver)
        return self.move(entry_id, action, resolved_by=manager, resolution_reason=reason,
                         approver_id=approver_id, approver_name=approver_name,
                         detail=f"{verdict} by {manager}: {reason}", staff=staff, approver=approver)

    def attribution(self, entry: JournalEntry) -> tuple[Actor, Actor | None]:
        """Who an event the terminal makes for a row by itself (a send, an answer) is for: the
        row's last event by a person (the cashier's checkout, a manager's refund or retry), else
        the row's cashier (``Actor.unknown`` for rows from before attribution)."""
        found = self._rows.conn.execute(_LAST_PERSON, (entry.id, Actor.terminal.staff_id,
                                                       Actor.command_line.staff_id)).fetchone()
        if found is None:
            return entry.staff, entry.approver
        return Actor(found[0], found[1]), Actor.from_columns(found[2], found[3])

    def audit_event(self, event: str, entry: JournalEntry, now: datetime, detail: str,
                    secrets: tuple[str, ...] = (), *, staff: Actor, approver: Actor | None = None) -> None:
        """The audit event of a change to ``entry`` (already written), in the same transaction."""
        self._audit.append(
            event, at=now, store=entry.store, terminal=self._terminal or entry.terminal,
            transaction_id=entry.transaction_id, discount_id=entry.discount_id,
            discount_name=entry.discount_name, pos_discount_id=entry.pos_discount_id,
            points=entry.points, detail=safe_text(detail, *secrets, *url_secrets(entry.redemption_url)),
            entry_id=entry.id, state=entry.state.value,
            phase=entry.reversal_phase.value if entry.reversal_phase else "", staff=staff, approver=approver,
        )

    def restore_states(self) -> list[str]:
        """IT's repair: each row edited by hand back to the state and phase its (keyed, intact)
        last event says, with an audit event; what was done, one sentence a row."""
        done = []
        now = self._now()
        with self._rows.write() as conn:
            for entry_id in self._rows.ids(SUSPECTS):
                entry, latest = self._rows.get(entry_id), self._audit.latest_for(entry_id)
                if not self._proof.mismatch(entry, sending=True) or latest is None or latest.state not in set(State):
                    continue
                if self._audit.hash_of(latest) != latest.hash or not self._audit.verify_chain(since=latest.id).ok:
                    continue
                conn.execute("UPDATE redemptions SET state = ?, reversal_phase = ? WHERE id = ?",
                             (latest.state, latest.phase or None, entry_id))
                restored = self._rows.get(entry_id)
                detail = f"IT put it back to '{latest.state}' (its journal row said '{entry.state}')"
                self.audit_event("state_restored", restored, now, detail, staff=Actor.command_line)
                done.append(f"Redemption #{entry_id} (transaction {entry.transaction_id}): {detail}.")
        return done
