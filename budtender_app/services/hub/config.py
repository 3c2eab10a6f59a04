"""Joining a store hub: its URL (kept in ``hub.json`` in the config folder, never with a password)
and its password (kept in the OS keyring under "hub-password", never on a command line nor in a
file). TLS is required (``sslmode=require``, ``verify-ca`` or ``verify-full``) except to this
computer (127.0.0.1, localhost, ::1), where there is no wire to listen on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from budtender_app.services.credentials import CredentialStore
from budtender_app.services.paths import folders

KEYRING_ENTRY = "hub-password"
#: Seconds to wait for the hub before saying it is unreachable: never long at the counter.
CONNECT_TIMEOUT = 3
#: The hub's session settings for every terminal connection: a statement or a lock wait that does
#: not end (a register frozen inside its claim's transaction holds the row; someone's long
#: transaction locks the table) is cancelled by the hub, so a checkout's claim comes back
#: unreachable in seconds instead of never; a session left idle inside a transaction (its register
#: died mid-claim) is ended by the hub, so its locks do not outlive it. TCP keepalives and
#: ``tcp_user_timeout`` notice a hub whose wire went dead mid-statement (the hub cannot cancel
#: what it never received). The reports that scan the store's history lift the statement limit
#: for their own transaction (export.py, shift_report.py).
SESSION_OPTIONS = "-c statement_timeout=5000 -c lock_timeout=2000 -c idle_in_transaction_session_timeout=20000"
TCP_ARGS = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
            "tcp_user_timeout": 10000}
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TLS_MODES = frozenset({"require", "verify-ca", "verify-full"})


class HubConfigError(ValueError):
    """A hub URL that cannot be used; the message tells IT why and what to type instead."""


@dataclass(frozen=True)
class HubUrl:
    """A checked hub address: ``postgresql://USER@HOST[:PORT]/DB[?sslmode=...]``, no password."""

    text: str
    user: str
    host: str
    port: int
    dbname: str
    sslmode: str

    @property
    def local(self) -> bool:
        return self.host in LOCAL_HOSTS

    def connect_args(self, password: str) -> dict[str, Any]:
        """psycopg.connect's keyword arguments (the password never goes into a URL or a log)."""
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname,
                "password": password, "sslmode": self.sslmode, "connect_timeout": CONNECT_TIMEOUT,
                "application_name": "budtender-app", "options": SESSION_OPTIONS, **TCP_ARGS}


def parse_hub_url(text: str) -> HubUrl:
    """The checked URL; HubConfigError for a password in it, a missing part or no TLS to a remote host."""
    text = text.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # "[" with no "]": urlsplit's own refusal, in IT's words
        raise HubConfigError("The hub URL cannot be read: postgresql://USER@HOST[:PORT]/DB "
                             "(an IPv6 host goes in square brackets).") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise HubConfigError("The hub URL starts with postgresql:// (postgresql://USER@HOST[:PORT]/DB).")
    if parts.password is not None:
        raise HubConfigError("Leave the password out of the URL: it is read from standard input "
                             "and kept in the OS keyring. Nothing was saved.")
    user, host, dbname = unquote(parts.username or ""), parts.hostname or "", unquote(parts.path.lstrip("/"))
    if not (user and host and dbname):
        raise HubConfigError("The hub URL needs a user, a host and a database: postgresql://USER@HOST[:PORT]/DB.")
    try:
        port = parts.port or 5432
    except ValueError:
        raise HubConfigError("The hub URL's port is not a number.") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"sslmode"}
    if unknown:
        raise HubConfigError(f"The hub URL may carry only sslmode, not {', '.join(sorted(unknown))}.")
    local = host in LOCAL_HOSTS
    sslmode = query.get("sslmode", "prefer" if local else "")
    if not local and sslmode not in TLS_MODES:
        raise HubConfigError(
            f"The hub at {host} is reached over the network: TLS is required. Add ?sslmode=verify-full "
            "(or require) to the URL. Nothing was saved.")
    return HubUrl(text, user, host, port, dbname, sslmode)


class HubConfig:
    """Where this terminal's hub settings live: the URL in ``hub.json``, the password in the keyring."""

    def __init__(self, keys: CredentialStore, file: Path | None = None) -> None:
        self._keys = keys
        self._file = file or folders().hub_file

    @property
    def keys(self) -> CredentialStore:
        """Where the password is kept (and this register's staff key, for the hub's status)."""
        return self._keys

    def url(self) -> HubUrl | None:
        """The hub this terminal joined, or None (none, or a file that no longer parses)."""
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
            return parse_hub_url(str(data["url"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def password(self) -> str | None:
        return self._keys.secret(KEYRING_ENTRY)

    def save(self, url: HubUrl, password: str) -> None:
        """Password first: a save cut short leaves no URL, which reads as "not joined"."""
        self._keys.save_secret(KEYRING_ENTRY, password)
        self._file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": url.text}) + "\n", encoding="utf-8")
        tmp.replace(self._file)

    def forget(self) -> bool:
        """Forget the URL and the password; True when there was either."""
        had_file = self._file.exists()
        self._file.unlink(missing_ok=True)
        return self._keys.forget_secret(KEYRING_ENTRY) or had_file

    def connect_args(self) -> dict[str, Any] | None:
        """psycopg.connect's arguments for the joined hub, or None when not joined."""
        url, password = self.url(), self.password()
        if url is None or password is None:
            return None
        return url.connect_args(password)


def unhurried(conn: psycopg.Connection) -> None:
    """Inside a report's transaction: no statement limit (a scan of the store's history may sort
    for long), and a reader paused between batches is not ended (SESSION_OPTIONS' limits are the
    counter's). Ends with the transaction."""
    conn.execute("SET LOCAL statement_timeout = 0")
    conn.execute("SET LOCAL idle_in_transaction_session_timeout = '15min'")


class HubUnreachable(Exception):
    """The hub did not answer, or refused this terminal; the message says which, for IT."""


def connect(args: dict[str, Any]) -> psycopg.Connection:
    """A connection to the hub (``connect_timeout`` keeps an unreachable one short); HubUnreachable."""
    try:
        return psycopg.connect(**args)
    except psycopg.Error as exc:
        where = f"{args.get('host')}:{args.get('port')}"
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise HubUnreachable(f"The hub at {where} is unreachable: {detail}") from exc
