"""Questions over the counter window whose safe answer is the default: quitting with a sale in
progress, and cancelling a redemption. Asked with open(), never exec(): the event loop keeps running."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from budtender_app.domain.flow import Step

#: Discounts are keyed into the POS and not checked out: quitting asks first.
SALE_IN_PROGRESS = frozenset({Step.APPLY_IN_POS, Step.CHECKOUT})


class Question(QObject):
    """One question (``{name}_confirm_box``) with a safe answer (``{name}_keep_button``: the
    default, and Esc) and the deliberate one (``{name}_confirm_button``); ``chosen`` says the latter."""

    chosen = Signal()

    def __init__(self, window: QWidget, name: str, keep: str, act: str) -> None:
        super().__init__(window)
        self._window = window
        self._name, self._keep, self._act = name, keep, act
        self.box: QMessageBox | None = None  # while the question is open

    def ask(self, title: str, text: str) -> None:
        """Open the question (once: asking again while it is open does nothing)."""
        if self.box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, self._window)
        box.setObjectName(f"{self._name}_confirm_box")
        keep = box.addButton(self._keep, QMessageBox.ButtonRole.RejectRole)
        box.addButton(self._act, QMessageBox.ButtonRole.AcceptRole).setObjectName(f"{self._name}_confirm_button")
        keep.setObjectName(f"{self._name}_keep_button")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _result: self._on_box_finished(box.clickedButton() not in (keep, None)))
        self.box = box
        box.open()  # never exec(): the event loop keeps running

    def close(self) -> None:
        """Take the question back unanswered (what it was about is gone)."""
        if self.box is not None:
            self.box.reject()

    def _on_box_finished(self, act: bool) -> None:
        self.box = None
        if act:
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
