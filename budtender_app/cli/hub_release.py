"""`budtender-app hub release-claim --transaction T --discount D --manager NAME --reason WHY`:
IT releases, for a manager, a claim on the store hub that a register gone for good holds
(services/hub/release.py says when the hub refuses it). Recorded twice: on the hub (who, where,
why, the claim as it was) and in this terminal's own audit trail (event 'claim_released'), so this
terminal's journal must be free: the terminal closed.

The words say plainly that the holder may have redeemed it: only a manager who checked AIQ's
report and the POS should release it.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

from budtender_app.domain.actor import Actor
from budtender_app.domain.redact import redact
from budtender_app.services.hub.config import connect
from budtender_app.services.hub.release import WARNING, Released, ReleaseRefused, release_claim
from budtender_app.services.hub.schema import require_current
from budtender_app.services.journal import Journal, JournalError, JournalLock, JournalLocked, default_journal_path

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT, EXIT_RUNNING = 0, 1, 2, 3


def run_release(args: argparse.Namespace, connect_args: dict[str, Any], seal: Any) -> int:
    """Release the claim; the exit code. The journal is opened first: a journal that could not
    record the release stops it before anything changes on the hub."""
    # The reason goes to the hub, where every register reads it: nothing that looks secret leaves in it.
    manager, reason = Actor.typed(args.manager), " ".join(redact(args.reason, limit=400).split())
    if not manager.name or not reason or len(reason) > 200:
        return _error("A release needs the manager's name and a reason of at most 200 characters.", EXIT_BAD_INPUT)
    path = Path(args.journal_path) if args.journal_path else default_journal_path()
    if not path.exists():
        return _error(f"There is no redemption journal at {path}: the release is recorded there too.", EXIT_REFUSED)
    try:
        journal = Journal(path, store="", terminal=socket.gethostname(), lock=JournalLock(path).acquire(), seal=seal)
    except JournalLocked:
        return _error("The terminal is running on this journal: quit it first, then run this again.", EXIT_RUNNING)
    except JournalError as exc:
        return _error(f"Nothing was released: this terminal's journal cannot record it: {exc}", EXIT_REFUSED)
    with journal:
        found = _release_on_hub(args, connect_args, manager, reason)
        if isinstance(found, int):
            return found
        journal.store, done = found
        try:
            journal.record_event("claim_released", staff=manager, approver=manager, transaction_id=args.transaction,
                                 detail=f"store hub claim of discount {args.discount} held by {done.holder_name} "
                                        f"since {_when(done)} released by {manager.name}: {reason}")
        except JournalError as exc:
            return _error(f"Released on the store hub (its record names {manager.name}), but this terminal's "
                          f"journal could not record it: {exc}", EXIT_REFUSED)
    print(f"Released: the claim {done.holder_name} held on discount {args.discount} of transaction "
          f"{args.transaction} at {journal.store} (since {_when(done)}), by {manager.name}. Any register may redeem "
          f"it now.\n{WARNING}")
    return EXIT_OK


def _release_on_hub(args: argparse.Namespace, connect_args: dict[str, Any], manager: Actor,
                    reason: str) -> tuple[str, Released] | int:
    """(store, the claim released), or an exit code (said why)."""
    with connect(connect_args) as conn:
        require_current(conn)
        store = args.store if args.store is not None else _store_of(conn, args.transaction, args.discount)
        if store is None:
            return _error("Claims of that discount and transaction are held at more than one store: give --store.",
                          EXIT_BAD_INPUT)
        try:
            return store, release_claim(conn, store, args.transaction, args.discount, manager,
                                        socket.gethostname(), reason)
        except ReleaseRefused as exc:
            return _error(f"Not released: {exc}", EXIT_REFUSED)


def _when(done: Released) -> str:
    return done.claimed_at.isoformat(timespec="minutes")


def _store_of(conn: Any, transaction_id: str, discount_id: str) -> str | None:
    rows = conn.execute("SELECT store FROM hub_claims WHERE transaction_id = %s AND discount_id = %s",
                        (transaction_id, discount_id)).fetchall()
    conn.commit()
    if len(rows) > 1:
        return None
    return str(rows[0][0]) if rows else ""


def _error(text: str, code: int) -> int:
    print(text, file=sys.stderr)
    return code
