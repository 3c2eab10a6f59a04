"""The PIN popup: "Shopper pin code: ____". Opened with open(), never exec()."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QFont, QRegularExpressionValidator
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from budtender_app.ui.common.widgets import BUSY_SHOWS_AFTER_MS, BusyStrip, MessageLabel, named


class PinDialog(QDialog):
    """Asks for the PIN; says what it wants through signals and lets the view model decide."""

    pin_submitted = Signal(str)
    cancel_requested = Signal()
    resend_requested = Signal()
    manager_skip_requested = Signal()

    def __init__(self, phone_masked: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("pin_dialog")
        self.setWindowTitle(self.tr("Shopper PIN"))
        self.setModal(True)
        self.intro_label = intro = QLabel(self)
        intro.setObjectName("pin_intro_label")
        intro.setWordWrap(True)
        self.pin_edit = named(QLineEdit(self), "pin_edit", "Shopper pin code")
        self.pin_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}"), self))
        self.pin_edit.setPlaceholderText("____")
        self.pin_edit.setMaxLength(4)
        font = QFont(self.pin_edit.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.pin_edit.setFont(font)
        self.pin_edit.setFixedWidth(150)
        self.pin_edit.returnPressed.connect(self._on_pin_edit_return_pressed)
        form = QFormLayout()
        form.addRow(self.tr("Shopper pin code:"), self.pin_edit)
        self.message_label = MessageLabel("pin_message_label", self)
        self.busy_strip = BusyStrip(self, show_after_ms=BUSY_SHOWS_AFTER_MS)
        self.busy_strip.cancel_button.clicked.connect(self.cancel_requested)
        self.open_button = named(QPushButton(self.tr("Open wallet (Enter)"), self), "open_wallet_button", "Open wallet")
        self.open_button.clicked.connect(self._on_pin_edit_return_pressed)
        self.open_button.setAutoDefault(False)
        back = named(QPushButton(self.tr("Back (Esc)"), self), "pin_back_button", "Back to the phone number")
        back.setAutoDefault(False)
        back.clicked.connect(self.cancel_requested)
        self.resend_button = named(QPushButton(self), "resend_pin_button", "Resend PIN")
        self.resend_button.setAutoDefault(False)
        self.resend_button.clicked.connect(self.resend_requested)
        self.skip_button = named(QPushButton(self.tr("No phone? Manager skip…"), self), "manager_skip_button",
                                 "Manager: skip the PIN for this sale")
        self.skip_button.setAutoDefault(False)
        self.skip_button.clicked.connect(self.manager_skip_requested)
        self.set_resend_seconds(0)
        help_row = QHBoxLayout()
        help_row.addWidget(self.resend_button)
        help_row.addWidget(self.skip_button)
        help_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(back)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addWidget(self.busy_strip)
        layout.addLayout(help_row)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)
        self.reset(phone_masked)

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

    def show_message(self, level: str, text: str) -> None:
        """The view model's words while the popup is up ("" clears): here, where the cashier looks."""
        self.message_label.show_message(level if text else "", text)
        self.adjustSize()  # a wrapped message needs the room: grow to fit it
        if text and level == "error":  # a wrong PIN is wiped so the next try starts clean
            self.pin_edit.clear()

    def show_error(self, text: str) -> None:
        self.show_message("error", text)

    def set_resend_seconds(self, seconds: int) -> None:
        """The countdown before a new PIN can be texted (SMS can be slow; each one costs)."""
        self.resend_button.setEnabled(seconds == 0)
        self.resend_button.setText(self.tr("Resend PIN in {s} s").format(s=seconds) if seconds
                                   else self.tr("Resend PIN"))

    def reject(self) -> None:  # Esc or the window's close button
        self.cancel_requested.emit()

    def _on_pin_edit_return_pressed(self) -> None:
        self.pin_submitted.emit(self.pin_edit.text())
