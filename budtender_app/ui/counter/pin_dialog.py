"""The PIN popup (AIQ's "Shopper pin code: ____", said "PIN" as everywhere else). Opened with open(), never exec()."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QFont, QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.widgets import BUSY_SHOWS_AFTER_MS, BusyStrip, named
from budtender_app.ui.counter.field_errors import field_grid
from budtender_app.ui.counter.lock_hold import SECRET

#: Text a new PIN (once the countdown allows): shown on the button.
RESEND_KEY = "Ctrl+R"


class PinDialog(AppDialog):
    """Asks for the PIN; says what it wants through signals and lets the view model decide."""

    pin_submitted = Signal(str)
    cancel_requested = Signal()
    resend_requested = Signal()
    manager_skip_requested = Signal()

    def __init__(self, phone_masked: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, "pin_dialog", "pin_message_label")
        self.setWindowTitle(self.tr("Shopper PIN"))
        self.intro_label = QLabel(self)
        self.intro_label.setObjectName("pin_intro_label")
        self.intro_label.setWordWrap(True)
        self._build_pin_edit()
        form = field_grid(QLabel(self.tr("Shopper's PIN:"), self), self.pin_edit, self.message_label)
        self.busy_strip = BusyStrip(self, show_after_ms=BUSY_SHOWS_AFTER_MS)
        self.busy_strip.cancel_button.clicked.connect(self.cancel_requested)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro_label)
        layout.addLayout(form)
        layout.addWidget(self.busy_strip)
        self._build_buttons(layout)
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.reset(phone_masked)

    def _build_pin_edit(self) -> None:
        self.pin_edit = named(QLineEdit(self), "pin_edit", "Shopper's PIN")
        self.pin_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}"), self))
        self.pin_edit.setPlaceholderText("____")
        self.pin_edit.setMaxLength(4)
        self.pin_edit.setProperty(SECRET, True)  # shown (the shopper reads it out) but wiped at a lock
        font = QFont(self.pin_edit.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.pin_edit.setFont(font)
        self.pin_edit.setFixedWidth(150)
        self.pin_edit.returnPressed.connect(self._on_pin_edit_return_pressed)

    def _build_buttons(self, layout: QVBoxLayout) -> None:
        self.open_button = self.button(self.tr("Open wallet (Enter)"), "open_wallet_button", "Open wallet")
        self.open_button.clicked.connect(self._on_pin_edit_return_pressed)
        back = self.button(self.tr("Back (Esc)"), "pin_back_button", "Back to the phone number")
        back.clicked.connect(self.cancel_requested)
        self.resend_button = self.button("", "resend_pin_button", "Resend PIN")
        self.resend_button.clicked.connect(self.resend_requested)
        self.skip_button = self.button(self.tr("No phone? Manager skip…"), "manager_skip_button",
                                       "Manager: skip the PIN for this sale")
        self.skip_button.clicked.connect(self.manager_skip_requested)
        self.set_resend_seconds(0)
        # A shortcut of the popup, not of the button: a button's text change drops its own.
        QShortcut(QKeySequence(RESEND_KEY), self, self._on_resend_key)
        help_row = QHBoxLayout()
        help_row.addWidget(self.resend_button)
        help_row.addWidget(self.skip_button)
        help_row.addStretch(1)
        layout.addLayout(help_row)
        layout.addLayout(button_row(back, self.open_button))
        # Tab runs forward: the PIN, what to do with it, then the ways out (left to right, top to bottom).
        chain = [self.pin_edit, self.open_button, self.resend_button, self.skip_button, back,
                 self.busy_strip.cancel_button]
        for before, after in itertools.pairwise(chain):
            self.setTabOrder(before, after)

    def reset(self, phone_masked: str) -> None:
        """Ready for a new shopper: the window keeps one popup and reopens it at every sale."""
        self.intro_label.setText(self.tr("AIQ texted a 4-digit PIN to {phone}. Ask the shopper to read it out.").format(
            phone=phone_masked))
        self.pin_edit.clear()
        self.busy_strip.show_busy("", cancellable=True)
        self.pin_edit.setEnabled(True)
        self.open_button.setEnabled(True)
        if self.message_label.text():
            self.show_error("")
        self.set_resend_seconds(0)

    def show_busy(self, text: str) -> None:
        self.busy_strip.show_busy(text, cancellable=True)
        self.pin_edit.setEnabled(not text)
        self.open_button.setEnabled(not text)
        if not text:
            self.pin_edit.setFocus()

    def show_message(self, level: Level | str, text: str) -> None:
        """The view model's words while the popup is up ("" clears): here, where the cashier looks."""
        self.message_label.show_message(level if text else Level.CLEAR, text)
        self.adjustSize()  # a wrapped message needs the room: grow to fit it
        if text and level == Level.ERROR:  # a wrong PIN is wiped so the next try starts clean
            self.pin_edit.clear()

    def show_error(self, text: str) -> None:
        self.show_message(Level.ERROR, text)

    def set_resend_seconds(self, seconds: int) -> None:
        """The countdown before a new PIN can be texted (SMS can be slow; each one costs)."""
        self.resend_button.setEnabled(seconds == 0)
        self.resend_button.setText(self.tr("Resend PIN in {s} s ({key})").format(s=seconds, key=RESEND_KEY) if seconds
                                   else self.tr("Resend PIN ({key})").format(key=RESEND_KEY))

    def _on_resend_key(self) -> None:
        if self.resend_button.isEnabled() and self.resend_button.isVisible():
            self.resend_requested.emit()

    def reject(self) -> None:  # Esc or the window's close button
        self.cancel_requested.emit()

    def _on_pin_edit_return_pressed(self) -> None:
        self.pin_submitted.emit(self.pin_edit.text())
