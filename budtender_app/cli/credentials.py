"""`budtender-app credentials set|show|clear`: how IT puts a store's AIQ UID and key in the keyring.

The key comes in on standard input (a hidden prompt at a terminal), never as an argument: an
argument would sit in the shell history and in every process listing. It goes out only masked.

The store name of `set` follows the settings form's rule (domain.settings.check_store_name),
so the CLI never stores a key under a name the form would refuse; a name that is an existing
store profile's in another case is that profile (the app looks keys up by the profile's name).
`show` and `clear` take any name, so IT can still remove what an older version stored.

Exit codes: 0 done, 1 nothing stored / nothing to clear, 2 bad input, 3 no usable keyring.
"""

from __future__ import annotations

import argparse
import getpass
import shlex
import sys
from collections.abc import Callable

from budtender_app.domain.settings import check_store_name
from budtender_app.services.credentials import (
    DEFAULT_STORE,
    CredentialError,
    Credentials,
    CredentialStore,
    KeyringUnavailable,
    normalize_store_name,
    normalize_uid,
)
from budtender_app.services.settings_store import SettingsStore

EXIT_OK = 0
EXIT_NOTHING_STORED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_KEYRING = 3


def run_credentials(args: argparse.Namespace, *, credential_store: CredentialStore | None = None) -> int:
    """Run one `credentials` action (args.action: set, show or clear) and return its exit code.

    credential_store: where to keep the credentials (tests); None means the OS keyring.
    """
    action = _ACTIONS[args.action]
    try:
        # `budtender-app --store X credentials show` means store X too, not the default one.
        store = normalize_store_name(args.cred_store or getattr(args, "store", None) or DEFAULT_STORE)
        store = _as_profile_name(store, strict=args.action == "set")
        return action(args, credential_store or CredentialStore(), store)
    except CredentialError as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except KeyringUnavailable as exc:
        _error(str(exc))
        return EXIT_NO_KEYRING


def _set(args: argparse.Namespace, credential_store: CredentialStore, store: str) -> int:
    uid = normalize_uid(args.uid)
    # Check the keyring before asking for the key: nobody should paste a secret for nothing.
    credential_store.ensure_usable()
    credentials = Credentials(uid, _read_api_key())
    credential_store.save(store, credentials)
    print(
        f"Saved AIQ credentials for store {store!r} (UID {credentials.uid}, "
        f"key {credentials.masked_key}) in {credential_store.backend_name}."
    )
    return EXIT_OK


def _show(args: argparse.Namespace, credential_store: CredentialStore, store: str) -> int:
    credentials = credential_store.load(store)
    if credentials is None:
        _error(
            f"No AIQ credentials are stored for store {store!r}. Save them with: "
            f"budtender-app credentials set --uid <UID>{_store_option(store)} "
            "(the API key is read from standard input)."
        )
        return EXIT_NOTHING_STORED
    print(
        f"Store {store!r}: AIQ UID {credentials.uid}, API key {credentials.masked_key} "
        f"(in {credential_store.backend_name})."
    )
    return EXIT_OK


def _clear(args: argparse.Namespace, credential_store: CredentialStore, store: str) -> int:
    if not credential_store.clear(store):
        _error(f"No AIQ credentials were stored for store {store!r}: nothing to clear.")
        return EXIT_NOTHING_STORED
    print(f"Removed the AIQ credentials for store {store!r} from {credential_store.backend_name}.")
    return EXIT_OK


def _as_profile_name(store: str, *, strict: bool) -> str:
    """The name as the settings form would take it (strict: CredentialError when it refuses it),
    spelt as the stored profile of that name is, if there is one."""
    try:
        store = check_store_name(store)
    except ValueError as exc:
        if strict:
            raise CredentialError(f"--store: {exc} Nothing was saved.") from None
        return store
    profile = SettingsStore().load().profile(store)  # an unreadable file: no profile to match
    return profile.name if profile is not None else store


def _read_api_key() -> str:
    """The key as typed or piped in; CredentialError when there is none to read."""
    stdin = sys.stdin
    if stdin is None:  # pythonw and some service launchers give no standard input at all
        raise CredentialError("No API key was given: pipe it to standard input.")
    try:
        if stdin.isatty():
            # getpass reads from the terminal without echo: the key never shows on screen.
            return getpass.getpass("AIQ API key: ")
        return stdin.read()
    except EOFError:  # Ctrl-D at the prompt: no key, which Credentials reports as empty
        return ""
    except UnicodeDecodeError:
        raise CredentialError("The API key could not be read as text. Paste it again.") from None
    except KeyboardInterrupt:
        raise CredentialError("Cancelled: nothing was saved.") from None


def _store_option(store: str) -> str:
    return "" if store == DEFAULT_STORE else f" --store {shlex.quote(store)}"


def _error(message: str) -> None:
    print(message, file=sys.stderr)


_ACTIONS: dict[str, Callable[[argparse.Namespace, CredentialStore, str], int]] = {
    "set": _set,
    "show": _show,
    "clear": _clear,
}
