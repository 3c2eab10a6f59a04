"""`budtender-app hub staff-key [--set]`: the store's staff sign-in key, carried by IT from one
register to the next (services/hub/staff_sync.py says why the registers of a store share it).

Without ``--set`` it prints this register's key (made on first use) on standard output, for IT to
pipe into ``hub staff-key --set`` on the next register (``ssh till-2 budtender-app hub staff-key
--set``), never into a file; the key is not in the hub's tables, so a copy of the hub alone checks
no passcode tag. ``--set`` reads the key from standard input (one line of 64 hex digits) and keeps
it in the OS keyring, replacing this register's: the staff file then drops its tags at the app's
next start and makes them again at each account's next sign-in (nobody is locked out).

Exit codes: 0 done, 2 bad input, 3 no usable keyring.
"""

from __future__ import annotations

import argparse
import re
import sys

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.staff.lookup import KEY_BYTES, LOOKUP_KEY_NAME

EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_KEYRING = 0, 2, 3
_KEY = re.compile(rf"[0-9a-f]{{{2 * KEY_BYTES}}}")


def run_staff_key(args: argparse.Namespace, keys: CredentialStore) -> int:
    """Show (or, with --set, replace) this register's staff sign-in key; the exit code."""
    try:
        return _set(keys) if args.set else _show(keys)
    except KeyringUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_NO_KEYRING


def _show(keys: CredentialStore) -> int:
    key = keys.app_key(LOOKUP_KEY_NAME, KEY_BYTES)
    if key is None:
        print(f"The staff sign-in key in the keyring ({LOOKUP_KEY_NAME}) is damaged: restore it from a backup of "
              "the keyring, or set the store's with `budtender-app hub staff-key --set`.", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(key.hex())
    print("This is the store's staff sign-in key: pipe it to `budtender-app hub staff-key --set` on each other "
          "register of the store. Keep it out of files, tickets and chats.", file=sys.stderr)
    return EXIT_OK


def _set(keys: CredentialStore) -> int:
    keys.ensure_usable()
    line = sys.stdin.readline() if sys.stdin is not None else ""
    text = line.strip().lower()
    if not _KEY.fullmatch(text):
        print(f"The staff sign-in key is {2 * KEY_BYTES} hex digits on one line (from `budtender-app hub "
              "staff-key` on a register of the store). Nothing was saved.", file=sys.stderr)
        return EXIT_BAD_INPUT
    keys.save_secret(LOOKUP_KEY_NAME, text)
    print("This register now has the store's staff sign-in key. Restart the app: accounts are found by their "
          "passcode's slow hash until each has signed in here once.")
    return EXIT_OK
