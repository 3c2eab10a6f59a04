"""`budtender-app hub set|init|status|push|leave`: joining the store hub (issue 15).

`set --url postgresql://USER@HOST[:PORT]/DB[?sslmode=verify-full]` keeps the URL in the config
folder's hub.json and the password, read from standard input (a hidden prompt at a terminal),
in the OS keyring: never on the command line, never in a file. TLS is required except to this
computer. `init` creates or migrates the hub's schema; `status` says whether the hub answers,
this terminal's last push and how far behind it is, and any terminal whose chain the hub found
broken (it checks this terminal's whole chain on the hub first); `push` pushes this terminal's
journal now; `leave` forgets the URL and the password; `staff-key [--set]` shows (or takes) the store's staff
sign-in key, carried by IT to each register (cli/hub_staff_key.py).

Exit codes: 0 done, 1 refused or unreachable (or a broken chain found), 2 bad input, 3 no usable keyring.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from pathlib import Path

from budtender_app.cli.hub_staff_key import run_staff_key
from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.hub.config import HubConfig, HubConfigError, HubUnreachable, connect, parse_hub_url
from budtender_app.services.hub.push import Terminal, check, push
from budtender_app.services.hub.schema import HubSchemaError, migrate
from budtender_app.services.hub.status import describe, hub_state
from budtender_app.services.hub.status_more import staff_key_id
from budtender_app.services.journal import Journal, JournalError, Seal, default_journal_path
from budtender_app.services.journal.guard import journal_name

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_KEYRING = 3


def run_hub(args: argparse.Namespace, *, keys: CredentialStore | None = None) -> int:
    """Run one `hub` action and return its exit code."""
    config = HubConfig(keys or CredentialStore())
    try:
        if args.hub_action == "set":
            return _set(args, config, keys or CredentialStore())
        if args.hub_action == "staff-key":
            return run_staff_key(args, keys or CredentialStore())
        if args.hub_action == "leave":
            forgot = config.forget()
            print("Left the hub: its URL and password are forgotten." if forgot else "This terminal joined no hub.")
            return EXIT_OK
        return _connected(args, config, keys or CredentialStore())
    except HubConfigError as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except KeyringUnavailable as exc:
        _error(str(exc))
        return EXIT_NO_KEYRING
    except (HubUnreachable, HubSchemaError, JournalError) as exc:
        _error(str(exc))
        return EXIT_REFUSED


def _set(args: argparse.Namespace, config: HubConfig, keys: CredentialStore) -> int:
    if args.password is not None:
        raise HubConfigError("The password is never given on the command line (it would stay in the shell "
                             "history and process list): pipe it to standard input. Nothing was saved.")
    url = parse_hub_url(args.url)
    keys.ensure_usable()  # before asking for a secret that could not be kept
    password = _read_password()
    config.save(url, password)
    print(f"Joined the hub {url.user}@{url.host}:{url.port}/{url.dbname} (password in {keys.backend_name}). "
          "Next: `budtender-app hub init` once per hub, then `hub status`.")
    return EXIT_OK


def _connected(args: argparse.Namespace, config: HubConfig, keys: CredentialStore) -> int:
    connect_args, url = config.connect_args(), config.url()
    if connect_args is None or url is None:
        _error("This terminal joined no hub: `budtender-app hub set --url postgresql://USER@HOST/DB` first.")
        return EXIT_REFUSED
    where = f"{url.host}:{url.port}/{url.dbname}"
    if args.hub_action == "release-claim":
        from budtender_app.cli.hub_release import run_release

        path = Path(args.journal_path) if args.journal_path else default_journal_path()
        return run_release(args, connect_args, _seal(path))
    with connect(connect_args) as conn:
        if args.hub_action == "init":
            before, after = migrate(conn)
            print(f"The hub's schema is version {after}" + (" (it already was)." if before == after
                                                            else f" (was {before})."))
            return EXIT_OK
        with _OpenTerminal(args) as terminal:
            if args.hub_action == "push":
                result = push(terminal, conn)
                if result.problem:
                    _error(result.problem)
                    return EXIT_REFUSED
                print(f"Pushed {result.pushed} events; the hub has #{result.hub_last} of {result.local_last}.")
            else:
                check(terminal, conn)  # the whole of this terminal's chain on the hub, with its key if here
            lines = describe(hub_state(conn, terminal, staff_key_id(keys)), where)
    print("\n".join(lines))
    return EXIT_REFUSED if any(line.startswith("WARNING") for line in lines) else EXIT_OK


class _OpenTerminal:
    """This terminal's journal, read-only, as the hub sees it (its key from the keyring, if there)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._path = Path(args.journal_path) if args.journal_path else default_journal_path()
        self._journal: Journal | None = None

    def __enter__(self) -> Terminal:
        if not self._path.exists():
            raise JournalError(f"There is no redemption journal at {self._path}: nothing to push yet.")
        self._journal = Journal.open_read_only(self._path, _seal(self._path))
        return Terminal(self._journal, socket.gethostname())

    def __exit__(self, *exc: object) -> None:
        if self._journal is not None:
            self._journal.close()


def _seal(path: Path) -> Seal | None:
    try:
        stored = CredentialStore().journal_seal(journal_name(path))
    except KeyringUnavailable:
        return None
    return None if stored is None else Seal(*stored)


def _read_password() -> str:
    stdin = sys.stdin
    try:
        text = "" if stdin is None else getpass.getpass("Hub password: ") if stdin.isatty() else stdin.read()
    except (EOFError, KeyboardInterrupt):
        text = ""
    password = text.rstrip("\r\n")
    if not password:
        raise HubConfigError("No hub password was given: pipe it to standard input. Nothing was saved.")
    return password


def _error(message: str) -> None:
    print(message, file=sys.stderr)
