"""Manager settings' Store hub page: the hub's URL and password, Join / Test / Initialise schema /
Leave, and what ``hub status`` says of it.

Thin: every rule lives in HubSettingsViewModel. Each button runs one view-model coroutine as a
task the view model keeps (qasync keeps none; it may outlive a closed dialog and end on its own);
the buttons are off while it runs. The password field is emptied after every act: it is never
shown back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.messages import Level
from budtender_app.ui.common.style import styled
from budtender_app.ui.common.widgets import MessageLabel, named
from budtender_app.viewmodels.hub_settings import TRAINING_WORDS, HubSettingsViewModel

URL_HINT = "postgresql://USER@HOST/DB?sslmode=verify-full"


class HubPage(QWidget):
    """Draws the view model; sends it what was typed."""

    def __init__(self, vm: HubSettingsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hub_page")
        self._vm = vm
        self.task: asyncio.Task[None] | None = None
        intro = QLabel(self.tr(
            "The store hub is where this store's registers meet (a PostgreSQL server): each register pushes its "
            "journal there and claims each discount it redeems, so two registers never redeem the same sale. "
            "A register keeps selling when the hub is away. Pushed: the audit trail and redemption rows. Never "
            "pushed: redemption links and their tokens, API keys, PINs, passcodes, full phone numbers."), self)
        intro.setWordWrap(True)
        self.training_label = styled(QLabel(self.tr(TRAINING_WORDS), self), kind="result", level=Level.ERROR)
        self.training_label.setObjectName("hub_training_label")
        self.training_label.setWordWrap(True)
        self.training_label.setVisible(vm.training)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.training_label)
        layout.addWidget(self._build_join_box())
        layout.addWidget(self._build_status_box(), 1)
        self.busy_label = styled(QLabel(self), kind="hint")
        self.busy_label.setObjectName("hub_busy_label")
        self.busy_label.hide()
        layout.addWidget(self.busy_label)
        self.message_label = MessageLabel("hub_message_label", self)
        layout.addWidget(self.message_label)
        vm.changed.connect(self._on_vm_changed)
        vm.message_changed.connect(self.message_label.show_message)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        self._on_vm_changed()
        self.url_edit.setText(vm.joined_url)

    def _build_join_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Join"), self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.url_edit = named(QLineEdit(box), "hub_url_edit", "Hub URL")
        self.url_edit.setPlaceholderText(URL_HINT)
        self.url_edit.setMaxLength(500)
        self.password_edit = named(QLineEdit(box), "hub_password_edit", "Hub password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setMaxLength(500)
        url_caption, password_caption = QLabel(self.tr("Hub &URL"), box), QLabel(self.tr("&Password"), box)
        url_caption.setBuddy(self.url_edit)
        password_caption.setBuddy(self.password_edit)
        form.addRow(url_caption, self.url_edit)
        form.addRow(password_caption, self.password_edit)
        hint = styled(QLabel(self.tr(
            "TLS is required (sslmode=require or verify-full) unless the hub runs on this computer. The password "
            "is kept in the computer's keyring, never in a file, and never shown again."), box), kind="hint")
        hint.setWordWrap(True)
        form.addRow("", hint)
        form.addRow("", self._build_buttons(box))
        return box

    def _build_buttons(self, box: QWidget) -> QWidget:
        row = QWidget(box)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.join_button = named(QPushButton(self.tr("&Join"), row), "hub_join_button", "Join the store hub")
        self.test_button = named(QPushButton(self.tr("Te&st"), row), "hub_test_button", "Test the store hub")
        self.init_button = named(QPushButton(self.tr("&Initialise schema"), row), "hub_init_button",
                                 "Initialise the store hub's schema")
        self.leave_button = named(QPushButton(self.tr("&Leave"), row), "hub_leave_button", "Leave the store hub")
        self.join_button.clicked.connect(lambda: self._run(self._vm.join(self.url_edit.text(),
                                                                         self.password_edit.text())))
        self.test_button.clicked.connect(lambda: self._run(self._vm.test(self.url_edit.text(),
                                                                         self.password_edit.text())))
        self.init_button.clicked.connect(lambda: self._run(self._vm.initialise()))
        self.leave_button.clicked.connect(lambda: self._run(self._vm.leave()))
        for button in (self.join_button, self.test_button, self.init_button, self.leave_button):
            button.setAutoDefault(False)
            line.addWidget(button)
        line.addStretch(1)
        return row

    def _build_status_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Status"), self)
        self.status_form = QFormLayout(box)
        self.status_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.joined_label = QLabel(box)
        self.joined_label.setObjectName("hub_joined_label")
        self.joined_label.setWordWrap(True)
        self.status_form.addRow(self.tr("This terminal"), self.joined_label)
        self.status_labels: dict[str, QLabel] = {}
        return box

    # -- from the view model -------------------------------------------------------------------

    def _on_vm_changed(self) -> None:
        vm = self._vm
        if not vm.joined:
            text = self.tr("joined no store hub.")
        else:
            text = self.tr("joined {url}; the counter {doing}.").format(
                url=vm.joined_url, doing=self.tr("pushes to it") if vm.pushing else self.tr("is not pushing to it"))
        self.joined_label.setText(vm.keyring_problem or text)
        while self.status_form.rowCount() > 1:
            self.status_form.removeRow(1)
        self.status_labels = {}
        for caption, value in vm.status_lines():
            label = QLabel(value, self)
            label.setWordWrap(True)
            label.setObjectName(f"hub_status_{len(self.status_labels)}")
            self.status_labels[caption] = label
            self.status_form.addRow(caption, label)
        self._enable(not vm.busy)

    def _on_vm_busy_changed(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_label.setVisible(bool(text))
        self._enable(not text)
        if not text:
            self.password_edit.clear()  # used, or refused: never kept on screen
            if not self.url_edit.text().strip():
                self.url_edit.setText(self._vm.joined_url)

    def _enable(self, idle: bool) -> None:
        vm = self._vm
        live = idle and not vm.training
        for widget in (self.url_edit, self.password_edit, self.join_button, self.test_button):
            widget.setEnabled(live)
        self.init_button.setEnabled(live and vm.joined)
        self.leave_button.setEnabled(live and (vm.joined or bool(vm.joined_url)))

    # -- from the manager ----------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        if self.task is not None and not self.task.done():
            coro.close()  # one act at a time (the buttons are off meanwhile; a key repeat is not)
            return
        self.task = self._vm.spawn(coro)  # the view model keeps it: it may outlive a closed dialog

    def refresh(self) -> None:
        """Look at the joined hub (when the page is first shown)."""
        if self._vm.joined and not self._vm.training:
            self._run(self._vm.refresh())
