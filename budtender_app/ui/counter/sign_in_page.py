"""The sign-in screen (issue 13): covers the counter until a staff member types their passcode
(or scans their badge: a badge reader types its code, then Enter) and Enter.

Its words come from the StaffSession; its look from ui/common/style.py (object names and
``kind`` properties only). It never shows or keeps what was typed once a try is made.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.style import styled
from budtender_app.ui.common.widgets import MessageLabel, WrappedLabel, centred, named
from budtender_app.viewmodels.staff_session import StaffSession

#: The sign-in column's widest, so the field stays a glance from its title on a 1920 px screen.
COLUMN_WIDTH = 420


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # a crash is the session's to log; never "exception was never retrieved"


class SignInPage(QWidget):
    """A full screen over the counter: "Sign in", the passcode field and the message line."""

    def __init__(self, session: StaffSession, parent: QWidget | None = None, *, hint: str = "") -> None:
        super().__init__(parent)
        self._session = session
        self._task: asyncio.Task[Any] | None = None
        self.setObjectName("sign_in_page")
        self.setAutoFillBackground(True)  # opaque: nothing of the sale beneath shows through
        self._build(hint)
        session.message_changed.connect(self.message_label.show_message)
        session.busy_changed.connect(self._on_session_busy_changed)

    def _build(self, hint: str) -> None:
        column = QWidget(self)
        box = QVBoxLayout(column)
        box.setSpacing(12)
        self.title_label = styled(named(QLabel(self.tr("Sign in"), column), "sign_in_title", "Sign in"), kind="title")
        self.hint_label = styled(WrappedLabel(hint or self.tr("Type your passcode and press Enter, or scan your "
                                                              "badge."), column), kind="hint")
        self.passcode_edit = named(QLineEdit(column), "passcode_edit", "Passcode or badge")
        self.passcode_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passcode_edit.setPlaceholderText(self.tr("Passcode"))
        self.passcode_edit.returnPressed.connect(self.submit)
        self.sign_in_button = styled(named(QPushButton(self.tr("Sign in"), column), "sign_in_button", "Sign in"),
                                     kind="primary")
        self.sign_in_button.setAutoDefault(False)
        self.sign_in_button.clicked.connect(self.submit)
        self.message_label = MessageLabel("sign_in_message", column)
        for widget in (self.title_label, self.hint_label, self.passcode_edit, self.sign_in_button,
                       self.message_label):
            box.addWidget(widget)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(centred(column, COLUMN_WIDTH))
        outer.addStretch(2)

    def submit(self) -> None:
        """Enter or the button: try what was typed, and clear the field at once."""
        text = self.passcode_edit.text()
        self.passcode_edit.clear()
        if self._session.busy:
            return
        task = asyncio.ensure_future(self._session.sign_in(text))
        task.add_done_callback(_retrieve)
        self._task = task  # a strong reference: qasync keeps none

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.passcode_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_message(self, level: Level, text: str) -> None:
        self.message_label.show_message(level, text)

    def _on_session_busy_changed(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        if not busy and self.isVisible():
            self.passcode_edit.setFocus(Qt.FocusReason.OtherFocusReason)
