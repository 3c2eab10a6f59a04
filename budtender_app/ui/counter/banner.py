"""The training banner: on every screen in demo mode, with the PIN the simulator "texted", and
the trainer's "Practise a problem…" button (training only: app.py adds it, never in real mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from budtender_app.ui.common.widgets import WrappedLabel, named

#: Room between the banner's text and the trainer's button, and from the button to the edge.
BUTTON_GAP = 8


class TrainingBanner(WrappedLabel):
    """On every screen in demo mode, so nobody mistakes training for a real sale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("training_banner")  # its colours: style.py
        self.setAccessibleName("Training mode")
        self.practise_button: QPushButton | None = None  # only once add_practice is called
        self._pin = self._practice = self._staff = self._received = ""
        self.show_pin("", "")

    def show_pin(self, phone_masked: str, pin: str) -> None:
        """Show the PIN texted to ``phone_masked`` ("" for none: the next shopper's is their own)."""
        self._pin = self.tr("PIN texted to {phone}: {pin}").format(phone=phone_masked, pin=pin) if pin else ""
        self._show()

    def show_received(self, words: str) -> None:
        """What the simulated AIQ's feeds received last ("received sale POS-1001, $42.00, 1 line"):
        a trainer sees a checkout's sale (or an import's batch) arrive. "" for none."""
        self._received = self.tr("AIQ (simulated) {words}").format(words=words) if words else ""
        self._show()

    def show_staff(self, text: str) -> None:
        """The demo staff's passcodes (training only: domain/staff.TRAINING_STAFF); "" for none."""
        self._staff = text
        self._show()

    def show_practice(self, text: str) -> None:
        """Say which problem the trainer armed ("" for none)."""
        self._practice = text
        self._show()

    def add_practice(self, open_dialog: Callable[[], Any]) -> QPushButton:
        """The trainer's button, at the banner's right end, calling ``open_dialog`` (training only:
        app.py). The text keeps clear of it: the button is laid on the whole banner, the text
        inside a right margin as wide as the button."""
        button = named(QPushButton(self.tr("Practise a problem…"), self), "practise_button",
                       "Practise a problem: make the simulated AIQ fail")
        button.setAutoDefault(False)
        button.clicked.connect(open_dialog)
        self.setAttribute(Qt.WidgetAttribute.WA_LayoutOnEntireRect)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, BUTTON_GAP, 0)
        row.addStretch(1)
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setContentsMargins(0, 0, button.sizeHint().width() + 2 * BUTTON_GAP, 0)
        self.practise_button = button
        return button

    def _show(self) -> None:
        parts = [self.tr("TRAINING: no real points (simulated AIQ)"), self._staff, self._practice, self._pin,
                 self._received]
        self.setText("   ·   ".join(p for p in parts if p))
