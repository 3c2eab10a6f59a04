"""`budtender-app report --hub`: the store-wide reports, from the store hub (issue 15).

    report --hub --since YYYY-MM-DD [--until YYYY-MM-DD] --csv FILE [--store NAME | --all-stores]
        the auditors' export of every register (the local export's columns plus ``register``),
        streamed from the hub to the file: memory stays flat however many rows.
    report --hub --date YYYY-MM-DD [--csv FILE] [--store NAME | --all-stores]
        the day's shift report, per staff member across registers and per register.

The store is ``--store`` (a store's name as its registers push it), else this computer's active
store profile; ``--all-stores`` is every store on the hub (a chain's). Days are the store's local
days in the app's clock's zone. A CSV file that is there is never replaced. Training never reads
the hub (``--demo`` is refused): its redemptions are not real, and the hub's are not training's.

Exit codes: 0 done, 1 no hub joined, unreachable or refused, 2 bad input (a date, a file that is
there or cannot be written, no store), 3 no usable keyring, 4 exported but a register's chain is
flagged broken on the hub (the file is still written: auditors see what is there).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, tzinfo
from pathlib import Path

import psycopg

from budtender_app.domain.clock import Clock
from budtender_app.domain.shift_report import day_range
from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.hub.config import HubConfig, HubUnreachable, connect
from budtender_app.services.hub.export import export_hub_csv
from budtender_app.services.hub.schema import HubSchemaError
from budtender_app.services.hub.shift_report import hub_report_text, make_hub_report, write_hub_csv

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_KEYRING = 3
EXIT_CHAIN_FLAGGED = 4


class _BadInput(ValueError):
    """What the command line asked cannot be done; the message says why."""


def run_hub_report(args: argparse.Namespace, clock: Clock, *, keys: CredentialStore | None = None) -> int:
    """Run `report --hub`; the exit code. Every failure is one line on standard error."""
    try:
        store = _store(args)
        since, until, day = _dates(args)
        if args.report_csv and (Path(args.report_csv).exists() or Path(args.report_csv).is_symlink()):
            raise _BadInput(f"{args.report_csv} is already there: choose another name (a report never replaces "
                            "a file).")
        connect_args = HubConfig(keys or CredentialStore()).connect_args()
        if connect_args is None:
            _error("This terminal joined no hub: `budtender-app hub set --url postgresql://USER@HOST/DB` first.")
            return EXIT_REFUSED
        zone = clock.local(clock.now()).tzinfo
        assert zone is not None  # Clock.local gives an aware time
        with connect(connect_args) as conn:
            if day is not None:
                return _shift_report(conn, args.report_csv, day, zone, store)
            assert since is not None
            return _export(conn, args.report_csv, since, until, clock.zone, store)  # None: per moment, DST-right
    except _BadInput as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except KeyringUnavailable as exc:
        _error(str(exc))
        return EXIT_NO_KEYRING
    except (HubUnreachable, HubSchemaError) as exc:
        _error(str(exc))
        return EXIT_REFUSED
    except psycopg.Error as exc:
        _error(f"The hub refused the report: {' '.join(str(exc).split()) or type(exc).__name__}")
        return EXIT_REFUSED
    except FileExistsError:
        _error(f"{args.report_csv} is already there: choose another name (a report never replaces a file).")
        return EXIT_BAD_INPUT
    except OSError as exc:
        _error(f"Cannot write {args.report_csv}: {exc.strerror or exc}.")
        return EXIT_BAD_INPUT


def _shift_report(conn: psycopg.Connection, target: str | None, day: date, zone: tzinfo, store: str | None) -> int:
    hub = make_hub_report(conn, day_range(day, zone), store=store)
    print(hub_report_text(hub))
    if target:
        write_hub_csv(hub, target)
        print(f"Wrote the report to {target}.")
    return EXIT_OK


def _export(conn: psycopg.Connection, target: str, since: date, until: date | None, zone: tzinfo | None,
            store: str | None) -> int:
    result = export_hub_csv(conn, target, since, until, zone, store=store)
    span = f"{since} to {until}" if until else f"{since} to now"
    where = f"store {store}" if store is not None else "every store on the hub"
    print(f"Wrote {result.count} audit events of {where} ({span}) from the hub to {target}.")
    for name, problem in result.flagged:
        _error(f"WARNING: the hub found {name}'s audit chain broken: {problem} Tell the auditor and IT.")
    return EXIT_CHAIN_FLAGGED if result.flagged else EXIT_OK


def _store(args: argparse.Namespace) -> str | None:
    """The store to report on (None: every store on the hub); _BadInput for training or no store."""
    if args.demo or args.report_demo:
        raise _BadInput("Training never reads the store hub (its redemptions are not real): leave out --demo.")
    if args.list_shifts or args.report_shift is not None:
        raise _BadInput("--list-shifts and --shift are a register's (its journal's shifts): leave out --hub.")
    named = getattr(args, "store", None)
    if args.all_stores:
        if named:
            raise _BadInput("--store names one store, --all-stores every one: give one of them.")
        return None
    if named:
        return str(named)
    from budtender_app.services.settings_store import SettingsStore, SettingsUnreadable

    try:
        profile = SettingsStore().read().active_profile
    except SettingsUnreadable as exc:
        raise _BadInput(f"{exc} Name the store with --store NAME, or --all-stores.") from None
    if profile is None:
        raise _BadInput("This computer has no store profile: name the store with --store NAME, or --all-stores.")
    return profile.name


def _dates(args: argparse.Namespace) -> tuple[date | None, date | None, date | None]:
    """(since, until, day): an export's range, or a shift report's day; _BadInput when neither or both."""
    if (args.report_date is None) == (args.report_since is None):
        raise _BadInput("With --hub give --since (the auditors' export, with --csv FILE) or --date (the "
                        "shift report), one of them.")
    if args.report_until is not None and args.report_since is None:
        raise _BadInput("--until goes with --since (the auditors' export).")
    since, until, day = (_date(args.report_since, "--since"), _date(args.report_until, "--until"),
                         _date(args.report_date, "--date"))
    if since is not None and not args.report_csv:
        raise _BadInput("The auditors' export needs --csv FILE: where to write it.")
    if since is not None and until is not None and until < since:
        raise _BadInput(f"--until {until} is before --since {since}.")
    return since, until, day


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _BadInput(f"{option} {text!r} is not a date; write it as YYYY-MM-DD, like 2026-11-22.") from None


def _error(text: str) -> None:
    print(text, file=sys.stderr)
