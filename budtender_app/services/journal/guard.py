"""Opening the redemption journal at start, and refusing to when it is not the one left behind.

A journal deleted or emptied would otherwise start a fresh one silently (and the unknown
redemptions in it vanish); a damaged one, or a garbled ``-wal`` (SQLite silently drops the
frames after a bad checksum, so the last commits vanish), or a folder the terminal cannot write
would stop it with a traceback. Instead the terminal refuses to start with ``JournalRefused``,
whose message says what happened and what IT does; ``budtender-app journal check`` says the
same, and ``budtender-app journal accept-fresh`` is IT's acknowledgement.

What the terminal keeps outside the journal to notice all that:

* in the OS keyring, "<name>:journal": the journal's id and its audit-chain key (``Seal``),
  written when the journal is created. A keyring that knows a journal which is not on disk
  means it disappeared.
* in the state folder (``services/paths.py``; on Linux not the data folder),
  ``journals/<name>.json``: the journal's id, its event count and last hash, with an HMAC by the
  journal's key, rewritten after every commit. A journal holding fewer events, or another hash
  at that count, lost its last events; a sealed journal with events and no valid marker is
  refused too (deleting the marker must not switch the check off).

A keyed audit chain that no longer verifies is refused as well: events deleted from the middle
would otherwise leave a row whose remaining last event matches a state edited back by hand.

``<name>`` is a hash of the journal's full path. Someone with the user's account can still
delete all three; the keyring entry makes that take more than deleting a folder, and the
auditors' exports (each row's event number and previous hash) show it afterwards.

Training: the same checks, but a training journal that fails them is set aside (renamed, kept)
and a new one started, saying so: no real points are at stake. Without a keyring, training
journals use the public key (``audit.UNKEYED``) and their chain proves only accidents.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.services.credentials import KeyringUnavailable
from budtender_app.services.journal.errors import (
    JournalDamaged,
    JournalError,
    JournalKeyError,
    JournalUnwritable,
)
from budtender_app.services.journal.lock import JournalLock
from budtender_app.services.journal.marker import Marker, MarkerFile, journal_name, marker_dir
from budtender_app.services.journal.repository import Journal
from budtender_app.services.journal.seal import Seal

log = logging.getLogger("budtender_app.services.journal_guard")  # its name before the package: log filters hold

ACCEPT_FRESH = "budtender-app journal accept-fresh"
CHECK = "budtender-app journal check"
_T = TypeVar("_T")
_FRESH = "if it cannot be restored, to start a new journal (the new one records what was lost)"


class KeyStore(Protocol):
    """Where journal seals live (``CredentialStore``: the OS keyring)."""

    def journal_seal(self, name: str, *, create: bool = False) -> tuple[str, bytes] | None: ...
    def forget_journal_seal(self, name: str) -> bool: ...


class Problem(StrEnum):
    MISSING = "missing"
    EMPTY = "empty"
    DAMAGED = "damaged"
    EVENTS_MISSING = "events missing"
    MARKER = "marker missing or altered"
    CHAIN_BROKEN = "audit trail altered"
    FOREIGN = "not this terminal's journal"
    NO_KEY = "key missing"
    UNWRITABLE = "cannot write"
    NO_KEYRING = "no keyring"


class JournalRefused(JournalError):
    """The terminal must not start on this journal; the message is for a manager and IT."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def utc_now() -> datetime:
    """The real clock, for callers that have no injected one (the CLI)."""
    return SYSTEM_CLOCK.now()


