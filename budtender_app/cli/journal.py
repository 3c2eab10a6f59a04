"""`budtender-app redemptions pending|export`: what is open, and the audit trail for auditors;
`budtender-app journal check|accept-fresh`: IT's look at a journal the terminal refused to start
on, and IT's acknowledgement (see ``services/journal/guard.py``).

`redemptions` and `journal check` read the journal read-only and take no JournalLock, so they
work while the terminal runs (SQLite's WAL lets a reader see every committed change without
blocking the app). `journal accept-fresh` needs the terminal closed.

Exit codes: 0 done, 1 no journal on this computer (or an unreadable one), 2 bad input, 3 the
terminal is running, 4 exported but the audit trail's chain is broken (the CSV is still written:
auditors need to see what is there), 5 `journal check` found a problem or `accept-fresh` could
not deal with it. Every failure is one message on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import sys
from datetime import date
from pathlib import Path

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.journal import (
    Journal,
    JournalEntry,
    JournalError,
    JournalLocked,
    Seal,
    default_journal_path,
)
from budtender_app.services.journal.guard import JournalGuard, journal_name, utc_now

EXIT_OK = 0
EXIT_NO_JOURNAL = 1
EXIT_BAD_INPUT = 2
EXIT_RUNNING = 3
EXIT_CHAIN_BROKEN = 4
EXIT_JOURNAL_PROBLEM = 5


def _journal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--journal", dest="journal_path", metavar="FILE", default=None,
                        help=f"the redemption journal (default {default_journal_path()})")


def build_redemptions_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `redemptions pending|export` to the app's sub-commands; returns the new parser."""
    parser = subparsers.add_parser("redemptions", help="list open redemptions, or export the audit trail")
    _journal_option(parser)
    actions = parser.add_subparsers(dest="redemptions_action", required=True)
    actions.add_parser("pending", help="print redemptions that are unsent or unknown")
    export = actions.add_parser("export", help="write the audit trail of a date range as CSV")
    # Dates stay text here so a bad one gets our message and exit code, not argparse's usage.
    export.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="first day (local time)")
    export.add_argument("--until", metavar="YYYY-MM-DD", default=None, help="last day, included (default: today)")
    export.add_argument("--csv", dest="csv_path", required=True, metavar="FILE",
                        help="where to write; - for standard output")
    return parser


def run_redemptions(args: argparse.Namespace) -> int:
    """Run `redemptions pending` or `redemptions export` and return the exit code."""
    path = Path(args.journal_path) if args.journal_path else default_journal_path()
    if args.redemptions_action == "export":
        try:
            since, until = _date(args.since, "--since"), _date(args.until, "--until")
        except ValueError as exc:
            _error(str(exc))
            return EXIT_BAD_INPUT
        assert since is not None  # argparse: --since is required
        if until is not None and until < since:
            _error(f"--until {until} is before --since {since}.")
            return EXIT_BAD_INPUT
    gone = _vanished(path)
    if gone:  # a journal this computer had: never "nothing pending"
        _error(gone)
        return EXIT_NO_JOURNAL
    if not path.exists():
        if args.redemptions_action == "pending":
            print("Nothing pending. (No redemption journal on this computer yet.)")
            return EXIT_OK
        _error(f"There is no redemption journal at {path}: this computer has redeemed nothing yet.")
        return EXIT_NO_JOURNAL
    try:
        with Journal.open_read_only(path, _seal(path)) as journal:
            damage = journal.integrity_problems()
            if damage:  # IT still needs to see what can be read
                _error(f"WARNING: the redemption journal {path} is damaged ({'; '.join(damage)}): what follows "
                       "may be incomplete. IT: see `budtender-app journal check`.")
            if args.redemptions_action == "pending":
                code = _pending(journal)
            else:
                assert since is not None  # checked above
                code = _export(journal, since, until, args.csv_path)
            return EXIT_JOURNAL_PROBLEM if damage and code == EXIT_OK else code
    except (JournalError, OSError) as exc:
        _error(str(exc))
    except sqlite3.DatabaseError as exc:  # damaged past its header: found only when read
        _error(f"The redemption journal {path} is damaged ({exc}). IT: see `budtender-app journal check`.")
    return EXIT_NO_JOURNAL


def _vanished(path: Path) -> str:
    try:
        keys = CredentialStore()
        keys.ensure_usable()
    except KeyringUnavailable:
        return ""
    return JournalGuard(path, keys).vanished()


