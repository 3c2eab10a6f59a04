"""The trainer's "Practise a problem" dialog: one button per problem, and Back to normal.

Opened from the training banner (training only). Choosing a problem arms it and closes the
dialog; the banner then says what is being practised until it is used up or cleared.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from budtender_app.ui.common.dialog import DIALOG_MIN_WIDTH, AppDialog, button_row
from budtender_app.ui.common.style import styled
from budtender_app.viewmodels.training import Practice, TrainingViewModel


class TrainingFaultsDialog(AppDialog):
    """Make the simulated AIQ fail on purpose, so the class practises what to do."""

    def __init__(self, vm: TrainingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, "training_faults_dialog", "training_faults_message_label")
        self._vm = vm
        self.setWindowTitle(self.tr("Practise a problem"))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.buttons: dict[str, QPushButton] = {}
        self.now_label = styled(QLabel(self), kind="hint")
        self.now_label.setObjectName("training_faults_now_label")
        self.now_label.setWordWrap(True)
        self.normal_button = self.button(self.tr("&Back to normal"), "training_normal_button",
                                         "Back to normal: the simulated AIQ behaves")
        self.normal_button.clicked.connect(self._on_normal_button_clicked)
        self.close_button = self.button(self.tr("Close"), "training_faults_close_button", "Close")
        self.close_button.clicked.connect(self.reject)
        self._build_layout()
        vm.changed.connect(self._show_armed)
        self._show_armed()

    def _build_layout(self) -> None:
        layout = QVBoxLayout(self)
        title = styled(QLabel(self.tr("Practise a problem"), self), kind="title")
        intro = styled(QLabel(self.tr(
            "The simulated AIQ fails on purpose, so the class can practise what to do. Training only: "
            "no real store is touched."), self), kind="hint")
        intro.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.now_label)
        for practice in self._vm.practices:
            layout.addWidget(self._choice(practice))
            layout.addWidget(self._explanation(practice))
        layout.addWidget(self.message_label)
        layout.addLayout(button_row(self.normal_button, self.close_button))

    def _choice(self, practice: Practice) -> QPushButton:
        button = self.button(practice.label, f"practise_{practice.problem}_button",
                             f"Practise: {practice.label}")
        button.clicked.connect(lambda: self._on_choice_clicked(practice.problem))
        self.buttons[str(practice.problem)] = button
        return button

    def _explanation(self, practice: Practice) -> QLabel:
        label = styled(QLabel(practice.explains, self), kind="hint")
        label.setWordWrap(True)
        return label

    def _on_choice_clicked(self, problem: str) -> None:
        self._vm.practise(problem)
        self.accept()

    def _on_normal_button_clicked(self) -> None:
        self._vm.back_to_normal()
        self.accept()

    def _show_armed(self) -> None:
        text = self._vm.status_text()
        self.now_label.setText(text + "." if text else self.tr("Now: the simulated AIQ behaves."))
        self.normal_button.setEnabled(bool(text))


def open_training_faults(vm: TrainingViewModel, parent: QWidget) -> TrainingFaultsDialog:
    """Open the dialog (never exec(): the event loop keeps running); returns it. One per window,
    made the first time and kept: it follows the armed problem by itself."""
    dialog = parent.findChild(TrainingFaultsDialog, "training_faults_dialog") or TrainingFaultsDialog(vm, parent)
    dialog.open()
    return dialog
