""""A PIN was texted 20 s ago: use that one?" at the phone step. Opened with open(), never exec().

Enter goes back to the PIN popup (no new text); a new PIN only once the resend countdown allows
it; Esc stays on the phone with nothing sent.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row


class TextedPinQuestion(AppDialog):
    """Use the PIN texted a moment ago, or text a new one; says which through its signals."""

    use_requested = Signal()
    new_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "texted_pin_question", "texted_pin_message_label")
        self.setWindowTitle(self.tr("PIN texted already"))
        self.question_label = QLabel(self)
        self.question_label.setObjectName("texted_pin_question_label")
        self.question_label.setWordWrap(True)
        self.use_button = self.button(self.tr("Use that PIN (Enter)"), "use_texted_pin_button",
                                      "Use the PIN texted already", auto_default=True)
        self.use_button.setDefault(True)
        self.use_button.clicked.connect(lambda: self._answer(self.use_requested))
        self.new_button = self.button("", "text_new_pin_button", "Text a new PIN")
        self.new_button.clicked.connect(lambda: self._answer(self.new_requested))
        back = self.button(self.tr("Back (Esc)"), "texted_pin_back_button", "Back to the phone number")
        back.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question_label)
        layout.addLayout(button_row(self.new_button, self.use_button, left=[back]))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.set_resend_seconds(0)
        self.asking = False  # open, even while a lock holds it out of sight (isVisible() is then False)
        self.finished.connect(self._on_finished)

    def _on_finished(self, _result: int = 0) -> None:
        self.asking = False

    def ask(self, question: str, seconds: int) -> None:
        """Show ``question`` with the countdown before a new PIN may be texted."""
        self.question_label.setText(question)
        self.set_resend_seconds(seconds)
        self.asking = True
        self.open()
        self.activateWindow()
        self.use_button.setFocus()

    def set_resend_seconds(self, seconds: int) -> None:
        """A new PIN only once the countdown ends (SMS can be slow; each one costs)."""
        self.new_button.setEnabled(seconds == 0)
        self.new_button.setText(self.tr("Text a new PIN in {s} s").format(s=seconds) if seconds
                                else self.tr("Text a new PIN"))

    def _answer(self, signal: SignalInstance) -> None:
        self.done(0)
        signal.emit()
