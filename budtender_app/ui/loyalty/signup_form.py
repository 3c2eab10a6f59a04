"""The sign-up part of the loyalty dialog: AIQ's consent text, the agreement, names, email, opt-ins.

Draws what it is given and says what was typed; LoyaltyDialog passes both to the view model.
"""

from __future__ import annotations

from typing import TypedDict

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.consent import MAX_EMAIL, MAX_PERSON_NAME
from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import button_row
from budtender_app.ui.common.style import set_level, styled
from budtender_app.ui.common.widgets import named


class SignUpValues(TypedDict):
    """The sign-up fields, named as LoyaltyViewModel.start_sign_up takes them."""

    email: str
    first_name: str
    last_name: str
    sms_opt_in: bool
    email_opt_in: bool
    consent_given: bool


class WrapLabel(QLabel):
    """A word-wrapped label that asks for the height its text needs at its real width.

    A dialog sizes itself from its labels' size hints, which guess a width; a long wrapped text
    (the consent) then gets clipped. Asking again at every resize keeps every line visible.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class SignUpForm(QGroupBox):
    """Everything a sign-up needs besides the phone (which sits at the top of the dialog)."""

    submitted = Signal()  # Enter in a field or the Sign up button
    edited = Signal()  # the agreement or a field changed: the dialog re-checks "Sign up"

    def __init__(self, consent_text: str, consent_problem: str, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Sign up at the counter"), parent)
        self.setObjectName("signup_form")
        self.edits: dict[str, QLineEdit] = {}
        self.error_labels: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        for widget in self._build_consent(consent_text, consent_problem):
            layout.addWidget(widget)
        layout.addLayout(self._build_fields())
        self._build_opt_ins(layout)

    def _build_consent(self, consent_text: str, consent_problem: str) -> list[QWidget]:
        read = QLabel(self.tr("Read this to the shopper, or turn the screen so they can read it:"), self)
        read.setWordWrap(True)
        self.consent_label = WrapLabel(consent_text or consent_problem, self)
        self.consent_label.setObjectName("consent_label")
        self.consent_label.setAccessibleName("Consent text")
        self.consent_label.setWordWrap(True)
        self.consent_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_level(self.consent_label, Level.CLEAR if consent_text else Level.ERROR)  # no text: why, in red
        self.agree_check = named(QCheckBox(self.tr("&The shopper agrees (required before anything is sent)"), self),
                                 "consent_check", "The shopper agrees to the consent text")
        self._has_consent = bool(consent_text)
        self.agree_check.setEnabled(self._has_consent)
        self.agree_check.toggled.connect(self.edited)
        return [read, self.consent_label, self.agree_check]

    def _build_fields(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(6)
        for field, caption, placeholder, length in (
            ("first_name", self.tr("&First name"), self.tr("optional"), MAX_PERSON_NAME),
            ("last_name", self.tr("&Last name"), self.tr("optional"), MAX_PERSON_NAME),
            ("email", self.tr("E&mail"), self.tr("optional, like name@example.com"), MAX_EMAIL),
        ):
            form.addRow(self._caption(caption, field),
                        self._field(field, caption.replace("&", ""), placeholder, length))
        return form

    def _build_opt_ins(self, layout: QVBoxLayout) -> None:
        self.sms_check = named(QCheckBox(self.tr("Te&xts: the shopper agrees to get SMS messages"), self),
                               "sms_opt_in_check", "SMS opt-in")
        self.email_check = named(QCheckBox(self.tr("Em&ails: the shopper agrees to get emails"), self),
                                 "email_opt_in_check", "Email opt-in")
        self.email_check.setEnabled(False)  # needs an email first
        self.edits["email"].textChanged.connect(self._on_email_edit_text_changed)
        self.sign_up_button = named(QPushButton(self.tr("&Sign up (Ctrl+Enter)"), self), "sign_up_button",
                                    "Sign the shopper up")
        self.sign_up_button.setAutoDefault(False)
        self.sign_up_button.setEnabled(False)
        self.sign_up_button.clicked.connect(self.submitted)
        opt_ins = QHBoxLayout()  # side by side: the dialog fits a 768 px high screen at counter size
        opt_ins.addWidget(self.sms_check)
        opt_ins.addWidget(self.email_check)
        opt_ins.addStretch(1)
        layout.addLayout(opt_ins)
        layout.addLayout(button_row(self.sign_up_button))

    def _caption(self, text: str, field: str) -> QLabel:
        caption = QLabel(text, self)
        caption.setObjectName(f"{field}_caption")
        return caption

    def _field(self, field: str, accessible: str, placeholder: str, length: int) -> QWidget:
        edit = named(QLineEdit(self), f"{field}_edit", accessible)
        edit.setPlaceholderText(placeholder)
        edit.setMaxLength(length)
        edit.returnPressed.connect(self.submitted)
        edit.textEdited.connect(self.edited)
        error = QLabel(self)
        error.setObjectName(f"{field}_error_label")
        error.setWordWrap(True)
        styled(error, kind="field_error")
        error.hide()
        cell = QWidget(self)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(edit)
        column.addWidget(error)
        self.edits[field] = edit
        self.error_labels[field] = error
        caption = self.findChild(QLabel, f"{field}_caption")
        if caption is not None:
            caption.setBuddy(edit)
        return cell

    def values(self) -> SignUpValues:
        """What was typed and ticked, as LoyaltyViewModel.sign_up takes it (less the phone)."""
        return SignUpValues(
            email=self.edits["email"].text(), first_name=self.edits["first_name"].text(),
            last_name=self.edits["last_name"].text(), sms_opt_in=self.sms_check.isChecked(),
            email_opt_in=self.email_check.isChecked(), consent_given=self.agree_check.isChecked(),
        )

    def clear(self) -> None:
        """Empty for the next shopper: their names, email and agreement are their own."""
        for edit in self.edits.values():
            edit.clear()
        for check in (self.agree_check, self.sms_check, self.email_check):
            check.setChecked(False)
        self.show_errors({})

    def show_errors(self, problems: dict[str, str]) -> None:
        """Each field's problem under it; a field not in ``problems`` has none."""
        for field, label in self.error_labels.items():
            label.setText(problems.get(field, ""))
            label.setVisible(field in problems)

    def set_busy(self, busy: bool) -> None:
        for widget in (*self.edits.values(), self.sms_check):
            widget.setEnabled(not busy)
        self.agree_check.setEnabled(not busy and self._has_consent)
        self.email_check.setEnabled(not busy and bool(self.edits["email"].text().strip()))

    def _on_email_edit_text_changed(self, text: str) -> None:
        has_email = bool(text.strip())
        self.email_check.setEnabled(has_email)
        if not has_email:
            self.email_check.setChecked(False)
