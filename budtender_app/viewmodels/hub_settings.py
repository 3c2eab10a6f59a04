"""Manager settings' Store hub page as a QObject: join, test, initialise and leave the store hub,
and what ``hub status`` says of it.

The hub's URL goes to ``hub.json`` and its password to the OS keyring (``HubConfig``, as
``budtender-app hub set`` keeps them); the password is never shown back, never logged, never in
a message. Every act needs a manager's approval (``approving``, as the other settings acts); a
join is tested first and saved only when the hub lets this terminal in. All network work runs in
a worker thread (``asyncio.to_thread``, as the claimer's), never on the GUI thread, and within the
hub's ``connect_timeout``. Training never joins a hub: every act is refused with the reason.

After a join or a leave the running counter's push follows (``runner``, hub_wiring.HubControl);
without one (the command line, tests) the page says it takes effect at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Approving
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.credentials import KeyringUnavailable
from budtender_app.services.hub import manage
from budtender_app.services.hub.config import HubConfig, HubConfigError, HubUrl, parse_hub_url
from budtender_app.services.journal import Seal
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations

log = logging.getLogger(__name__)

TRAINING_WORDS = "Training mode never joins a store hub: its redemptions are not real."


class HubRunner(Protocol):
    """The running counter's push (hub_wiring.HubControl)."""

    @property
    def running(self) -> bool: ...

    async def restart(self) -> bool: ...

    async def stop(self) -> None: ...


