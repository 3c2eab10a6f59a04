"""The training banner: on every screen in demo mode, with the PIN the simulator "texted", and
the trainer's "Practise a problem…" button (training only: app.py adds it, never in real mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from budtender_app.ui.common.widgets import named


class TrainingBanner(QWidget):
    """On every screen in demo mode, so nobody mistakes training for a real sale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("training_bar")
        self.label = QLabel(self)
        self.label.setObjectName("training_banner")  # its colours: style.py
        self.label.setAccessibleName("Training mode")
        self.label.setWordWrap(True)
        self.practise_button: QPushButton | None = None  # only once add_practice is called
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.label, 1)
        self._pin = self._practice = ""
        self.show_pin("", "")

    def text(self) -> str:
        """What the banner says now."""
        return self.label.text()

    def show_pin(self, phone_masked: str, pin: str) -> None:
        """Show the PIN texted to ``phone_masked`` ("" for none: the next shopper's is their own)."""
        self._pin = self.tr("PIN texted to {phone}: {pin}").format(phone=phone_masked, pin=pin) if pin else ""
        self._show()

    def show_practice(self, text: str) -> None:
        """Say which problem the trainer armed ("" for none)."""
        self._practice = text
        self._show()

    def add_practice(self, open_dialog: Callable[[], Any]) -> QPushButton:
        """The trainer's button, which calls ``open_dialog`` (training only: app.py)."""
        button = named(QPushButton(self.tr("Practise a problem…"), self), "practise_button",
                       "Practise a problem: make the simulated AIQ fail")
        button.setAutoDefault(False)
        button.clicked.connect(open_dialog)
        self._layout.addWidget(button)
        self.practise_button = button
        return button

    def _show(self) -> None:
        parts = [self.tr("TRAINING: no real points (simulated AIQ)"), self._practice, self._pin]
        self.label.setText("   ·   ".join(p for p in parts if p))
