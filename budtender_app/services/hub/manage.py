"""What Manager settings' Store hub page does on the hub, each a blocking call for a worker thread
(viewmodels/hub_settings.py awaits them with ``asyncio.to_thread``), and the manager's words for
what went wrong. No password is ever in those words: psycopg's messages hold none, and the URL
they name was checked to carry none (config.parse_hub_url).
"""

from __future__ import annotations

import enum
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub.config import HubUnreachable, HubUrl, connect
from budtender_app.services.hub.push import Terminal
from budtender_app.services.hub.schema import SCHEMA_VERSION, HubSchemaError, migrate, schema_version
from budtender_app.services.hub.status import hub_state
from budtender_app.services.hub.status_more import StaffState, Waits, staff_key_id
from budtender_app.services.journal import Journal, JournalError, Seal


class Fit(enum.Enum):
    """The hub's schema against this app's."""

    CURRENT = "current"
    MISSING = "missing"  # nobody initialised it
    OLDER = "older"  # Initialise schema migrates it
    NEWER = "newer"  # this app is too old for it


@dataclass(frozen=True)
class HubReport:
    """What the page shows of a hub: reachable or why not, and what ``hub status`` says of it."""

    reachable: bool
    problem: str = ""  # why not reachable, in the manager's words
    version: int = 0
    terminals: int = 0
    pushed: bool = False  # this terminal has pushed to it
    last_push: datetime | None = None
    last_sequence: int = 0
    behind: int | None = None  # events of this terminal's journal not on the hub (None: unknown)
    broken: tuple[str, ...] = ()  # terminals whose chain the hub found broken
    conflicts: int = 0  # late claims another register held, for managers
    waits: Waits | None = None  # settlements waiting (status_more.py); None before schema 6
    staff: StaffState | None = None

    @property
    def fit(self) -> Fit:
        if self.version == 0:
            return Fit.MISSING
        if self.version < SCHEMA_VERSION:
            return Fit.OLDER
        return Fit.NEWER if self.version > SCHEMA_VERSION else Fit.CURRENT


class HubProblem(Exception):
    """A hub action that did not happen; the message says why, for the manager."""


def explain(exc: BaseException, url: HubUrl) -> str:
    """The manager's words for a failed connection or action on the hub at ``url``."""
    cause = exc.__cause__ if isinstance(exc, HubUnreachable) and exc.__cause__ else exc
    detail = " ".join(str(cause).split())
    # libpq says 'connection to server at "HOST" (IP), port N failed: WHY': only WHY is read, so
    # a host named ssl-hub or timeout.lan is never taken for what went wrong.
    text, where = detail.lower().rsplit(" failed: ", 1)[-1], f"{url.host}:{url.port}"
    if isinstance(cause, HubSchemaError):
        return str(cause)
    if isinstance(cause, psycopg.errors.InsufficientPrivilege):
        return (f"The hub's user {url.user} may not change its tables: IT grants it the rights, or runs "
                "`budtender-app hub init` once as the database's owner.")
    if "password authentication failed" in text or "no password supplied" in text:
        return f"The hub refused the password for {url.user}: type it again."
    if "does not support ssl" in text:
        return (f"The hub at {url.host} does not offer TLS, and this terminal will not send its password "
                "unencrypted: IT turns on ssl in the server's postgresql.conf.")
    if "certificate" in text or "ssl" in text or "tls" in text:
        return f"The hub's TLS could not be checked ({detail}): IT checks the server's certificate."
    if "does not exist" in text and "database" in text:
        return f'The hub has no database "{url.dbname}": check the end of the URL.'
    if "pg_hba.conf" in text:
        return f"The hub at {url.host} does not let this computer in (pg_hba.conf): IT allows it."
    if "translate host name" in text or "name or service not known" in text:
        return f"No computer called {url.host} was found: check the hub URL."
    if "timeout" in text or "refused" in text or "unreachable" in text or "no route" in text:
        return (f"The hub at {where} does not answer: check the address, the network, and that the server "
                "is running.")
    return f"The hub at {where} refused the connection: {detail}"


def schema_words(report: HubReport) -> str:
    """What the page says of the hub's schema ("" when it is this app's)."""
    fit = report.fit
    if fit is Fit.MISSING:
        return "The hub has no schema yet: press Initialise schema (once per hub)."
    if fit is Fit.OLDER:
        return (f"The hub's schema is version {report.version}, older than this app's ({SCHEMA_VERSION}): "
                "press Initialise schema to bring it up to date.")
    if fit is Fit.NEWER:
        return (f"The hub's schema is version {report.version}, newer than this app's ({SCHEMA_VERSION}): "
                "update this app before this terminal uses that hub.")
    return ""


def report(args: dict[str, Any], url: HubUrl, journal_path: Path | None, seal: Seal | None,
           keys: CredentialStore | None = None) -> HubReport:
    """Connect and read the hub's state as ``hub status`` does (this terminal's distance behind
    from its journal, read-only); never raises for a hub problem: ``reachable`` False and why."""
    try:
        with connect(args) as conn:
            version = schema_version(conn)
            conn.commit()
            if version == 0 or version > SCHEMA_VERSION:
                return HubReport(True, version=version)
            with _OpenTerminal(journal_path, seal) as terminal:
                state = hub_state(conn, terminal, staff_key_id(keys))
    except (HubUnreachable, psycopg.Error) as exc:
        return HubReport(False, explain(exc, url))
    this = state.this
    return HubReport(True, version=state.version, terminals=len(state.terminals), pushed=this is not None,
                     last_push=this.last_push if this else None, last_sequence=this.last_sequence if this else 0,
                     behind=state.behind, broken=tuple(t.name for t in state.flagged), conflicts=len(state.conflicts),
                     waits=state.waits, staff=state.staff)


def initialise(args: dict[str, Any], url: HubUrl) -> tuple[int, int]:
    """``hub init``: (version before, after); HubProblem with the manager's words."""
    try:
        with connect(args) as conn:
            return migrate(conn)
    except (HubUnreachable, HubSchemaError, psycopg.Error) as exc:
        raise HubProblem(explain(exc, url)) from exc


class _OpenTerminal:
    """This terminal's journal, read-only, as the hub sees it; None when there is none to read."""

    def __init__(self, path: Path | None, seal: Seal | None) -> None:
        self._path, self._seal = path, seal
        self._journal: Journal | None = None

    def __enter__(self) -> Terminal | None:
        if self._path is None or not self._path.exists():
            return None
        try:
            self._journal = Journal.open_read_only(self._path, self._seal)
        except JournalError:
            return None
        return Terminal(self._journal, socket.gethostname())

    def __exit__(self, *exc: object) -> None:
        if self._journal is not None:
            self._journal.close()
