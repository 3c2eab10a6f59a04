"""Questions over the counter window whose safe answer is the default: quitting with a sale in
progress, and cancelling a redemption. Asked with open(), never exec(): the event loop keeps running."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from budtender_app.domain.flow import Step

#: Discounts are keyed into the POS and not checked out: quitting asks first.
SALE_IN_PROGRESS = frozenset({Step.APPLY_IN_POS, Step.CHECKOUT})


class Question(QObject):
    """One question (``{name}_confirm_box``) with a safe answer (``{name}_keep_button``: the
    default, and Esc) and the deliberate one (``{name}_confirm_button``); ``chosen`` says the latter.
    One box for the window's life, asked again with new words each time."""

    chosen = Signal()

    def __init__(self, window: QWidget, name: str, keep: str, act: str) -> None:
        super().__init__(window)
        self._window = window
        self._name, self._keep_text, self._act_text = name, keep, act
        self._box: QMessageBox | None = None
        self._asking = False
        self._acted = False  # the deliberate answer was clicked (clickedButton() is stale when taken back)

    @property
    def box(self) -> QMessageBox | None:
        """The question while it is open."""
        return self._box if self._asking else None

    def ask(self, title: str, text: str) -> None:
        """Open the question (once: asking again while it is open does nothing)."""
        if self._asking:
            return
        box = self._box or self._create_box()
        box.setWindowTitle(title)
        box.setText(text)
        box.setDefaultButton(self._keep_button)
        self._asking, self._acted = True, False
        box.open()  # never exec(): the event loop keeps running

    def close(self) -> None:
        """Take the question back unanswered (what it was about is gone)."""
        if self._box is not None and self._asking:
            self._box.reject()

    def _create_box(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, "", "", QMessageBox.StandardButton.NoButton, self._window)
        box.setObjectName(f"{self._name}_confirm_box")
        self._keep_button = box.addButton(self._keep_text, QMessageBox.ButtonRole.RejectRole)
        self._keep_button.setObjectName(f"{self._name}_keep_button")
        self._act_button = box.addButton(self._act_text, QMessageBox.ButtonRole.AcceptRole)
        self._act_button.setObjectName(f"{self._name}_confirm_button")
        box.setEscapeButton(self._keep_button)
        box.buttonClicked.connect(self._on_box_button_clicked)  # said before the box finishes
        box.finished.connect(self._on_box_finished)
        self._box = box
        return box

    def _on_box_button_clicked(self, button: QAbstractButton) -> None:
        self._acted = button is self._act_button

    def _on_box_finished(self, _result: int) -> None:
        self._asking = False
        if self._acted:
            self.chosen.emit()


class QuitQuestion(QObject):
    """"Sale in progress: quit anyway?" over the counter window; says the answer through quit_chosen."""

    quit_chosen = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._question = Question(window, "quit", self.tr("Keep working"), self.tr("Quit"))
        self._question.chosen.connect(self.quit_chosen)

    @property
    def box(self) -> QMessageBox | None:
        """The question while it is open."""
        return self._question.box

    def ask(self) -> None:
        """Open the question (once: a second Ctrl+Q while it is open does nothing)."""
        self._question.ask(self.tr("Sale in progress"), self.tr(
            "This sale's discounts are applied in the POS and not checked out yet.\n\n"
            "Quit anyway? The sale is saved: at the next start, finish it (F9 and the POS "
            "transaction ID) or cancel it."))
