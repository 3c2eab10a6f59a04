"""`budtender-app report --date YYYY-MM-DD [--list-shifts | --shift N] [--csv FILE] [--check-aiq]`:
the end-of-day report, or one shift's. With ``--hub``, the whole store's from the store hub
(cli/hub_report.py: the shift report, or with ``--since`` the auditors' export).

Reads the journal and the consent record read-only (it works while the terminal runs) and prints
the per-staff table, the unusual patterns with their events, and what the figures leave out.
``--csv`` also writes it as a spreadsheet-safe CSV (never over a file that is there).
``--check-aiq`` compares it with AIQ's redemption report for the same day (E11), with the store's
credentials from the keyring. With ``--demo`` it is training's journal, and the check asks the
simulator: the one at ``--base-url`` (for instance `budtender-app simulator`) or, without it, a
fresh one in this process, which knows none of training's earlier redemptions.

``--list-shifts`` prints the day's shifts (a sign-in to its sign-out, ``domain/shifts.py``) as
numbered lines with the name and times; ``--shift N`` is then the report of shift N only: that
person's events in its hours, titled with the shift (on screen and in the CSV).

The day is the store's local day in this computer's time zone (``Clock.system``).
Exit codes: 0 done, 1 no journal (or one that cannot be read) or AIQ could not be asked,
2 bad input (a date that is not one, a shift number the day does not have, a CSV file that is
already there or cannot be written).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sqlite3
import sys
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from budtender_app.domain import errors
from budtender_app.domain.clock import Clock
from budtender_app.domain.shift_check import Check
from budtender_app.domain.shift_report import ShiftReport, day_range
from budtender_app.domain.shift_text import report_text
from budtender_app.domain.shifts import Shift
from budtender_app.services import shift_report
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.journal import JournalError
from budtender_app.services.paths import folders

if TYPE_CHECKING:
    from budtender_app.startup import Mode

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def build_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `report` to the app's sub-commands; returns the new parser."""
    parser = subparsers.add_parser("report", help="the end-of-day report: per staff member, with unusual patterns")
    parser.add_argument("--date", dest="report_date", default=None, metavar="YYYY-MM-DD",
                        help="the store's local day (required, except for --hub --since)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--list-shifts", action="store_true", help="list the day's shifts (sign-in to sign-out)")
    which.add_argument("--shift", dest="report_shift", metavar="N", default=None,
                       help="the report of shift N only (its number from --list-shifts)")
    parser.add_argument("--csv", dest="report_csv", metavar="FILE", default=None,
                        help="also write it as CSV (a file that is there is never replaced)")
    parser.add_argument("--check-aiq", action="store_true", help="compare with AIQ's redemption report (E11)")
    parser.add_argument("--journal", dest="report_journal", metavar="FILE", default=None,
                        help="the redemption journal (default: this computer's)")
    parser.add_argument("--demo", dest="report_demo", action="store_true", help="training's journal and simulator")
    _add_hub_options(parser)
    return parser


def _add_hub_options(parser: argparse.ArgumentParser) -> None:
    """`report --hub`'s options (cli/hub_report.py runs it)."""
    hub = parser.add_argument_group("the whole store, from the store hub")
    hub.add_argument("--hub", dest="report_hub", action="store_true",
                     help="every register's events from the store hub: --date for the shift report, "
                          "--since/--until with --csv for the auditors' export")
    hub.add_argument("--since", dest="report_since", metavar="YYYY-MM-DD", default=None,
                     help="with --hub: the auditors' export from this day")
    hub.add_argument("--until", dest="report_until", metavar="YYYY-MM-DD", default=None,
                     help="with --hub --since: up to this day, included (default: now)")
    # SUPPRESS: not given here, the app's own --store (before `report`) stays as it was.
    hub.add_argument("--store", dest="store", metavar="NAME", default=argparse.SUPPRESS,
                     help="with --hub: this store (default: this computer's active store profile)")
    hub.add_argument("--all-stores", action="store_true", help="with --hub: every store on the hub (a chain)")


