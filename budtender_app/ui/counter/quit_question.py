"""Quitting with a sale in progress: allowed, but never by a stray Ctrl+Q. Asked with open(), never exec()."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from budtender_app.domain.flow import Step

#: Discounts are keyed into the POS and not checked out: quitting asks first.
SALE_IN_PROGRESS = frozenset({Step.APPLY_IN_POS, Step.CHECKOUT})


class QuitQuestion(QObject):
    """"Sale in progress: quit anyway?" over the counter window; says the answer through quit_chosen."""

    quit_chosen = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.box: QMessageBox | None = None  # while the question is open

    def ask(self) -> None:
        """Open the question (once: a second Ctrl+Q while it is open does nothing)."""
        if self.box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Sale in progress"), self.tr(
            "This sale's discounts are applied in the POS and not checked out yet.\n\n"
            "Quit anyway? The sale is saved: at the next start, finish it (F9 and the POS "
            "transaction ID) or cancel it."), QMessageBox.StandardButton.NoButton, self._window)
        box.setObjectName("quit_confirm_box")
        keep = box.addButton(self.tr("Keep working"), QMessageBox.ButtonRole.RejectRole)
        box.addButton(self.tr("Quit"), QMessageBox.ButtonRole.AcceptRole).setObjectName("quit_confirm_button")
        keep.setObjectName("quit_keep_button")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _result: self._on_box_finished(box.clickedButton() is not keep))
        self.box = box
        box.open()  # never exec(): the event loop keeps running

    def _on_box_finished(self, quit_now: bool) -> None:
        self.box = None
        if quit_now:
            self.quit_chosen.emit()
