"""Command line: start the terminal (default), or IT's commands that need no window."""

from __future__ import annotations

import argparse
import gc
import sys

from budtender_app import __version__

#: IT's sub-commands (and ``sale``): a command line naming none starts the window, parsed without
#: them, so the terminal's start-up does not import what they need (report, journal, staff, hub:
#: about 150 ms of modules).
COMMANDS = frozenset({"credentials", "redemptions", "journal", "manager-pin", "settings", "staff", "report",
                      "sale", "hub", "simulator", "feed"})


def start_parser() -> argparse.ArgumentParser:
    """The options that start the window, and nothing else."""
    parser = argparse.ArgumentParser(prog="budtender-app",
                                     description="Redeem Alpine IQ loyalty wallet discounts at the counter.")
    _add_start_options(parser)
    parser.set_defaults(command=None)
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line as the start-up needs it: the window's options alone when no sub-command is
    named (anything unknown then goes through the whole parser, for its error and its --help)."""
    if not COMMANDS.intersection(argv) and not {"-h", "--help"}.intersection(argv):
        args, rest = start_parser().parse_known_args(argv)
        if not rest:
            return args
    return build_parser().parse_args(argv)


def build_parser() -> argparse.ArgumentParser:
    """The app's command line: the options that start the window, and IT's sub-commands."""
    from budtender_app.cli.feed import build_feed_parser
    from budtender_app.cli.handoff import build_sale_parser
    from budtender_app.cli.hub_parser import build_hub_parser
    from budtender_app.cli.journal import build_journal_parser, build_redemptions_parser
    from budtender_app.cli.report import build_report_parser
    from budtender_app.cli.staff import build_staff_parser

    parser = argparse.ArgumentParser(
        prog="budtender-app",
        description="Redeem Alpine IQ loyalty wallet discounts at the counter.",
    )
    _add_start_options(parser)
    sub = parser.add_subparsers(dest="command")
    _add_credentials_parser(sub)
    build_redemptions_parser(sub)
    build_journal_parser(sub)
    _add_settings_parsers(sub)
    build_staff_parser(sub)
    build_report_parser(sub)
    build_sale_parser(sub)
    build_hub_parser(sub)
    build_feed_parser(sub)
    sim = sub.add_parser("simulator", help="serve the simulated AIQ on 127.0.0.1 (training, tests)")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    return parser


def _add_start_options(parser: argparse.ArgumentParser) -> None:
    from budtender_app.domain.settings import DEFAULT_BASE_URL

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--demo", action="store_true", help="training mode: a simulated AIQ, no real points")
    parser.add_argument("--base-url", metavar="URL", help=f"AIQ base URL (default {DEFAULT_BASE_URL})")
    parser.add_argument("--store", metavar="NAME", default=None, help="store profile to use")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG (secrets are still redacted)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this computer can run the app (Qt, keyring, a demo redemption), then exit")
    parser.add_argument("--require-keyring", action="store_true",
                        help="with --self-test: fail when no OS keyring backend answers")


def _add_credentials_parser(sub: argparse._SubParsersAction) -> None:
    creds = sub.add_parser("credentials", help="store, show or clear this store's AIQ credentials")
    creds_sub = creds.add_subparsers(dest="action", required=True)
    set_p = creds_sub.add_parser("set", help="save the UID; the API key is read from standard input")
    set_p.add_argument("--uid", required=True, help="AIQ account UID (Settings > API & Tracking)")
    show_p = creds_sub.add_parser("show", help="print the UID and the key masked to its last 4 characters")
    clear_p = creds_sub.add_parser("clear", help="remove the credentials from the keyring")
    for action in (set_p, show_p, clear_p):
        action.add_argument("--store", dest="cred_store", metavar="NAME", default=None)


def _add_settings_parsers(sub: argparse._SubParsersAction) -> None:
    pin = sub.add_parser("manager-pin", help="the manager PIN that guards the settings")
    pin_sub = pin.add_subparsers(dest="action", required=True)
    pin_sub.add_parser("reset",
                       help="forget the manager PIN (IT, after a forgotten PIN); the next visit sets a new one")
    settings = sub.add_parser("settings", help="the settings file (store profiles, manager PIN)")
    settings_sub = settings.add_subparsers(dest="action", required=True)
    settings_sub.add_parser("check", help="say whether the settings file can be read, and what it holds")
    settings_sub.add_parser("reset", help="move an UNREADABLE settings file aside (kept for IT) so the terminal "
                                          "is set up again: new store profiles and manager PIN")


def main(argv: list[str] | None = None) -> int:
    """Run what the command line asks for; the process's exit code."""
    # What the terminal's start-up builds (modules, classes, the window) lives as long as the
    # app: collecting garbage while building it found none and cost 20-30 ms of start-up. The
    # warm-up after the window shows collects once, freezes what is left and turns collection
    # back on (app.py warm_up); IT's commands (the simulator serves for hours) turn it on at once.
    gc.disable()
    try:
        return _command(argv)
    finally:
        gc.enable()


def _command(argv: list[str] | None) -> int:
    from budtender_app.cli import handoff

    argv, link = handoff.split_link(sys.argv[1:] if argv is None else list(argv))
    if (fast := handoff.fast_path(argv, link)) is not None:
        return fast  # a POS waits on a hand-off: none of IT's commands (~250 ms of imports) are loaded
    args = parse(argv)
    if link is not None:  # the OS hands a budtender:// link to the registered app: budtender-app URL
        return handoff.run_link(link) if not args.command else handoff.link_with_command()
    if args.self_test or args.command:
        gc.enable()
    if args.self_test:
        from budtender_app.selftest import run_self_test

        return run_self_test(require_keyring=args.require_keyring)
    if args.command:
        return _run(args)
    if (running := handoff.raise_running(args)) is not None:
        return running  # one terminal per user session: the running one came to the front
    from budtender_app.app import run_app

    return run_app(args)


def _run(args: argparse.Namespace) -> int:
    """IT's commands (and ``sale``, a hand-off to the running terminal)."""
    from budtender_app.cli import handoff

    if args.command == "credentials":
        from budtender_app.cli.credentials import run_credentials

        return run_credentials(args)
    if args.command == "redemptions":
        from budtender_app.cli.journal import run_redemptions

        return run_redemptions(args)
    if args.command == "journal":
        from budtender_app.cli.journal import run_journal

        return run_journal(args)
    if args.command in ("manager-pin", "settings"):
        from budtender_app.cli.settings import run_manager_pin, run_settings

        return (run_manager_pin if args.command == "manager-pin" else run_settings)(args)
    if args.command == "staff":
        from budtender_app.cli.staff import run_staff

        return run_staff(args)
    if args.command == "report":
        from budtender_app.cli.report import run_report

        return run_report(args)
    if args.command == "sale":
        return handoff.run_sale(args)
    if args.command == "hub":
        from budtender_app.cli.hub import run_hub

        return run_hub(args)
    return _run_more(args)


def _run_more(args: argparse.Namespace) -> int:
    """The feed import and the simulator (split from _run to keep each short)."""
    if args.command == "feed":
        from budtender_app.cli.feed import run_feed

        return run_feed(args)
    if args.command == "simulator":
        from budtender_app.simulator.server import run_standalone

        return run_standalone(port=args.port, latency=args.latency)
    raise AssertionError(args.command)  # argparse knows no other command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
