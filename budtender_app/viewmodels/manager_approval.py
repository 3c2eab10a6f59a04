"""A manager approves with their own passcode (issue 13): who approved what is open now.

On a terminal with staff sign-in there is no shared manager PIN. Settings, the Redemptions
window and the shopper-PIN skip open for:

- a signed-in manager, at once (they approve their own act), or
- any manager who types **their own** passcode over a cashier's session (``ApprovalPrompt``).

``ManagerApproval`` holds that approval while the window or action it opened lasts: the gate
(ui/manager/gate.py) grants it and ends it when the window closes, and it ends by itself when the
counter locks (switch cashier, idle). The view models ask ``approver()`` before each manager
act and refuse, saying a manager's passcode is needed, when it answers None: a role is enforced
where the act happens, not only by which buttons a cashier sees.

``ApprovalPrompt`` has the interface the manager-PIN dialogs draw (ManagerPinViewModel's):
``accepted``, ``message_changed``, ``locked_changed``, ``submit``, ``refresh``. A wrong passcode
and a cashier's passcode get the same words, so the prompt never tells whose a passcode is; tries
count against the terminal's sign-in lock (services/staff/signin.py), which survives a restart.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.actor import Actor
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NOT_A_MANAGER, PASSCODE_MAX, PASSCODE_MIN, CheckStatus, StaffMember
from budtender_app.services.staff import StaffStoreError
from budtender_app.viewmodels.manager_pin import ASK, LockedPrompt, ManagerPinViewModel, PinMode
from budtender_app.viewmodels.staff_session import StaffSession

log = logging.getLogger(__name__)



def actor_of(member: StaffMember) -> Actor:
    """The staff member as history names them (their account's id and name)."""
    return Actor(str(member.id), member.name)


class ManagerApproval(QObject):
    """The manager who approved what is open now; ``revoked`` when the counter locks over it."""

    revoked = Signal()

    def __init__(self, session: StaffSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._granted: StaffMember | None = None
        session.signed_out.connect(self._on_session_signed_out)

    @property
    def session(self) -> StaffSession:
        return self._session

    def signed_in_manager(self) -> StaffMember | None:
        """The signed-in person when they are a manager (they approve their own acts)."""
        member = self._session.current
        return member if member is not None and member.is_manager else None

    def approver(self) -> Actor | None:
        """Who approves a manager's act now: the manager who granted it, else a signed-in manager."""
        if self._session.current is None:
            return None  # locked: nobody acts, whatever was granted before
        member = self._granted or self.signed_in_manager()
        if member is None or not self._still_manager(member):
            return None
        return actor_of(member)

    def _still_manager(self, member: StaffMember) -> bool:
        """The account as stored now is an active manager: one removed or made a cashier (by IT
        at the command line, say) while a window they approved is open approves nothing more."""
        try:
            stored = self._session.store.get(member.id)
        except StaffStoreError:
            log.warning("manager approval could not re-read the staff file: refused")
            return False
        return stored is not None and stored.is_manager

    def grant(self, member: StaffMember) -> None:
        """``member`` (a manager) approved what opens now."""
        if not member.is_manager:
            raise ValueError("only a manager approves")
        self._granted = member
        log.info("manager %s approved a manager's action", member.id)

    def end(self) -> None:
        """What was approved is closed: the next act needs approval again."""
        self._granted = None

    def _on_session_signed_out(self) -> None:
        """A lock ends every approval (the next person has none), and what it opened closes."""
        self.end()
        self.revoked.emit()


class ApprovalPrompt(LockedPrompt):
    """One "a manager's passcode" prompt. Emits ``accepted`` once, when a manager's passcode is typed."""

    caption = "Manager's &passcode:"
    title = "A manager approves"
    locked_words = "Too many wrong passcodes. Try again in {time}."
    unlocked_words = "A manager can type their passcode again."

    def __init__(self, approval: ManagerApproval, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._approval = approval
        self.mode: PinMode = ASK

    @property
    def digits_range(self) -> tuple[int, int]:
        return PASSCODE_MIN, PASSCODE_MAX

    def refresh(self) -> None:
        """Re-read the sign-in lock (a timer calls this each second while locked)."""
        try:
            seconds = self._approval.session.store.seconds_locked()
        except StaffStoreError as exc:
            self._say(Level.ERROR, str(exc))
            return
        self._show_lock(seconds)

    def submit(self, passcode: str) -> None:
        """One try: whose passcode this is; only a manager's is accepted."""
        if self.done:
            return
        if not passcode:
            self._say(Level.ERROR, self.tr("A manager types their own passcode here."))
            return
        try:
            check = self._approval.session.store.identify(passcode)
        except StaffStoreError as exc:
            log.warning("manager approval could not read the staff file")
            self._say(Level.ERROR, str(exc))
            return
        if check.status is CheckStatus.LOCKED:
            self._set_locked(check.seconds_left)
            self._say(Level.ERROR, self._locked_text(check.seconds_left))
            return
        member = check.member if check.ok else None
        if member is None or not member.is_manager:
            self._say(Level.ERROR, self.tr(NOT_A_MANAGER))  # the same words for a cashier's: no hint
            return
        self._approval.grant(member)
        self._accept()


#: What a manager's prompt draws: the shared manager PIN (a terminal without sign-in) or a
#: manager's own passcode.
Prompt = ManagerPinViewModel | ApprovalPrompt
