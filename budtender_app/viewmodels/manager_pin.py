"""Asking for (or choosing) the manager PIN, as a QObject the PIN dialog draws.

Two modes: "set" at first setup (new PIN + the same again), "ask" before settings or any
manager-only action. The wording never hints at how close a wrong PIN was.

A third, "refused", when the settings file cannot be read: it may hold a PIN and its lockout,
so neither a try nor a new PIN is taken, and the message says what IT does.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.messages import Level
from budtender_app.services.manager_pin import (
    MAX_DIGITS,
    MIN_DIGITS,
    ManagerPinGuard,
    PinAlreadySet,
    PinCheck,
    PinNotSet,
    PinRuleError,
    PinStatus,
)
from budtender_app.services.settings_store import SettingsUnreadable, SettingsWriteError
from budtender_app.viewmodels.operation import MessageLine, MessageText

log = logging.getLogger(__name__)



class PinMode(StrEnum):
    """What the prompt is for."""

    SET = "set"  # first setup: choose the manager PIN
    ASK = "ask"  # type it
    REFUSED = "refused"  # the settings file cannot be read: nothing is taken


# The names the dialog imports.
SET, ASK, REFUSED = PinMode.SET, PinMode.ASK, PinMode.REFUSED


class LockedPrompt(QObject):
    """What a manager's prompt has whatever it asks (the shared PIN here, a manager's own passcode
    in manager_approval.py): the message, the lock's countdown, and ``accepted`` emitted once.

    Methods return None (they are called from Qt signals; PySide6 6.12's refcount bug).
    """

    accepted = Signal()
    message_changed = Signal(str, str)  # (Level, text)
    locked_changed = Signal(int)  # seconds until the next try; 0 when tries are allowed
    message = MessageText()  # (Level, text) the prompt shows now

    #: The words the dialogs show for what is typed, and the prompt's words about its lock.
    caption = title = ""
    locked_words = "Too many wrong tries. Try again in {time}."
    unlocked_words = ""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._line = MessageLine(self.message_changed.emit)  # a refusal said again shows again
        self.seconds_locked = 0
        self.done = False

    def _show_lock(self, seconds: int) -> None:
        """The lock as just read (a timer re-reads it each second while locked)."""
        was_locked = bool(self.seconds_locked)
        self._set_locked(seconds)
        if seconds:
            self._say(Level.ERROR, self._locked_text(seconds))
        elif was_locked:
            self._say(Level.INFO, self.tr(self.unlocked_words))

    def _locked_text(self, seconds: int) -> str:
        return self.tr(self.locked_words).format(time=duration_text(self, seconds))

    def _accept(self) -> None:
        self.done = True
        self._set_locked(0)
        self._say(Level.CLEAR, "")
        self.accepted.emit()

    def _set_locked(self, seconds: int) -> None:
        if seconds != self.seconds_locked:
            self.seconds_locked = seconds
            self.locked_changed.emit(seconds)

    def _say(self, level: Level, text: str) -> None:
        self._line.say(level, text)


class ManagerPinViewModel(LockedPrompt):
    """One manager-PIN prompt. Emits ``accepted`` once, when the PIN is right or newly chosen."""

    caption = "Manager &PIN:"
    title = "Manager PIN"
    locked_words = "Too many wrong PINs. Try again in {time}."
    unlocked_words = "You can try the manager PIN again."

    def __init__(self, guard: ManagerPinGuard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._guard = guard
        self.mode: PinMode  # set below, or by _refuse
        try:
            self.mode = ASK if guard.is_set() else SET
        except SettingsUnreadable as exc:
            self._refuse(exc)

    @property
    def digits_range(self) -> tuple[int, int]:
        """The fewest and most digits a manager PIN may have."""
        return MIN_DIGITS, MAX_DIGITS

    def refresh(self) -> None:
        """Re-read the lock (a timer calls this each second while locked)."""
        if self.mode is REFUSED:
            self._say(Level.ERROR, self.message[1])
            return
        try:
            seconds = self._guard.seconds_locked() if self.mode is ASK else 0
        except SettingsUnreadable as exc:
            self._refuse(exc)
            return
        self._show_lock(seconds)

    def submit(self, pin: str) -> None:
        """"ask" mode: one try at the manager PIN."""
        if self.done or self.mode is REFUSED:
            return
        if not pin:
            self._say(Level.ERROR, self.tr("Type the manager PIN."))
            return
        try:
            result = self._guard.check(pin)
        except PinNotSet:
            self.mode = SET
            self._say(Level.ERROR, self.tr("No manager PIN is set yet: choose one."))
            return
        except SettingsWriteError as exc:  # the try could not be counted, so it was not compared either
            self._file_failed(exc)
            return
        self._show(result)

    def submit_new(self, pin: str, confirm: str) -> None:
        """"set" mode: choose the first manager PIN, typed twice."""
        if self.done or self.mode is not SET:
            return
        if pin != confirm:
            self._say(Level.ERROR, self.tr("The two PINs are not the same. Type them again."))
            return
        try:
            self._guard.set_pin(pin)
        except PinRuleError as exc:
            self._say(Level.ERROR, str(exc))
            return
        except PinAlreadySet:
            self.mode = ASK
            self._say(Level.ERROR, self.tr("A manager PIN was set meanwhile: type it."))
            return
        except SettingsWriteError as exc:
            self._file_failed(exc)
            return
        log.info("A manager PIN was chosen")
        self._accept()

    # -- inside ------------------------------------------------------------------------------

    def _show(self, result: PinCheck) -> None:
        if result.status is PinStatus.OK:
            self._accept()
            return
        if result.status is PinStatus.LOCKED:
            log.warning("Manager PIN locked for %d s after wrong tries", result.seconds_left)
            self._set_locked(result.seconds_left)
            self._say(Level.ERROR, self._locked_text(result.seconds_left))
            return
        if result.tries_left == 1:
            text = self.tr("That is not the manager PIN. 1 try left before it locks.")
        else:
            text = self.tr("That is not the manager PIN. {n} tries left before it locks.").format(n=result.tries_left)
        self._say(Level.ERROR, text)

    def _file_failed(self, exc: SettingsWriteError) -> None:
        """The settings file could not be read (refused from now on) or written (said)."""
        if isinstance(exc, SettingsUnreadable):
            self._refuse(exc)
        else:
            self._say(Level.ERROR, str(exc))

    def _refuse(self, exc: SettingsUnreadable) -> None:
        # Neither "ask" (a try could not be counted) nor "set" (a new PIN would replace the
        # one in the file): nothing is taken until IT restores the file.
        log.error("Manager action refused: the settings file could not be read (%s)", exc.reason)
        self.mode = REFUSED
        self._set_locked(0)
        self._say(Level.ERROR, str(exc))



def duration_text(obj: QObject, seconds: int) -> str:
    """"45 s", "2 min", "1 min 30 s", "1 h": how long a person waits, rounded up to the second."""
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return obj.tr("{h} h {m} min").format(h=hours, m=minutes) if minutes else obj.tr("{h} h").format(h=hours)
    if minutes:
        return obj.tr("{m} min {s} s").format(m=minutes, s=secs) if secs else obj.tr("{m} min").format(m=minutes)
    return obj.tr("{s} s").format(s=secs)
