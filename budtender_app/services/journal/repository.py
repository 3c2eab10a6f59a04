"""The journal's repository: one store and terminal writing redemptions, their moves and their
audit events, each change in one transaction.

Every move goes through ``_move``: the row's state must be the one its last audit event says
(``Proof``), the move must be in ``domain/journal_rules.MOVES``, and the new state and its audit
event are written together. The redemption URL carries a token: it is kept only until the row is
final and never goes into the audit trail, an export, a log or a ``repr``.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from budtender_app.domain.actor import Actor, names
from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.journal_rules import AFTER_FAILURE, Action, State
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import export
from budtender_app.services.journal.audit import UNKEYED, Audit, ChainReport, utc_text
from budtender_app.services.journal.entry import JournalEntry, dec_text, safe_text
from budtender_app.services.journal.errors import JournalError
from budtender_app.services.journal.files import connect, open_error
from budtender_app.services.journal.lock import JournalLock
from budtender_app.services.journal.moves import Mover
from budtender_app.services.journal.proof import Proof
from budtender_app.services.journal.rows import Rows
from budtender_app.services.journal.schema import SCHEMA_VERSION, SELECT, migrate
from budtender_app.services.journal.seal import Seal, match_seal

log = logging.getLogger("budtender_app.services.journal")

STOPPED_WHILE_SENDING = "the app stopped while this was being sent"
_MASKED_PHONE = re.compile(r"\*\*\*-\*\*\*-\d{4}")
_INSERT = (
    "INSERT INTO redemptions (store, terminal, transaction_id, discount_id, discount_name, pos_discount_id, "
    "points, value_text, dollar_value, percentage_value, redemption_url, state, shopper_masked, contact_id, "
    "created_at, updated_at, staff_id, staff_name, approver_id, approver_name) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (store, transaction_id, discount_id) DO NOTHING"
)
#: The moves a failed send may make (``journal_rules.AFTER_FAILURE``), for ``mark_failed``.
_FAILURE_MOVES = frozenset(a for moves in AFTER_FAILURE.values() for a in moves.values())


class Journal:
    """The durable redemption journal of one computer, writing as one store and terminal.

    ``clock`` returns timezone-aware datetimes. ``lock``: the JournalLock this app instance holds;
    the journal releases it on ``close``. ``recover_after_restart`` refuses to run without it,
    because flipping another running instance's in-flight rows to 'unknown' would lose answers.

    ``seal``: the journal's id and chain key (from the keyring, see ``guard``); None is the
    public key of training and tests. A journal sealed with another key is refused
    (JournalKeyError); read-only, it opens but ``verify_chain`` says it cannot check.
    ``on_commit(events, last_hash)`` runs after each commit (the start-up marker).
    ``connection_class``: a ``sqlite3.Connection`` subclass (tests inject write failures).
    Opening raises JournalDamaged, JournalUnwritable or JournalKeyError, never a sqlite3 error.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        store: str,
        terminal: str,
        clock: Callable[[], datetime] = SYSTEM_CLOCK,
        lock: JournalLock | None = None,
        read_only: bool = False,
        seal: Seal | None = None,
        on_commit: Callable[[int, str], None] | None = None,
        connection_class: type[sqlite3.Connection] = sqlite3.Connection,
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.terminal = terminal
        self._clock = clock
        self._lock = lock
        self._on_commit = on_commit
        try:
            self._conn = connect(self.path, read_only=read_only, factory=connection_class)
        except sqlite3.Error as exc:
            raise open_error(self.path, exc) from exc
        self._rows = Rows(self._conn, self._committed)
        self._mutex = self._rows.mutex
        try:
            self.seal, self.key_ok = self._open(seal, read_only)
        except sqlite3.Error as exc:
            self._conn.close()
            raise open_error(self.path, exc) from exc
        except BaseException:
            self._conn.close()
            raise
        legacy = self._conn.execute("SELECT value FROM journal_meta WHERE name = 'legacy_until'").fetchone()
        self.audit = Audit(self._conn, self.seal.key if self.key_ok else UNKEYED,
                           legacy_until=int(legacy[0]) if legacy else 0)
        self._proof = Proof(self._rows, self.audit, self.seal, key_ok=self.key_ok)
        self._mover = Mover(self._rows, self.audit, self._proof, terminal=terminal, now=self._now)
        self._move = self._mover.move

    def _open(self, seal: Seal | None, read_only: bool) -> tuple[Seal, bool]:
        if read_only:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise JournalError(
                    f"The redemption journal at {self.path} has schema {version}, this app reads "
                    f"{SCHEMA_VERSION}: start the app once to upgrade it, or update the app."
                )
        else:
            migrate(self._conn, seal)
        meta = dict(self._conn.execute("SELECT name, value FROM journal_meta").fetchall())
        return match_seal(meta, self.path, seal, read_only=read_only)

    @classmethod
    def open_read_only(cls, path: str | os.PathLike[str], seal: Seal | None = None) -> Journal:
        """For reports while the app may be running: no lock, no migration, no writes. Without
        its ``seal`` the rows read fine but ``verify_chain`` cannot check the chain."""
        return cls(path, store="", terminal="", read_only=True, seal=seal)

    def integrity_problems(self) -> list[str]:
        """SQLite's ``quick_check``: [] when the file is sound, else what it found (first 5)."""
        with self._mutex:
            try:
                found = [r[0] for r in self._conn.execute("PRAGMA quick_check(5)").fetchall()]
            except sqlite3.DatabaseError as exc:
                return [str(exc)]
        return [] if found == ["ok"] else found

    def close(self, *, release_lock: bool = True) -> None:
        """Close the file (and give back the JournalLock, unless ``release_lock`` is False)."""
        with self._mutex:
            self._conn.close()
            if self._lock is not None and release_lock:
                self._lock.release()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- redemptions -------------------------------------------------------------------------

    def queue(
        self,
        transaction_id: str,
        discounts: Sequence[Discount],
        *,
        shopper_masked: str,
        contact_id: str,
        staff: Actor,
        approver: Actor | None = None,
    ) -> list[JournalEntry]:
        """Write every chosen redemption of a checkout in one transaction, checked out by
        ``staff`` (the cashier; ``approver``: the manager who skipped the sale's PIN, if one did);
        return the rows in the order of ``discounts``. A (transaction, discount) already journaled for this store comes
        back untouched in its current state: send only the rows that come back 'queued'.

        Invariant: a redemption row is journaled (queued) in exactly one place, and only after
        checkout is confirmed. The one caller is ``AppliedSales.checkout``
        (services/applied_sale.py), reached only from the counter's checkout-confirmed flow
        (``RedemptionViewModel.confirm_checkout``, after ``Event.TRANSACTION_CONFIRMED``).
        tests/services/test_journal_invariants.py fails when another caller appears."""
        if shopper_masked and not _MASKED_PHONE.fullmatch(shopper_masked):
            raise ValueError("shopper_masked must be a masked phone like ***-***-4567")
        now = self._now()
        with self._rows.write() as conn:
            ids = []
            for d in discounts:
                cursor = conn.execute(_INSERT, (
                    self.store, self.terminal, transaction_id, d.id, d.name, d.pos_discount_id,
                    d.points, d.value_text, dec_text(d.dollar_value), dec_text(d.percentage_value),
                    d.redemption_url, shopper_masked, contact_id, utc_text(now), utc_text(now),
                    *names(staff), *names(approver)))
                if cursor.rowcount and cursor.lastrowid is not None:
                    self._mover.audit_event("queued", self._rows.get(cursor.lastrowid), now, d.value_text,
                                            staff=staff, approver=approver)
                ids.append(conn.execute(
                    "SELECT id FROM redemptions WHERE store = ? AND transaction_id = ? AND discount_id = ?",
                    (self.store, transaction_id, d.id)).fetchone()[0])
            return [self._rows.get(i) for i in ids]

    def mark_sending(self, entry_id: int) -> JournalEntry:
        """'queued' -> 'sending', committed (and fsynced) before it returns: send only after.

        Raises JournalStateError when the row is not 'queued' (already sent, or being sent):
        then do not send."""
        return self._move(entry_id, Action.SENDING, attempts=True)

    def mark_redeemed(self, entry_id: int, aiq_id: str = "") -> JournalEntry:
        """AIQ answered 2xx: the points are taken."""
        return self._move(entry_id, Action.REDEEMED, aiq_redemption_id=aiq_id or "", message="",
                          detail=f"AIQ redemption id {aiq_id}" if aiq_id else "")

    def mark_failed(self, entry_id: int, action: Action, message: str) -> JournalEntry:
        """A send that failed, moved as ``journal_rules.failure_action`` read the failure: back to
        queued (not sent), rejected, or unknown (maybe sent), for a redemption or a reversal."""
        if action not in _FAILURE_MOVES:
            raise ValueError(f"{action} is not what a failed send does")
        return self._move(entry_id, action, message=message)

    def mark_rejected(self, entry_id: int, message: str) -> JournalEntry:
        """AIQ said no: no points were taken."""
        return self.mark_failed(entry_id, Action.REJECTED, message)

    def mark_not_sent(self, entry_id: int, message: str) -> JournalEntry:
        """Nothing reached AIQ (Unreachable, 429): back to 'queued', safe to send again."""
        return self.mark_failed(entry_id, Action.NOT_SENT, message)

    def mark_unknown(self, entry_id: int, message: str) -> JournalEntry:
        """Sent and no answer (timeout, dropped connection, 5xx, app closed): a manager decides."""
        return self.mark_failed(entry_id, Action.UNKNOWN, message)

    def resolve(self, entry_id: int, action: str, reason: str, approver: Actor, *,
                staff: Actor | None = None) -> JournalEntry:
        """A manager's (``approver``'s) decision, recorded by ``staff`` (None: the manager), with a
        reason: 'redeemed' (AIQ's report shows it), 'abandoned' (not redeemed and not to be sent)
        or 'retry' (back to 'queued', to be sent again).

        Allowed from 'unknown' (all three), 'queued' (abandoned) and 'rejected' (retry)."""
        if action not in ("redeemed", "abandoned", "retry"):
            raise ValueError(f"unknown resolution {action!r}")
        return self._mover.resolve(entry_id, Action(f"resolve:{action}"), reason, approver, staff or approver)

    def record_event(self, event: str, *, staff: Actor, approver: Actor | None = None,
                     transaction_id: str = "", detail: str = "", verbatim: bool = False) -> None:
        """An audit event that changes no redemption (e.g. 'pin_skipped' when the store's PIN
        bypass opened a wallet), done by ``staff`` and approved by ``approver``. ``verbatim``: the
        app's own words holding no secret (journal ids and hashes, which the redactor would mask
        as if they were keys)."""
        text = " ".join(detail.split())[:500] if verbatim else safe_text(detail)
        with self._rows.write():
            self.audit.append(event, at=self._now(), store=self.store, terminal=self.terminal,
                              transaction_id=transaction_id, detail=text, staff=staff, approver=approver)

    # -- reversals (E10) ---------------------------------------------------------------------

    def queue_reversal(self, entry_id: int, *, staff: Actor, approver: Actor | None = None) -> JournalEntry:
        """Journal giving a redeemed discount's points back, asked by ``staff``. Idempotent: for a row already
        'reversing' or 'reversed' it returns the row untouched (send only when its
        ``reversal_phase`` is 'queued'). Only a 'redeemed' row can be reversed."""
        with self._rows.write():
            entry = self._rows.get(entry_id)
            if entry.state in (State.REVERSING, State.REVERSED):
                return entry
            return self._move(entry_id, Action.REVERSAL, staff=staff, approver=approver)

    def mark_reversal_sending(self, entry_id: int) -> JournalEntry:
        """Reversal 'queued' -> 'sending', committed before it returns: call E10 only after."""
        return self._move(entry_id, Action.REVERSAL_SENDING, reversal_attempts=True)

    def mark_reversed(self, entry_id: int, note: str = "") -> JournalEntry:
        """AIQ accepted the points adjustment: the points are back. (A failed one: ``mark_failed``
        with ``Action.REVERSAL_REJECTED``, ``REVERSAL_NOT_SENT`` or ``REVERSAL_UNKNOWN``.)"""
        return self._move(entry_id, Action.REVERSED, message="", detail=note)

    def resolve_reversal(self, entry_id: int, action: str, reason: str, approver: Actor, *,
                         staff: Actor | None = None) -> JournalEntry:
        """A manager's decision on an unknown reversal: 'reversed', 'abandoned' (row back to
        'redeemed') or 'retry'. A queued reversal may also be abandoned."""
        if action not in ("reversed", "abandoned", "retry"):
            raise ValueError(f"unknown reversal resolution {action!r}")
        return self._mover.resolve(entry_id, Action(f"resolve_reversal:{action}"), reason, approver,
                                   staff or approver)

    # -- start-up and reading ----------------------------------------------------------------

    def recover_after_restart(self, *, all_stores: bool = False) -> list[JournalEntry]:
        """At start-up, with the JournalLock held: every row (any store) left 'sending' by an app
        that stopped mid-request becomes 'unknown'. Returns what is pending (see ``pending``),
        less the rows changed outside the app (``tampered``: those are told apart)."""
        if self._lock is None or not self._lock.held:
            raise JournalError("recover_after_restart needs this app's JournalLock")
        now = self._now()
        with self._rows.write():
            stuck = self._rows.query(SELECT + " WHERE state = 'sending' OR reversal_phase = 'sending' ORDER BY id", ())
            for entry in stuck:
                if self._proof.mismatch(entry, sending=True):
                    continue  # edited by hand: left as found, for IT (see ``tampered``)
                action = Action.UNKNOWN if entry.state is State.SENDING else Action.REVERSAL_UNKNOWN
                self._move(entry.id, action, message=STOPPED_WHILE_SENDING, now=now, staff=Actor.terminal)
        return self._proof.backed(self.pending(all_stores=all_stores), sending=False)

    def pending(self, *, all_stores: bool = False, include_sending: bool = False) -> list[JournalEntry]:
        """Open items, oldest first: 'queued' and 'unknown' rows, and reversals queued or unknown.
        ``include_sending`` adds rows in flight (or left by an app that has not restarted yet)."""
        states = ["queued", "unknown"] + (["sending"] if include_sending else [])
        marks = ", ".join("?" * len(states))
        query = (SELECT + f" WHERE (state IN ({marks}) OR "
                 f"(state = 'reversing' AND reversal_phase IN ({marks})))")
        params: list[str] = states + states
        if not all_stores:
            query += " AND store = ?"
            params.append(self.store)
        return self._rows.query(query + " ORDER BY created_at, id", params)

    def queued_to_send(self) -> list[JournalEntry]:
        """This store's rows that may be sent without a manager ('queued', and so says the audit
        trail: a row edited into 'queued' is never offered), oldest first."""
        rows = self._rows.query(SELECT + " WHERE state = 'queued' AND store = ? ORDER BY created_at, id",
                                [self.store])
        return self._proof.backed(rows)

    def reversals_to_send(self) -> list[JournalEntry]:
        """This store's reversals that may be sent without a manager (phase 'queued')."""
        rows = self._rows.query(SELECT + " WHERE state = 'reversing' AND reversal_phase = 'queued' "
                                "AND store = ? ORDER BY created_at, id", [self.store])
        return self._proof.backed(rows)

    def tampered(self) -> list[tuple[int, str]]:
        """Rows (any store) whose state is not what their audit trail says, or that were deleted,
        as (row id, a sentence for a manager or IT). Never sent nor moved (see ``Proof.tampered``)."""
        return self._proof.tampered()

    def restore_states(self) -> list[str]:
        """IT's repair (``journal accept-fresh``): put each row edited by hand back to the state
        and phase its (keyed, intact) last event says, with an audit event; what was done, one
        sentence a row. Rows whose trail cannot vouch for them are left as they are."""
        return self._mover.restore_states()

    def for_transaction(self, transaction_id: str, store: str | None = None) -> list[JournalEntry]:
        """This store's (or ``store``'s: a read-only journal has none) rows of one POS transaction."""
        return self._rows.query(SELECT + " WHERE store = ? AND transaction_id = ? ORDER BY id",
                                [self.store if store is None else store, transaction_id])

    def between(self, start: datetime, end: datetime) -> list[JournalEntry]:
        """Rows (any store) queued in [start, end), oldest first. Times must be timezone-aware."""
        return self._rows.query(SELECT + " WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id",
                                [utc_text(start), utc_text(end)])

    def get(self, entry_id: int) -> JournalEntry:
        """Row ``entry_id``; JournalError when there is none."""
        with self._mutex:
            return self._rows.get(entry_id)

    def verify_chain(self) -> ChainReport:
        """The audit trail's ``ChainReport`` (not ok, "no key", when this journal's key was not given)."""
        return self._proof.verify_chain()

    def verify_recent(self) -> ChainReport:
        """The chain from the last start's keyed checkpoint to the end (all of it without one),
        then a new checkpoint: start-up need not walk a year of events. The rows that can be
        sent are proven to the end on each send anyway; ``verify_chain`` walks everything."""
        return self._proof.verify_recent()

    def export_csv(self, path_or_file: str | os.PathLike[str] | IO[str], since: date,
                   until: date | None = None, *, tz: tzinfo | None = None) -> int:
        """The audit trail of a date range as CSV; see ``export.export_csv``."""
        with self._mutex:
            return export.export_csv(self._conn, path_or_file, since, until, tz=tz)

    def export_rows(self, since: date, until: date | None = None, *,
                    tz: tzinfo | None = None) -> list[dict[str, str]]:
        """The audit trail of a date range as CSV rows; see ``export.export_rows``."""
        with self._mutex:
            return export.export_rows(self._conn, since, until, tz=tz)

    # -- for the journal's companions (applied_sale.py) --------------------------------------

    def now(self) -> datetime:
        """The journal's clock: the app's one clock."""
        return self._now()

    def atomic(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction that other changes (``queue``, ``record_event``) join."""
        return self._rows.write()

    def read_one(self, query: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """One row of a read-only query, under the journal's lock."""
        rows = self.read_all(query, params, limit=1)
        return rows[0] if rows else None

    def read_all(self, query: str, params: Sequence[Any] = (), *, limit: int | None = None) -> list[tuple[Any, ...]]:
        """The rows (at most ``limit``) of a read-only query, under the journal's lock."""
        with self._mutex:
            cursor = self._conn.execute(query, params)
            return list(cursor.fetchall() if limit is None else cursor.fetchmany(limit))

    # -- plumbing ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the journal's clock must return timezone-aware datetimes")
        return now

    def _committed(self) -> None:
        if self._on_commit is None:
            return
        try:
            self._on_commit(*self.audit.last())
        except Exception:
            log.warning("could not update the journal's start-up marker", exc_info=True)