def run_report(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """Print the report of ``--date``; write the CSV; check with AIQ. The exit code."""
    clock = clock or Clock.system()
    if args.report_hub:  # the whole store's, from the hub
        from budtender_app.cli.hub_report import run_hub_report

        return run_hub_report(args, clock)
    return _journal_report(args, clock)


def _day(text: str | None) -> date | None:
    """``--date``'s day, or None after saying what is wrong with it."""
    if text is None:
        _error("--date YYYY-MM-DD is required (the store's local day).")
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _error(f"--date {text!r} is not a date; write it as YYYY-MM-DD, like 2026-11-22.")
        return None


def _journal_report(args: argparse.Namespace, clock: Clock) -> int:
    """This register's report of ``--date`` from its journal."""
    training = bool(args.demo or args.report_demo)
    day = _day(args.report_date)
    if day is None:
        return EXIT_BAD_INPUT
    if args.report_csv and Path(args.report_csv).exists():
        _error(f"{args.report_csv} is already there: choose another name (a report never replaces a file).")
        return EXIT_BAD_INPUT
    from budtender_app.startup import StartupError, choose_mode

    try:
        mode = choose_mode(argparse.Namespace(**{**vars(args), "demo": training}))
    except StartupError as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    if not training and mode.training:  # nothing set up (or no keyring): say why, read no journal
        _error(f"{mode.notice} Use --demo for training's report.")
        return EXIT_FAILED
    path = Path(args.report_journal) if args.report_journal else folders().journal(training=training)
    zone = clock.local(clock.now()).tzinfo
    assert zone is not None  # Clock.local gives an aware time
    span = day_range(day, zone)
    try:
        shifts = shift_report.list_shifts(path, span, mode.store, clock.now())
        if args.list_shifts:
            return _list_shifts(day, shifts, zone)
        shift = _chosen_shift(args.report_shift, day, shifts)
        if isinstance(shift, int):
            return shift
        report = shift_report.make_report(path, shift.span(zone) if shift else span, store=mode.store,
                                          consents=folders().consents(training=training), shift=shift,
                                          imports=folders().feed_imports(training=training))
    except (JournalError, sqlite3.Error) as exc:
        _error(f"The redemption journal {path} cannot be read: {exc}")
        return EXIT_FAILED
    return _show(args, report, mode, training)


def _list_shifts(day: date, shifts: list[Shift], zone: tzinfo) -> int:
    """The day's shifts, one numbered line each; the exit code."""
    if not shifts:
        print(f"No sign-ins on {day.isoformat()}: no shifts to list (the whole day's report has everything).")
    for shift in shifts:
        print(shift.label(zone))
    return EXIT_OK


def _chosen_shift(text: str | None, day: date, shifts: list[Shift]) -> Shift | int | None:
    """The shift ``--shift`` names (None: the whole day), or EXIT_BAD_INPUT after saying why."""
    if text is None:
        return None
    number = int(text) if text.strip().isdigit() else 0
    found = next((s for s in shifts if s.number == number), None)
    if found is None:
        have = f"shifts 1 to {len(shifts)}" if len(shifts) > 1 else ("shift 1" if shifts else "no shifts")
        _error(f"--shift {text!r}: {day.isoformat()} has {have}. See them with --list-shifts.")
        return EXIT_BAD_INPUT
    return found


def _show(args: argparse.Namespace, report: ShiftReport, mode: Mode, training: bool) -> int:
    """Check with AIQ when asked, print the report, write its CSV; the exit code."""
    check, code, remark = None, EXIT_OK, ""
    if args.check_aiq:
        check, remark = _check(report, mode.config, args.base_url if training else None, training)
        if check is None:
            _error(remark)
            code, remark = EXIT_FAILED, ""
    print(("TRAINING - no real points\n" if training else "")
          + f"Store {mode.store} · terminal {socket.gethostname()}\n" + report_text(report, check))
    if remark:
        print(remark)
    if args.report_csv:
        try:
            shift_report.write_csv(report, args.report_csv, training=training, check=check)
        except OSError as exc:
            _error(f"Cannot write {args.report_csv}: {exc.strerror or exc}.")
            return EXIT_BAD_INPUT
        print(f"Wrote the report to {args.report_csv}.")
    return code


def _check(report: ShiftReport, config: AiqConfig, base_url: str | None, training: bool) -> tuple[Check | None, str]:
    """(AIQ's check, a remark) or (None, why it could not be made)."""
    async def ask() -> Check:
        if training and not base_url:
            from budtender_app.simulator.core import Simulator
            from budtender_app.simulator.transport import SimulatorTransport

            transport: httpx.AsyncBaseTransport = SimulatorTransport(Simulator(base_url=config.base_url))
        else:
            transport = httpx.AsyncHTTPTransport()
        cfg = AiqConfig(base_url, config.api_key, config.uid) if base_url else config
        async with httpx.AsyncClient(transport=transport, timeout=15.0, follow_redirects=False) as http:
            return await shift_report.check_with_aiq(AiqClient(http, cfg), report)

    try:
        check = asyncio.run(ask())
    except errors.AiqError as exc:
        return None, f"AIQ's redemption report could not be read: {exc}"
    remark = ("TRAINING: checked against a fresh simulator, which knows none of training's earlier "
              "redemptions (run `budtender-app simulator` and pass --base-url to check against it).")
    return check, remark if training and not base_url else ""


def _error(text: str) -> None:
    print(text, file=sys.stderr)
