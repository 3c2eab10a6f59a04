"""The first-start setup (issue 13): a real terminal with no manager creates its first one here,
before anything else, so nobody can grab a new till by pressing F12 first.

The only screen that makes a manager on a terminal that has none. The store itself refuses the
first-start setup once a manager exists (domain/staff.authority_problem), whatever calls it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.messages import Level
from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import Role, StaffRuleError
from budtender_app.services.staff import StaffStore, StaffStoreError
from budtender_app.viewmodels.operation import MessageLine, MessageText

log = logging.getLogger(__name__)


class FirstSetup(QObject):
    """Creates the first manager (name, passcode twice). Emits ``created(name)`` once it is made."""

    created = Signal(str)
    message_changed = Signal(str, str)  # (Level, text)
    message = MessageText()

    def __init__(self, store: StaffStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._line = MessageLine(self.message_changed.emit)

    @staticmethod
    def needed(store: StaffStore) -> bool:
        """Whether this terminal must be set up first (no manager yet)."""
        return not store.has_manager()

    def create(self, name: str, passcode: str, again: str) -> bool:
        """Make the first manager; False with a message (never repeating the passcode) when not."""
        if passcode != again:
            self._line.say(Level.ERROR, "The two passcodes are not the same. Type it again in both fields.")
            return False
        try:
            member = self._store.add(name, Role.MANAGER, passcode, by=ChangeActor.first_start_setup())
        except StaffRuleError as exc:
            self._line.say(Level.ERROR, str(exc))
            return False
        except StaffStoreError as exc:
            log.warning("first-start setup could not write the staff file")
            self._line.say(Level.ERROR, str(exc))
            return False
        self._line.say(Level.OK, f"{member.name} is this terminal's manager. Sign in with the new passcode.")
        self.created.emit(member.name)
        return True