def _seal(path: Path) -> Seal | None:
    """The journal's seal from the keyring, to check its chain (None: it reads, cannot check)."""
    try:
        stored = CredentialStore().journal_seal(journal_name(path))
    except KeyringUnavailable:
        return None
    return None if stored is None else Seal(*stored)


def build_journal_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `journal check|accept-fresh` to the app's sub-commands; returns the new parser."""
    parser = subparsers.add_parser("journal", help="check the redemption journal, or accept a fresh one")
    _journal_option(parser)
    actions = parser.add_subparsers(dest="journal_action", required=True)
    actions.add_parser("check", help="say whether the terminal will start on this journal, and why not")
    actions.add_parser("accept-fresh", help=(
        "after a refused start: go on with what is left, or set the journal aside and start a new one "
        "(the journal records it); only with the terminal closed"))
    return parser


def run_journal(args: argparse.Namespace) -> int:
    """Run `journal check` or `journal accept-fresh` and return the exit code."""
    path = Path(args.journal_path) if args.journal_path else default_journal_path()
    try:
        keys = CredentialStore()
        keys.ensure_usable()
    except KeyringUnavailable as exc:
        _error(f"{exc}\nThe journal's key is kept there: without it the journal cannot be checked.")
        return EXIT_JOURNAL_PROBLEM
    guard = JournalGuard(path, keys)
    try:
        if args.journal_action == "check":
            ok, text = guard.check()
            (print if ok else _error)(text)
            return EXIT_OK if ok else EXIT_JOURNAL_PROBLEM
        print(guard.accept_fresh(clock=utc_now, terminal=socket.gethostname()))
        return EXIT_OK
    except JournalLocked:
        _error("The terminal is running on this journal: quit it first, then run this again.")
        return EXIT_RUNNING
    except (JournalError, OSError, sqlite3.DatabaseError) as exc:
        _error(str(exc))
        return EXIT_JOURNAL_PROBLEM


def _pending(journal: Journal) -> int:
    entries = journal.pending(all_stores=True, include_sending=True)
    if not entries:
        print("Nothing pending.")
        return EXIT_OK
    stores = {e.store for e in entries}
    header = ["time", "transaction", "discount", "POS id", "points", "state", "message"]
    rows = [_pending_row(e) for e in entries]
    if len(stores) > 1:
        header.insert(1, "store")
        for row, entry in zip(rows, entries, strict=True):
            row.insert(1, entry.store)
    widths = [min(40, max(len(h), *(len(r[i]) for r in rows))) for i, h in enumerate(header[:-1])]
    for line in [header, *rows]:
        # the last column, the message, has no width: zip stops before it
        cells = [c[:40].ljust(w) for c, w in zip(line, widths, strict=False)] + [line[-1]]
        print("  ".join(cells).rstrip())
    print(f"{len(entries)} pending. A manager resolves them in the terminal's Pending redemptions panel.")
    return EXIT_OK


def _pending_row(entry: JournalEntry) -> list[str]:
    state = entry.state.value
    if entry.reversal_phase is not None:
        state = f"reversal {entry.reversal_phase.value}"
    elif state == "sending":
        state = "sending (or stopped mid-send)"
    return [
        entry.created_at.astimezone().isoformat(timespec="seconds"),
        entry.transaction_id,
        entry.discount_name,
        entry.pos_discount_id or "-",
        f"{entry.points:,}",
        state,
        entry.message,
    ]


def _export(journal: Journal, since: date, until: date | None, target: str) -> int:
    report = journal.verify_chain()
    code = EXIT_OK
    if not report.ok:
        _error(f"WARNING: {report}. Exporting anyway; tell the auditor.")
        code = EXIT_CHAIN_BROKEN
    try:
        if target == "-":
            count = journal.export_csv(sys.stdout, since, until)
        else:
            count = journal.export_csv(target, since, until)
    except OSError as exc:
        _error(f"Cannot write {target}: {exc.strerror or exc}.")
        return EXIT_BAD_INPUT
    span = f"{since} to {until}" if until else f"{since} to now"
    if target != "-":
        print(f"Wrote {count} audit events ({span}) to {target}.")
    return code


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date; write it as YYYY-MM-DD, like 2024-05-31.") from None


def _error(text: str) -> None:
    print(text, file=sys.stderr)
