"""Who works the counter now (issue 13): staff sign-in, switching cashier, and the idle lock.

``actor()`` is the ``Acting`` every view model asks once per act (app.py passes ``session.actor``),
so each journal and audit event names the signed-in person. Nobody signed in answers
``Actor.counter``, but then the sign-in screen covers the counter, so nothing can be done.

A passcode (4-8 digits) is looked up with ``identify``, anything else (a numeric barcode too) as a
badge scan. The slow hash
runs on a worker thread. The answers never hint whose a passcode or badge might be.

The idle lock reads the injected Clock's monotonic time: ``touch()`` on every key or mouse press
(the ui's event filter), ``check_idle()`` from a timer (or a test after moving a fake clock).
Locking only forgets who is signed in: a sale in progress stays in its view model.

Shifts (``domain/shifts.py``): each sign-in and sign-out is handed to ``on_shift(event, actor,
detail)`` (app.py: an audit event in the journal), "signed_in" with how ("passcode", "badge"),
"signed_out" with why (``SignOut``: switched, idle, quit; ``quit()`` is called as the window
closes). A recorder that fails is logged and forgotten: a full disk never keeps a cashier from
signing in, and the shift report then ends that shift at the next sign-in or the end of the day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.messages import Level
from budtender_app.domain.shift_marks import SIGNED_IN, SIGNED_OUT, SignOut
from budtender_app.domain.staff import CheckStatus, StaffCheck, StaffMember, is_passcode_shaped
from budtender_app.services.staff import StaffStore, StaffStoreError
from budtender_app.viewmodels.operation import MessageLine, MessageText

log = logging.getLogger(__name__)

#: The store's idle time before the counter locks itself (issue 13: 10 minutes).
IDLE_SECONDS = 600
WRONG = "That passcode is not right."
WRONG_BADGE = "That badge is not known here."
EMPTY = "Type your passcode, or scan your badge."

#: Writes one sign-in or sign-out down: (event, who, detail).
ShiftRecorder = Callable[[str, Actor, str], None]


def locked_text(seconds: int) -> str:
    return f"Sign-in is locked for {seconds} s after wrong passcodes."


class StaffSession(QObject):
    """The signed-in staff member (``current``), or nobody. Signals: signed_in(name), signed_out()."""

    signed_in = Signal(str)
    signed_out = Signal()
    accounts_changed = Signal()  # the store hub changed accounts here (``recheck``)
    busy_changed = Signal(bool)
    message_changed = Signal(str, str)  # (Level, text)
    message = MessageText()

    def __init__(self, store: StaffStore, clock: Clock, *, idle_seconds: float = IDLE_SECONDS,
                 on_shift: ShiftRecorder | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._on_shift = on_shift
        self._clock = clock
        self.idle_seconds = idle_seconds
        self._line = MessageLine(self.message_changed.emit)
        self.current: StaffMember | None = None
        self.busy = False
        self._last_touch = clock.monotonic()

    @property
    def store(self) -> StaffStore:
        return self._store

    def actor(self) -> Actor:
        """Who acts now: the signed-in member, or the shared Counter when nobody is."""
        member = self.current
        return Actor.counter if member is None else Actor(str(member.id), member.name)

    async def sign_in(self, text: str) -> bool:
        """Sign in whoever this passcode (digits) or badge scan is; True when someone did."""
        text = text.strip()
        if self.busy:
            return False
        if not text:
            self._line.say(Level.WARNING, EMPTY)
            return False
        badge = not is_passcode_shaped(text)  # digits of another length: a numeric barcode badge
        self._set_busy(True)
        try:
            check = await asyncio.to_thread(self._store.identify_badge if badge else self._store.identify, text)
        except StaffStoreError as exc:
            log.warning("staff sign-in could not read the staff file")
            self._line.say(Level.ERROR, str(exc))
            return False
        finally:
            self._set_busy(False)
        return self._answer(check, badge=badge)

    def lock(self) -> None:
        """Switch cashier: nobody is signed in any more, the sign-in screen covers the counter."""
        name = self.current.name if self.current is not None else ""
        self._sign_out(SignOut.SWITCHED)
        if name:  # what the next person reads: the counter waits for them, nothing was lost
            self._line.say(Level.INFO, f"{name} signed out. The next person signs in; a sale in progress "
                                       "comes back as it was.")

    def quit(self) -> None:
        """The app is closing: whoever is signed in signs out (recorded as "quit"), no signal."""
        if self.current is not None:
            self._record(SIGNED_OUT, self.actor(), SignOut.QUIT)
            self.current = None

    def _sign_out(self, why: SignOut) -> None:
        if self.current is None:
            return
        self._record(SIGNED_OUT, self.actor(), why)
        self.current = None
        self._line.say(Level.CLEAR, "")
        self.signed_out.emit()

    def recheck(self) -> None:
        """The signed-in account as stored now: removed (at another register, through the store
        hub) ends the session at once; changed (a new role or name) is who is signed in from now.
        ``accounts_changed`` then tells the screens (a first-start setup the store's managers make moot)."""
        self._recheck_current()
        self.accounts_changed.emit()

    def _recheck_current(self) -> None:
        member = self.current
        if member is None:
            return
        try:
            stored = self._store.get(member.id)
        except StaffStoreError:
            log.warning("the signed-in account could not be read again from the staff file")
            return
        if stored is None or stored.removed:
            self._sign_out(SignOut.REMOVED)
            self._line.say(Level.INFO, f"{member.name}'s account was removed. Sign in to go on.")
        elif stored != member:
            self.current = stored

    def touch(self) -> None:
        """Someone used the terminal: the idle time starts again."""
        self._last_touch = self._clock.monotonic()

    def idle_for(self) -> float:
        return self._clock.monotonic() - self._last_touch

    def check_idle(self) -> None:
        """Lock when nobody has touched the terminal for ``idle_seconds``."""
        if self.current is not None and self.idle_seconds > 0 and self.idle_for() >= self.idle_seconds:
            self._sign_out(SignOut.IDLE)
            self._line.say(Level.INFO, "Locked after no use. Sign in to go on.")

    # -- inside --------------------------------------------------------------------------------

    def _answer(self, check: StaffCheck, *, badge: bool) -> bool:
        if check.ok and check.member is not None:
            if self.current is not None and self.current != check.member:
                self._sign_out(SignOut.SWITCHED)  # heard by all: no approval passes to the next person
            self.current = check.member
            self._record(SIGNED_IN, self.actor(), "badge" if badge else "passcode")
            self.touch()
            self._line.say(Level.CLEAR, "")
            self.signed_in.emit(check.member.name)
            return True
        if check.status is CheckStatus.LOCKED:
            self._line.say(Level.ERROR, locked_text(check.seconds_left))
        else:
            self._line.say(Level.ERROR, WRONG_BADGE if badge else WRONG)
        return False

    def _record(self, event: str, actor: Actor, detail: str) -> None:
        if self._on_shift is None:
            return
        try:
            self._on_shift(event, actor, str(detail))
        except Exception as exc:  # noqa: BLE001 - a sign-in must not fail over its record; logged
            log.warning("the %s event could not be written to the audit trail: %s", event, type(exc).__name__)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)
