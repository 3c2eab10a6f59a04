"""Whether a row's state is the one its keyed audit trail says: the journal sends nothing else.

Every move first checks the row against its last audit event (``mismatch``); a row about to be
sent is also proven to the chain's end, because events deleted after its last one would leave an
older event that matches a state edited back by hand. ``verify_recent`` walks the chain from the
last start's keyed checkpoint, so start-up need not walk a year of events.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from budtender_app.domain.journal_rules import SENDABLE
from budtender_app.services.journal.audit import Audit, ChainReport
from budtender_app.services.journal.entry import JournalEntry
from budtender_app.services.journal.rows import Rows
from budtender_app.services.journal.schema import ORPHANS, SUSPECTS
from budtender_app.services.journal.seal import Seal

log = logging.getLogger("budtender_app.services.journal")


class Proof:
    """The checks of one journal's rows against its audit trail (``key_ok``: its key was given)."""

    def __init__(self, rows: Rows, audit: Audit, seal: Seal, *, key_ok: bool) -> None:
        self._rows = rows
        self._audit = audit
        self._seal = seal
        self._key_ok = key_ok

    def mismatch(self, entry: JournalEntry, *, sending: bool = False) -> str:
        """Why ``entry``'s state is not backed by its last audit event ("" when it is). ``sending``:
        also prove that event is the last one, by the chain after it (events deleted after it
        would otherwise leave an older event that matches a state edited back by hand)."""
        latest = self._audit.latest_for(entry.id)
        phase = entry.reversal_phase.value if entry.reversal_phase else ""
        where = f"Redemption #{entry.id} (transaction {entry.transaction_id}, {entry.discount_name})"
        if latest is None:
            return f"{where} is '{entry.state}' in the journal but has no audit event: it was added outside the app."
        if self._key_ok and self._audit.hash_of(latest) != latest.hash:
            return f"{where}: its last audit event (#{latest.id}) was changed outside the app."
        if (latest.state, latest.phase) != (entry.state.value, phase):
            said = latest.state + (f" (reversal {latest.phase})" if latest.phase else "")
            now = entry.state.value + (f" (reversal {phase})" if phase else "")
            return (f"{where} is '{now}' in the journal, but its audit trail says '{said}': "
                    "it was changed outside the app.")
        if sending and self._key_ok and entry.state in SENDABLE:
            # Even a break kept from schema 1: events deleted after this row's last one would match.
            report = self._audit.verify_chain(since=latest.id)
            if not report.ok:
                return f"{where}: the audit trail after its last event was altered ({report})."
        return ""

    def backed(self, entries: list[JournalEntry], *, sending: bool = True) -> list[JournalEntry]:
        """The rows whose state their last event backs; ``sending``: and the chain after the oldest
        of those events is intact (one walk for the batch, not one per row)."""
        with self._rows.mutex:
            kept = [e for e in entries if not self.mismatch(e)]
            if not sending or not self._key_ok or not kept:
                return kept
            since = min(self._latest_id(e.id) for e in kept)
            report = self._audit.verify_chain(since=since)
            if report.ok:
                return kept
            log.error("no journal row is sent: the audit trail after event #%s was altered (%s)", since, report)
            return []

    def _latest_id(self, entry_id: int) -> int:
        latest = self._audit.latest_for(entry_id)
        return 0 if latest is None else latest.id

    def tampered(self) -> list[tuple[int, str]]:
        """Rows (any store) whose state is not what their audit trail says, or that were deleted,
        as (row id, a sentence for a manager or IT saying what was found). Never sent nor moved.

        One query compares every row with its last event; the keyed check (HMAC, and the chain
        after it for rows that could be sent) runs for the rows still open, and those that differ."""
        with self._rows.mutex:
            found = []
            for entry_id in self._rows.ids(SUSPECTS):
                problem = self.mismatch(self._rows.get(entry_id), sending=True)
                if problem:
                    found.append((entry_id, problem))
            for entry_id in self._rows.ids(ORPHANS):  # rows deleted by hand
                event = self._audit.latest_for(entry_id)
                assert event is not None  # ORPHANS lists only rows that have events
                found.append((entry_id, (f"Redemption #{entry_id} (transaction {event.transaction_id}, "
                                         f"{event.discount_name}) is in the audit trail as '{event.state}' but "
                                         "its row was deleted from the journal outside the app.")))
            return found

    def verify_chain(self) -> ChainReport:
        """The audit trail's ``ChainReport`` (not ok, "no key", when this journal's key was not given)."""
        with self._rows.mutex:
            if not self._key_ok:
                count = self._audit.last()[0]
                return ChainReport(False, count, None, "no key", "the journal's key is not in this "
                                   "computer's keyring, so its chain cannot be checked")
            return self._audit.verify_chain()

    def verify_recent(self) -> ChainReport:
        """The chain from the last start's keyed checkpoint to the end (all of it without one),
        then a new checkpoint."""
        with self._rows.mutex:
            since = self._checkpoint()
            report = self._audit.verify_chain(since=since) if since else self.verify_chain()
            if report.ok and self._key_ok and report.rows:
                events, last_hash = self._audit.last()
                with self._rows.write() as conn:
                    conn.execute("INSERT OR REPLACE INTO journal_meta (name, value) VALUES ('verified', ?)",
                                 (f"{events}:{last_hash}:{self._checkpoint_mac(events, last_hash)}",))
            return report

    def _checkpoint(self) -> int:
        row = self._rows.conn.execute("SELECT value FROM journal_meta WHERE name = 'verified'").fetchone()
        if row is None or not self._key_ok:
            return 0
        events, last_hash, mac = [*row[0].split(":"), "", "", ""][:3]
        if not events.isdigit() or not hmac.compare_digest(mac, self._checkpoint_mac(int(events), last_hash)):
            return 0
        return int(events) if self._audit.hash_at(int(events)) == last_hash else 0

    def _checkpoint_mac(self, events: int, last_hash: str) -> str:
        message = f"budtender-journal-verified:{self._seal.journal_id}:{events}:{last_hash}".encode()
        return hmac.new(self._seal.key, message, hashlib.sha256).hexdigest()
