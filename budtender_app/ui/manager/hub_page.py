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

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
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
            "The store hub (PostgreSQL) is where this store's registers meet; each keeps selling when it is away. "
            "Never pushed: redemption links and tokens, API keys, PINs, passcodes, full phone numbers."), self)
        _wrapping(intro)
        self.training_label = styled(QLabel(self.tr(TRAINING_WORDS), self), kind="result", level=Level.ERROR)
        self.training_label.setObjectName("hub_training_label")
        _wrapping(self.training_label)
        self.training_label.setVisible(vm.training)
        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(intro)
        column.addWidget(self.training_label)
        column.addWidget(self._build_join_box())
        column.addWidget(self._build_status_box())
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(_scrolling(content), 1)  # nothing squeezed on a small screen: it scrolls instead
        self.busy_label = styled(QLabel(self), kind="hint")
        self.busy_label.setObjectName("hub_busy_label")
        self.busy_label.hide()
        layout.addWidget(self.busy_label)
        self.message_label = MessageLabel("hub_message_label", self)
        layout.addWidget(self.message_label)
        vm.changed.connect(self._on_vm_changed)
        vm.message_changed.connect(self.message_label.show_message)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        vm.acted.connect(self._on_vm_acted)
        self._on_vm_changed()
        self.url_edit.setText(vm.joined_url)

    def _build_join_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Join"), self)
        column = QVBoxLayout(box)
        form = QFormLayout()
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
        column.addLayout(form)
        # Under the form, not in it: a wrapped label in a form row is given more height than it uses.
        column.addWidget(_wrapping(styled(QLabel(self.tr(
            "TLS is required unless the hub is this computer (?sslmode=verify-full). The password is kept "
            "in the keyring only, never shown again."), box), kind="hint")))
        column.addWidget(self._build_buttons(box))
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
        _wrapping(self.joined_label)
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
            label = _wrapping(QLabel(value, self))
            label.setObjectName(f"hub_status_{len(self.status_labels)}")
            self.status_labels[caption] = label
            self.status_form.addRow(caption, label)
        self._enable(self.task is None or self.task.done())

    def _on_vm_busy_changed(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_label.setVisible(bool(text))

    def _on_vm_acted(self) -> None:
        self._enable(True)
        self.password_edit.clear()  # used, or refused: never kept on screen
        if not self.url_edit.text().strip():
            self.url_edit.setText(self._vm.joined_url)

    def _enable(self, idle: bool) -> None:
        vm = self._vm
        live = idle and not vm.training
        for widget in (self.url_edit, self.password_edit, self.test_button):
            widget.setEnabled(live)
        self.join_button.setEnabled(live and not vm.keyring_problem)  # a password it could not keep: said above
        self.init_button.setEnabled(live and vm.joined)
        self.leave_button.setEnabled(live and (vm.joined or bool(vm.joined_url)))

    # -- from the manager ----------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        if self.task is not None and not self.task.done():
            coro.close()  # one act at a time (the buttons are off meanwhile; a key repeat is not)
            return
        self._enable(False)  # at once: the act starts at the loop's next turn
        self.task = self._vm.spawn(coro)  # the view model keeps it: it may outlive a closed dialog

    def refresh(self) -> None:
        """Look at the joined hub (when the page is first shown)."""
        if self._vm.joined and not self._vm.training:
            self._run(self._vm.refresh())


def _wrapping(label: QLabel) -> QLabel:
    """A label that wraps and takes its row's whole width: a wrapped label left to its own size
    hint in a form row is drawn a few words wide and cut off at its first lines."""
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def _scrolling(content: QWidget) -> QScrollArea:
    scroll = QScrollArea(content.parentWidget())
    scroll.setObjectName("hub_page_scroll")
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop: it scrolls to the field Tab reaches
    scroll.setWidget(content)
    return scroll
