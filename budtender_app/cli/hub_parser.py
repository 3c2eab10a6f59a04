"""The `hub` sub-command's options (cli/hub.py runs them). Apart, so that building the app's
command line at every start does not import psycopg and the hub's services (about 150 ms)."""

from __future__ import annotations

import argparse

from budtender_app.services.journal import default_journal_path


def build_hub_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `hub set|init|status|push|leave|staff-key` to the app's sub-commands."""
    parser = subparsers.add_parser("hub", help="join the store hub (PostgreSQL), push to it, see its state")
    actions = parser.add_subparsers(dest="hub_action", required=True)
    set_p = actions.add_parser("set", help="join a hub; its password is read from standard input")
    set_p.add_argument("--url", required=True, help="postgresql://USER@HOST[:PORT]/DB?sslmode=verify-full")
    set_p.add_argument("--password", help=argparse.SUPPRESS)  # only to refuse it with a reason
    actions.add_parser("init", help="create or migrate the hub's schema (once per hub; safe to repeat)")
    for name, text in (("status", "is the hub reachable, how far behind is this terminal"),
                       ("push", "push this terminal's journal to the hub now")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--journal", dest="journal_path", metavar="FILE", default=None,
                            help=f"the redemption journal (default {default_journal_path()})")
    actions.add_parser("leave", help="forget the hub's URL and password")
    key = actions.add_parser("staff-key", help="show this register's staff sign-in key, or --set the store's "
                                               "(read from standard input)")
    key.add_argument("--set", action="store_true", help="read the store's key from standard input and keep it")
    add_release_parser(actions)
    return parser


def add_release_parser(actions: argparse._SubParsersAction) -> None:
    """`hub release-claim`'s options."""
    p = actions.add_parser("release-claim", help="release a claim held by a register that is gone for good "
                                                 "(a manager decides; the holder may have redeemed it)")
    p.add_argument("--transaction", required=True, help="the POS transaction")
    p.add_argument("--discount", required=True, help="the AIQ discount id")
    p.add_argument("--store", default=None, help="the store (needed only when two stores' claims match)")
    p.add_argument("--manager", required=True, help="the manager who decided (name or initials)")
    p.add_argument("--reason", required=True, help="why (at most 200 characters), e.g. what AIQ's report shows")
    p.add_argument("--journal", dest="journal_path", metavar="FILE", default=None,
                   help=f"this terminal's redemption journal (default {default_journal_path()})")
