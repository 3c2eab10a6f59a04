"""The training banner: on every screen in demo mode, with the PIN the simulator "texted"."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


class TrainingBanner(QLabel):
    """On every screen in demo mode, so nobody mistakes training for a real sale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("training_banner")  # its colours: style.py
        self.setAccessibleName("Training mode")
        self.setWordWrap(True)
        self.show_pin("", "")

    def show_pin(self, phone_masked: str, pin: str) -> None:
        """Show the PIN texted to ``phone_masked`` ("" for none: the next shopper's is their own)."""
        text = self.tr("TRAINING: no real points (simulated AIQ)")
        if pin:
            text += self.tr("   ·   PIN texted to {phone}: {pin}").format(phone=phone_masked, pin=pin)
        self.setText(text)
