"""The redemption journal: every redemption is written down before it is sent, so none is lost
and none is sent twice, even when the till loses power mid-request.

One SQLite file per computer (``default_journal_path()``), WAL with ``synchronous=FULL``. One row
per (store, POS transaction, discount); its ``state`` moves only along the one table of
``domain/journal_rules.py`` (``MOVES``: the states, the allowed moves, which states are final,
and what a failed send means for the row).

``mark_sending`` is committed before it returns: send the PUT only after it returned. A row
found in 'sending' after a restart may or may not have reached AIQ and becomes 'unknown'
(``recover_after_restart``); only 'queued' rows may be sent without a manager.

A reversal (E10, points given back) is journaled on the same row: 'reversing' with its own
phase ('queued', 'sending', 'unknown'), ending 'reversed', or back to 'redeemed' when AIQ refused
it or a manager abandoned it.

Every change writes its audit event (``audit.py``) in the same transaction, keyed with the
journal's ``Seal`` (its id and HMAC key, kept in the OS keyring by ``guard.py``). The event
carries the row's new state and reversal phase, and every move first checks that the row's state
is the one its last event says: a state edited by hand (``UPDATE redemptions SET
state='queued'``) is refused with ``JournalTampered`` and never sent. The redemption URL
carries a token: it is kept only until the row is final and never goes into the audit trail, an
export, a log or a ``repr``. No phone number or PIN is stored: only the masked phone and AIQ's
contactID (needed for a reversal).

Threads: one connection opened with ``check_same_thread=False``; every public method holds the
journal's lock, so the view model may call it directly on the GUI thread or through
``asyncio.to_thread``. Writes are small (a few rows and one fsync).

Rows are journaled (queued) in exactly one place, and only after checkout is confirmed:
``Journal.queue``, called only by ``AppliedSales.checkout`` (services/applied_sale.py) from the
counter's checkout-confirmed flow; tests/services/test_journal_invariants.py enforces it.

The package: ``repository`` (``Journal``), ``moves`` (a row's moves as SQL), ``proof`` (rows
against their audit trail), ``rows`` (the connection and its transactions), ``schema``
(migrations), ``files`` (where the file is, how it opens), ``lock``, ``seal``, ``entry``,
``errors``, ``audit`` and ``export`` (the audit trail and its CSV), ``guard`` and ``marker``
(opening it at start, refusing one that is not the one left behind).
"""

from __future__ import annotations

from budtender_app.domain.journal_rules import ReversalPhase, State
from budtender_app.services.journal.entry import JournalEntry, reversal_note, safe_text
from budtender_app.services.journal.errors import (
    JournalDamaged,
    JournalError,
    JournalKeyError,
    JournalLocked,
    JournalStateError,
    JournalTampered,
    JournalUnwritable,
    JournalWriteError,
)
from budtender_app.services.journal.files import default_journal_path
from budtender_app.services.journal.lock import JournalLock
from budtender_app.services.journal.repository import STOPPED_WHILE_SENDING, Journal
from budtender_app.services.journal.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from budtender_app.services.journal.seal import Seal

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STOPPED_WHILE_SENDING",
    "Journal",
    "JournalDamaged",
    "JournalEntry",
    "JournalError",
    "JournalKeyError",
    "JournalLock",
    "JournalLocked",
    "JournalStateError",
    "JournalTampered",
    "JournalUnwritable",
    "JournalWriteError",
    "ReversalPhase",
    "Seal",
    "State",
    "default_journal_path",
    "migrate",
    "reversal_note",
    "safe_text",
]