class JournalGuard:
    """Opens one journal file for the app (``open``), checks it for IT (``check``), and carries
    out IT's ``accept_fresh``. ``keys`` None: no keyring (training only)."""

    def __init__(self, path: Path, keys: KeyStore | None, *, markers: Path | None = None,
                 training: bool = False) -> None:
        self.path = Path(path)
        self.name = journal_name(self.path)
        self.keys = keys
        self.training = training
        self.marker = MarkerFile((markers or marker_dir()) / f"{self.name}.json")
        self.notices: list[str] = []  # for the manager, said at start

    # -- the app's start -----------------------------------------------------------------------

    def open(self, *, store: str, terminal: str, clock: Callable[[], datetime]) -> Journal:
        """The journal, locked for this app, checked; or JournalRefused (JournalLocked when
        another copy runs). Training sets a refused journal aside and starts a new one."""
        lock = self._lock()
        try:
            try:
                journal = self._open(store, terminal, clock, lock)
            except JournalRefused as exc:
                if not self.training or exc.problem in (Problem.UNWRITABLE, Problem.NO_KEYRING):
                    raise
                aside = self._set_aside(clock)
                self.notices.append(f"The training journal could not be used ({exc.problem}): it was set aside "
                                    f"as {aside} and a new one started. Training moves no real points.")
                journal = self._open(store, terminal, clock, lock)
        except BaseException:
            lock.release()
            raise
        self.notices.extend(self._findings(journal))
        return journal

    def _lock(self) -> JournalLock:
        try:
            return JournalLock(self.path).acquire()
        except OSError as exc:
            raise self._unwritable(exc.strerror or str(exc)) from None

    def _open(self, store: str, terminal: str, clock: Callable[[], datetime], lock: JournalLock | None, *,
              check_marker: bool = True) -> Journal:
        seal = self._seal()
        try:
            journal = Journal(self.path, store=store, terminal=terminal, clock=clock, lock=lock, seal=seal,
                              on_commit=self._remember)
        except JournalUnwritable as exc:
            raise self._unwritable(exc.detail) from None
        except JournalDamaged as exc:
            raise self._damaged(exc.detail) from None
        except JournalKeyError:
            raise JournalRefused(Problem.FOREIGN, self._say(
                f"The redemption journal {self.path} is not the journal this terminal was using (another "
                "journal was put in its place).", "put back this terminal's own journal from a backup")) from None
        try:
            self._check(journal, check_marker)
        except BaseException:
            journal.close(release_lock=False)  # the caller releases its lock
            raise
        self._journal_seal = journal.seal
        try:
            self._remember(*journal.audit.last())
        except OSError as exc:
            journal.close(release_lock=False)
            raise JournalRefused(Problem.UNWRITABLE, (
                f"The terminal cannot write {self.marker.path} ({exc.strerror or exc}), where it keeps what its "
                "redemption journal holds, so it would not notice lost redemptions; it will not start.\n\nIT: make "
                "that folder writable for this computer user, check the disk is not full, then start again.")) from None
        return journal

    def _seal(self, *, create: bool = True) -> Seal | None:
        """The keyring's seal for this journal, after checking the file is the one it expects."""
        known = self._stored_seal()
        self._known = known is not None
        size = self.path.stat().st_size if self.path.exists() else None
        if known is not None:
            if size is None:
                raise JournalRefused(Problem.MISSING, self._say(
                    f"The redemption journal {self.path} is missing: it was there before and is gone now. "
                    "Redemptions waiting for a manager may have been in it."))
            if size == 0:
                raise JournalRefused(Problem.EMPTY, self._say(
                    f"The redemption journal {self.path} is empty (0 bytes): what it held is gone. "
                    "Redemptions waiting for a manager may have been in it."))
            return known
        if size and self._schema() >= 2 and self.keys is not None:
            raise JournalRefused(Problem.NO_KEY, self._say(
                f"The redemption journal {self.path} is sealed with a key this computer's keyring does not "
                "hold (the keyring was reset, or the journal came from another computer), so nobody can "
                "tell whether it was changed.", "restore this user's keyring, or put back the journal"))
        if self.keys is None or not create:
            return None
        keys = self.keys
        created = self._keyring(lambda: keys.journal_seal(self.name, create=True))
        return None if created is None else Seal(*created)

    def _stored_seal(self) -> Seal | None:
        if self.keys is None:
            return None
        keys = self.keys
        stored = self._keyring(lambda: keys.journal_seal(self.name))
        return None if stored is None else Seal(*stored)

    def _keyring(self, call: Callable[[], _T]) -> _T | None:
        try:
            return call()
        except KeyringUnavailable as exc:
            if self.training:
                self.keys = None
                return None
            raise JournalRefused(Problem.NO_KEYRING, f"{exc} The redemption journal's key is kept there, "
                                                     "so the terminal cannot start.") from None

    def _schema(self) -> int:
        try:
            with closing(sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
                return int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._damaged(f"{self.path}: {exc}") from None

    _known = False  # the seal came from the keyring (the journal existed before)
    _report = None

    def _check(self, journal: Journal, check_marker: bool, *, full: bool = False) -> None:
        problems = journal.integrity_problems()
        if problems:
            raise self._damaged(f"{self.path}: " + "; ".join(problems))
        self._report = report = journal.verify_chain() if full else journal.verify_recent()
        if not report.ok and report.problem != "no key" and (report.bad_id or 0) > journal.audit.legacy_until:
            raise JournalRefused(Problem.CHAIN_BROKEN, self._say(
                f"The redemption journal's audit trail was altered: {report} Nobody can tell which "
                "redemptions were changed.", fresh="to set it aside (for the auditors) and start a new journal"))
        if check_marker:
            self._check_marker(journal)

    def _check_marker(self, journal: Journal) -> None:
        marker = self.marker.load()
        events, _ = journal.audit.last()
        if marker is None or not marker.valid_for(journal.seal):
            if self._known and events > 0:
                raise JournalRefused(Problem.MARKER, self._say(
                    f"The terminal's record of what its redemption journal holds ({self.marker.path}) is "
                    f"{'missing' if marker is None else 'altered'}, so it cannot tell whether redemptions were "
                    "removed from the journal.", "put back that file (and the journal) from a backup",
                    fresh="to go on with the journal as it is (it then records this)"))
            return
        if events < marker.events or journal.audit.hash_at(marker.events) != marker.last_hash:
            lost = f"its last {marker.events - events} event(s)" if events < marker.events else "events"
            raise JournalRefused(Problem.EVENTS_MISSING, self._say(
                f"The redemption journal {self.path} has lost {lost}: it holds {events}, this terminal had "
                f"written {marker.events}. Its -wal file may be damaged, or an older copy was put back. "
                "The last redemptions may be missing from it.",
                "put back the journal (with its -wal file) from a backup",
                fresh="to go on with what is left (the journal then records the loss)"))

    def _findings(self, journal: Journal) -> list[str]:
        found = [problem for _, problem in journal.tampered()]
        if found:
            found.append(f"These are not sent. IT: with the terminal closed, `{ACCEPT_FRESH}` puts them back as "
                         "their audit trail says; then a manager decides them (F11).")
        report = self._report or journal.verify_chain()
        if not report.ok:  # only events from before the key (schema 1) get here, or a read-only check
            found.append(f"{report} IT checks it: {CHECK}.")
        if found:
            log.error("journal at start: %s", " | ".join(found))
        return found

    _journal_seal: Seal | None = None

    def _remember(self, events: int, last_hash: str) -> None:
        if self._journal_seal is not None:
            self.marker.save(Marker.sealed(self._journal_seal, events, last_hash))

    def _say(self, what: str, restore: str = "", *, fresh: str = _FRESH) -> str:
        restore = restore or f"put back the journal from a backup (the whole folder {self.path.parent})"
        return (f"{what}\n\nThe terminal will not start until IT has dealt with it. IT: {restore}, or run "
                f"`{ACCEPT_FRESH}` {fresh}. `{CHECK}` shows what is wrong.")

    def _damaged(self, detail: str) -> JournalRefused:
        return JournalRefused(Problem.DAMAGED, self._say(
            f"The redemption journal is damaged and cannot be read safely ({detail}).",
            fresh="to set the damaged file aside and start a new journal"))

    def _unwritable(self, detail: str) -> JournalRefused:
        folder = self.path.parent
        return JournalRefused(Problem.UNWRITABLE, (
            f"The terminal cannot write its redemption journal in {folder} ({detail}), so it cannot keep a "
            "record of redemptions and will not start.\n\nIT: make that folder and the files in it writable "
            "for this computer user, check the disk is not full, then start the terminal again."))

    def _set_aside(self, clock: Callable[[], datetime]) -> Path:
        """Rename the journal and its -wal/-shm files out of the way (kept for IT), forget its
        seal and marker; the new name."""
        stamp = clock().strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.set-aside-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                os.replace(source, Path(str(aside) + suffix))
        if self.keys is not None:
            self.keys.forget_journal_seal(self.name)
        self.marker.remove()
        return aside

    # -- IT's commands -------------------------------------------------------------------------

    def vanished(self) -> str:
        """Why a journal this computer had is not there (deleted, emptied), or "" (IT's listings)."""
        try:
            self._seal(create=False)
        except JournalRefused as exc:
            if exc.problem in (Problem.MISSING, Problem.EMPTY):
                return str(exc)
        except JournalError:
            pass
        return ""

    def check(self) -> tuple[bool, str]:
        """(in order, what was found) without changing anything; works while the app runs."""
        try:
            seal = self._seal(create=False)
            if seal is None and not self.path.exists():
                return True, f"There is no redemption journal at {self.path}: this computer has redeemed nothing yet."
            journal = Journal.open_read_only(self.path, seal)
        except JournalRefused as exc:
            return False, str(exc)
        except JournalDamaged as exc:
            return False, str(self._damaged(exc.detail))
        except JournalError as exc:
            return False, str(exc)
        with journal:
            try:
                self._check(journal, True, full=True)
            except JournalRefused as exc:
                return False, str(exc)
            found = self._findings(journal)
            events = journal.audit.last()[0]
        if found:
            return False, "\n".join(found)
        keyed = "keyed with this computer's keyring" if journal.seal.keyed else "not keyed (training, no keyring)"
        return True, (f"The redemption journal {self.path} is in order: {events} events, its audit chain "
                      f"intact and {keyed}, no redemption changed outside the app.")

    def accept_fresh(self, *, clock: Callable[[], datetime], terminal: str) -> str:
        """IT's acknowledgement of what ``open`` refused: a journal with lost events goes on,
        recording the loss; a missing, empty, damaged, foreign or keyless one is set aside and a
        new journal started, whose first event says what came before. On a journal that opens,
        rows edited by hand are put back as their audit trail says (``Journal.restore_states``).
        Raises JournalLocked while the terminal runs, JournalRefused when the folder or the keyring is the problem."""
        lock = self._lock()
        try:
            try:
                journal = self._open("", terminal, clock, None)
            except JournalRefused as exc:
                if exc.problem in (Problem.UNWRITABLE, Problem.NO_KEYRING):
                    raise
                return self._accept(exc.problem, clock, terminal)
            with journal:
                restored = journal.restore_states()
            if restored:
                return "Rows changed outside the app were put back as their audit trail says:\n" + "\n".join(restored)
            return f"The redemption journal {self.path} is in order: nothing to accept."
        finally:
            lock.release()

    def _accept(self, problem: Problem, clock: Callable[[], datetime], terminal: str) -> str:
        before = self.marker.load()
        if problem is Problem.MARKER:
            with self._open("", terminal, clock, None, check_marker=False) as journal:
                journal.record_event("marker_reset", staff=Actor.command_line, verbatim=True, detail=(
                    f"IT accepted (journal accept-fresh) the journal as it is although the terminal's record of it "
                    f"was {'missing' if before is None else 'altered'}; {journal.audit.last()[0]} events then."))
            return "Accepted: the journal goes on as it is, and records that its marker was reset."
        if problem is Problem.EVENTS_MISSING and before is not None:
            with self._open("", terminal, clock, None, check_marker=False) as journal:
                events = journal.audit.last()[0]
                journal.record_event("events_lost", staff=Actor.command_line, verbatim=True, detail=(
                    f"IT accepted (journal accept-fresh) that events #{events + 1} to #{before.events} "
                    f"are lost; the last of them had hash {before.last_hash}."))
            return (f"Accepted: the journal goes on from its event #{events}, and records that events "
                    f"#{events + 1} to #{before.events} were lost. The terminal can start.")
        aside = self._set_aside(clock)
        had = (f"journal {before.journal_id}, {before.events} events, last hash {before.last_hash}"
               if before else "unknown")
        kept = f" It was set aside as {aside.name}." if aside.exists() else ""
        with self._open("", terminal, clock, None) as journal:
            journal.record_event("journal_replaced", staff=Actor.command_line, verbatim=True, detail=(
                f"A new journal, started by IT (journal accept-fresh) because the one before was {problem}. "
                f"The one before: {had}.{kept}"))
        return (f"A new redemption journal was started at {self.path}; it records that the one before "
                f"was {problem}.{kept}")