class HubSettingsViewModel(QObject):
    """The Store hub page. Read ``joined_url``, ``password_stored``, ``report`` after ``changed``."""

    changed = Signal()  # joined, left, or a new report: redraw the page
    message_changed = Signal(str, str)  # (Level, text)
    busy_changed = Signal(str)  # "" when nothing is in flight
    acted = Signal()  # an act started with ``spawn`` ended
    busy = BusyText()
    message = MessageText()

    def __init__(self, config: HubConfig, journal_path: Path | None = None, seal: Seal | None = None, *,
                 training: bool = False, runner: HubRunner | None = None, approving: Approving | None = None,
                 audit: Callable[[str], None] | None = None, local: Callable[[datetime], datetime] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._local = local or (lambda moment: moment.astimezone())  # the store's zone (Clock.local)
        self._config = config
        self._journal = (journal_path, seal)
        self.training = training
        self._runner = runner
        self._approving = approving
        self._audit = audit
        self._line = MessageLine(self.message_changed.emit)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed)
        self.joined_url = ""  # the URL this terminal joined ("" none)
        self.password_stored = False
        self.keyring_problem = ""
        #: The last look at the joined hub (None: not looked yet, or none joined).
        self.report: manage.HubReport | None = None
        self._report_of = ""  # which hub the report is of (USER@HOST:PORT/DB)
        self.reload()

    # -- what the page shows -------------------------------------------------------------------

    @property
    def joined(self) -> bool:
        return bool(self.joined_url) and self.password_stored

    @property
    def pushing(self) -> bool:
        """The running counter pushes to the hub now."""
        return self._runner is not None and self._runner.running

    def status_lines(self) -> list[tuple[str, str]]:
        """(label, value) rows of the last report, in the page's words."""
        r = self.report
        if r is None:
            return []
        # A test of another URL than the joined one shows that hub's state: named, so never mistaken.
        hub = [] if self._report_of == _named(self._config.url()) else [(self.tr("Tested hub"), self._report_of)]
        if not r.reachable:
            return [*hub, (self.tr("Reachable"), self.tr("No: {why}").format(why=r.problem))]
        terminals = self.tr("1 terminal") if r.terminals == 1 else self.tr("{n} terminals").format(n=r.terminals)
        rows = [*hub, (self.tr("Reachable"), self.tr("Yes (schema {v}, {t})").format(v=r.version, t=terminals))]
        schema = manage.schema_words(r)
        if schema:
            return [*rows, (self.tr("Schema"), schema)]
        when = f"{self._local(r.last_push):%b %d %H:%M}" if r.last_push else self.tr("never")
        rows.append((self.tr("This terminal's last push"), when if r.pushed else self.tr("never")))
        behind = self.tr("unknown") if r.behind is None else self.tr("in sync") if r.behind == 0 else self.tr(
            "{n} events").format(n=f"{r.behind:,}")
        rows.append((self.tr("Behind"), behind))
        rows.append((self.tr("Audit chains"), self.tr("all sound") if not r.broken else self.tr(
            "BROKEN on {names}: IT runs hub status").format(names=", ".join(r.broken))))
        rows.append((self.tr("Claim conflicts"), self.tr("none") if not r.conflicts else self.tr(
            "{n}: a manager checks them (hub status lists them)").format(n=r.conflicts)))
        return rows + self._more_lines(r)

    def _more_lines(self, r: manage.HubReport) -> list[tuple[str, str]]:
        """Settlements waiting and the staff sync (services/hub/status_more.py)."""
        w, s = r.waits, r.staff
        if w is None or s is None:
            return []

        def since(n: int, oldest: datetime | None) -> str:
            if not n:
                return self.tr("none")
            return self.tr("{n}, oldest decided {when}").format(
                n=n, when=f"{self._local(oldest):%b %d %H:%M}" if oldest else "?")
        key = {True: self.tr("this register has the store's staff key"),
               False: self.tr("this register does NOT have the store's staff key: IT runs hub staff-key"),
               None: self.tr("the staff key could not be compared yet")}[s.has_key]
        synced = f"{self._local(s.last_sync):%b %d %H:%M}" if s.last_sync else self.tr("never")
        return [(self.tr("Waiting for this register"), since(w.mine, w.mine_oldest)),
                (self.tr("Waiting at the store"), since(w.store, w.store_oldest)),
                (self.tr("Staff accounts"), self.tr("{n} shared; last sync here {when}; {key}").format(
                    n=s.accounts, when=synced, key=key))]

    # -- actions -------------------------------------------------------------------------------

    def spawn(self, act: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run one of the acts below in the background (kept referenced; a crash is logged);
        ``acted`` says when it ended, however it ended."""
        return self._ops.spawn(self._then_acted(act))

    async def _then_acted(self, act: Coroutine[Any, Any, None]) -> None:
        try:
            await act
        finally:
            self.acted.emit()

    def reload(self) -> None:
        """Read what this terminal joined (the file and the keyring, no network)."""
        url = self._config.url()
        self.joined_url = url.text if url else ""
        try:
            self.password_stored = self._config.password() is not None
            self.keyring_problem = ""
        except KeyringUnavailable as exc:
            self.password_stored, self.keyring_problem = False, str(exc)
        self.changed.emit()

    async def join(self, url_text: str, password: str) -> None:
        """Test the hub with this URL and password; saved only when it lets this terminal in."""
        url = self._checked(url_text, password, saving=True)
        if url is None:
            return
        with self._ops.showing(self.tr("Joining the store hub…")):
            found = await asyncio.to_thread(manage.report, url.connect_args(password), url, *self._journal,
                                            self._config.keys)
        if not found.reachable or found.fit is manage.Fit.NEWER:
            self._show(found, url)
            self._say(Level.ERROR, (found.problem or manage.schema_words(found)) + " " + self.tr("Nothing was saved."))
            return
        try:
            self._config.save(url, password)
        except KeyringUnavailable as exc:
            self._say(Level.ERROR, str(exc))
            return
        self._record(f"joined the store hub {url.user}@{url.host}:{url.port}/{url.dbname}")
        self.reload()
        self._show(found, url)
        with self._ops.showing(self.tr("Moving the counter's push to this hub…")):
            note = await self._follow(joined=True)
        after = manage.schema_words(found)
        self._say(Level.OK if not after else Level.INFO, " ".join(filter(None, [self.tr(
            "Joined the store hub at {host}; its password is in the keyring, not in any file.").format(
                host=url.host), after, note])))

    async def test(self, url_text: str, password: str) -> None:
        """Reach the hub as typed (an empty password: the one kept, for the joined URL); saves nothing."""
        url = self._checked(url_text, password, saving=False)
        if url is None:
            return
        try:
            secret = password or (self._config.password() if url.text == self.joined_url else None)
        except KeyringUnavailable as exc:
            self._say(Level.ERROR, str(exc))
            return
        if not secret:
            self._say(Level.ERROR, self.tr("Type the hub's password to test it."))
            return
        with self._ops.showing(self.tr("Testing the store hub…")):
            found = await asyncio.to_thread(manage.report, url.connect_args(secret), url, *self._journal,
                                            self._config.keys)
        self._show(found, url)
        if not found.reachable:
            self._say(Level.ERROR, found.problem)
            return
        schema = manage.schema_words(found)
        self._say(Level.INFO if schema else Level.OK, schema or self.tr("The hub answers and this terminal may "
                                                                        "use it. Nothing was saved."))

    async def refresh(self) -> None:
        """Look at the joined hub again (the page opens with this)."""
        args, url = self._joined()
        if args is None or url is None:
            return
        with self._ops.showing(self.tr("Asking the store hub…")):
            found = await asyncio.to_thread(manage.report, args, url, *self._journal, self._config.keys)
        self._show(found, url)

    async def initialise(self) -> None:
        """Create or migrate the joined hub's schema (``hub init``)."""
        if not self._may_act():
            return
        args, url = self._joined()
        if args is None or url is None:
            self._say(Level.ERROR, self.tr("Join a store hub first."))
            return
        with self._ops.showing(self.tr("Initialising the hub's schema…")):
            try:
                before, after = await asyncio.to_thread(manage.initialise, args, url)
            except manage.HubProblem as exc:
                self._say(Level.ERROR, str(exc))
                return
        self._record(f"initialised the store hub's schema (version {before} to {after})" if before != after else "")
        note = await self._follow(joined=True) if before != after else ""
        self._say(Level.OK, (self.tr("The hub's schema is version {v} (it already was).").format(v=after)
                             if before == after else self.tr("The hub's schema is version {v} (was {b}).").format(
                                 v=after, b=before)) + (f" {note}" if note else ""))
        await self.refresh()

    async def leave(self) -> None:
        """Forget the hub's URL and password; the counter stops pushing to it."""
        if not self._may_act():
            return
        try:
            had = self._config.forget()
        except KeyringUnavailable as exc:
            self._say(Level.ERROR, str(exc))
            return
        self.report = None
        self.reload()
        if not had:
            self._say(Level.INFO, self.tr("This terminal joined no store hub."))
            return
        self._record("left the store hub")
        with self._ops.showing(self.tr("Stopping the counter's push (a push under way ends first)…")):
            note = await self._follow(joined=False)
        self._say(Level.OK, " ".join(filter(None, [self.tr(
            "Left the store hub: its URL and password are forgotten on this terminal."), note])))

    # -- inside --------------------------------------------------------------------------------

    def _checked(self, url_text: str, password: str, *, saving: bool) -> HubUrl | None:
        if not self._may_act():
            return None
        try:
            url = parse_hub_url(url_text)
        except HubConfigError as exc:
            self._say(Level.ERROR, str(exc).replace(" Nothing was saved.", "").replace(
                "it is read from standard input and kept", "type it in the Password field; it is kept"))
            return None
        if saving and not password:
            self._say(Level.ERROR, self.tr("Type the hub's password: it is kept in the keyring. Nothing was saved."))
            return None
        return url

    def _may_act(self) -> bool:
        if self.training:
            self._say(Level.ERROR, self.tr(TRAINING_WORDS))
            return False
        if self.busy:
            return False  # one hub act at a time: the buttons are off meanwhile
        if self._approving is not None and self._approving() is None:
            log.warning("store hub change refused: no manager approved it")
            self._say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return False
        return True

    def _joined(self) -> tuple[dict[str, Any] | None, HubUrl | None]:
        try:
            return self._config.connect_args(), self._config.url()
        except KeyringUnavailable as exc:
            self._say(Level.ERROR, str(exc))
            return None, None

    async def _follow(self, *, joined: bool) -> str:
        """The running counter's push moved to the change; what to say of it."""
        if self._runner is None:
            return self.tr("The counter uses it from its next start.") if joined else self.tr(
                "The counter stops pushing at its next start.")
        if not joined:
            await self._runner.stop()
            self.changed.emit()
            return self.tr("The counter stopped pushing to it.")
        running = await self._runner.restart()
        self.changed.emit()
        return self.tr("The counter now pushes to it and claims its sales there.") if running else self.tr(
            "The counter uses it from its next start.")

    def _show(self, found: manage.HubReport, url: HubUrl) -> None:
        self.report, self._report_of = found, _named(url)
        self.changed.emit()

    def _record(self, note: str) -> None:
        if self._audit is None or not note:
            return
        try:
            self._audit(note)
        except Exception:
            log.exception("the store hub change could not be written to the audit trail")

    def _say(self, level: Level, text: str) -> None:
        self._line.say(level, text)

    def _crashed(self, exc: BaseException) -> None:
        log.error("unexpected failure on the store hub page", exc_info=exc)


def _named(url: HubUrl | None) -> str:
    return f"{url.user}@{url.host}:{url.port}/{url.dbname}" if url else ""
