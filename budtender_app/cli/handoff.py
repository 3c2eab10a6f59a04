"""The second process of a hand-off (issue 14): ``sale``, a ``budtender://`` link, a plain second launch.

Each builds a Handoff (a refused one: its words on stderr, exit 2, nothing sent) and hands it to
the terminal running for this user (``single_instance.py``), printing its answer. Exit codes: 0
taken (or, a plain launch, the window raised), 1 refused by the terminal, 2 bad input, 3 no
terminal running.
"""

from __future__ import annotations

import argparse
import sys

from budtender_app.domain.handoff import SCHEME, Handoff, HandoffError, from_fields, parse_url

TAKEN, REFUSED, BAD_INPUT, NO_TERMINAL = 0, 1, 2, 3
NOT_RUNNING = "No terminal is running for this computer user. Start the terminal first, then hand the sale over again."
VALUE_OPTIONS = ("--total", "--transaction", "--discount", "--store", "--base-url")


def build_sale_parser(sub: argparse._SubParsersAction) -> None:
    sale = sub.add_parser("sale", help="hand a POS sale to the running terminal (fills in; never redeems)")
    sale.add_argument("--total", required=True, help="the cart total, e.g. 42.50")
    sale.add_argument("--transaction", default=None, help="the POS transaction ID (checkout opens prefilled)")
    sale.add_argument("--discount", action="append", default=[], metavar="ID",
                      help="a POS discount ID to preselect when offered (repeatable)")


def fast_path(argv: list[str], link: str | None) -> int | None:
    """A hand-off alone on the command line (``sale ...`` or a link), run with no other command's
    parser loaded; None for everything else."""
    if link is not None and not argv:
        return run_link(link)
    if argv[:1] == ["sale"]:
        if link is not None:  # "%1" split at a quote in the link (Windows): never the sale, dropping the link
            return link_with_command()
        parser = argparse.ArgumentParser(prog="budtender-app")
        build_sale_parser(parser.add_subparsers(dest="command"))
        return run_sale(parser.parse_args(argv))
    return None


def split_link(argv: list[str]) -> tuple[list[str], str | None]:
    """The arguments without a ``budtender:`` link (as the OS hands it over: ``budtender-app URL``), and the link."""
    for i, arg in enumerate(argv):
        if arg.lower().startswith(SCHEME + ":") and (i == 0 or argv[i - 1] not in VALUE_OPTIONS):
            return argv[:i] + argv[i + 1:], arg
    return argv, None


def run_sale(args: argparse.Namespace) -> int:
    """``budtender-app sale --total ...``."""
    try:
        handoff = from_fields(args.total, args.transaction, args.discount)
    except HandoffError as exc:
        return _say(str(exc), BAD_INPUT)
    return hand_over(handoff)


def run_link(url: str) -> int:
    """``budtender-app 'budtender://sale?...'``: how a browser calls the registered handler."""
    try:
        handoff = parse_url(url)
    except HandoffError as exc:
        return _say(str(exc), BAD_INPUT)
    return hand_over(handoff)


def link_with_command() -> int:
    return _say("A budtender:// link is handed over on its own: budtender-app 'budtender://sale?total=...'.",
                BAD_INPUT)


def hand_over(handoff: Handoff) -> int:
    from budtender_app.single_instance import NoTerminal, send

    try:
        ok, said = send(handoff)
    except NoTerminal:
        return _say(NOT_RUNNING, NO_TERMINAL)
    if not ok:
        return _say(said, REFUSED)
    print(said)
    return TAKEN


def raise_running(args: argparse.Namespace) -> int | None:
    """A plain launch while a terminal runs: raise it and say so (the exit code); None: start this one."""
    from budtender_app.single_instance import NoTerminal, running, send

    if not running():  # one stat on Linux: the first launch pays next to nothing
        return None
    try:
        ok, said = send(Handoff())
    except NoTerminal:
        return None
    if not ok:
        return _say(said, REFUSED)
    if args.demo or args.store or args.base_url:
        said += " Its options stay as they are (--demo, --store, --base-url): close it first to start with others."
    print(said)
    return TAKEN


def _say(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code
