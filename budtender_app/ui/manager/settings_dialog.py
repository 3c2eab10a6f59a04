"""The manager's AIQ settings: store profiles on the left, the selected one's form on the right;
with a store hub page (``vm.hub_page``), a second tab: the Store hub (hub_page.py).

Thin: every rule lives in SettingsViewModel. Opened with open(), never exec(); the connection
test runs as a task this dialog keeps a strong reference to (qasync keeps none).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.messages import Level
from budtender_app.ui.common.dialog import DIALOG_MIN_SIZE, AppDialog, button_row
from budtender_app.ui.common.style import styled
from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.store_form import StoreForm
from budtender_app.viewmodels.settings import SettingsViewModel

if TYPE_CHECKING:
    from budtender_app.ui.manager.hub_page import HubPage


class SettingsDialog(AppDialog):
    """Store profiles and their AIQ credentials. Draws the view model; sends it what was typed."""

    def __init__(self, vm: SettingsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, "settings_dialog", "settings_message_label")
        self._vm = vm
        self._test_task: asyncio.Task[None] | None = None
        self._confirm_box: QMessageBox | None = None
        self.hub_page: HubPage | None = None
        #: With a Store hub page (vm.hub_page): AIQ stores | Store hub. Made first: Tab starts on its tabs.
        self.tabs = named(QTabWidget(self), "settings_tabs", "Settings pages") if vm.hub_page else None
        self.setWindowTitle(self.tr("AIQ settings"))
        intro = QLabel(self.tr("AIQ credentials for this terminal, one set per store. The API key is kept in "
                               "the computer's keyring; the rest in a settings file."), self)
        intro.setWordWrap(True)
        stores = self._build_store_list()  # first: Tab starts in the left column, as a reader does
        self.form = StoreForm(self)
        self.form.edited.connect(self._on_form_edited)
        self.form.test_requested.connect(self._on_form_test_requested)
        body = QHBoxLayout()
        body.addWidget(stores, 1)
        body.addWidget(self._build_form_scroll(), 3)
        stores_page = QWidget(self)
        page = QVBoxLayout(stores_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(intro)
        page.addWidget(self._build_keyring_label())
        page.addLayout(body, 1)
        page.addWidget(self._build_confirm_frame())
        page.addWidget(self.message_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_pages(stores_page), 1)
        layout.addLayout(self._build_buttons())
        # Fits a 1024x768 screen: the form scrolls when every field's error, the warning and a test
        # result are shown at once, instead of squeezing its rows onto each other.
        self.setMinimumSize(DIALOG_MIN_SIZE)
        self.resize(DIALOG_MIN_SIZE.width(), _height_for(self))
        self._connect_vm()

    def _build_pages(self, stores_page: QWidget) -> QWidget:
        if self._vm.hub_page is None or self.tabs is None:
            return stores_page
        from budtender_app.ui.manager.hub_page import HubPage  # psycopg loads with it, not at start-up

        self.setWindowTitle(self.tr("Manager settings"))
        self.hub_page = HubPage(self._vm.hub_page(), self)
        # Alt letters: both pages' controls take the rest (Ctrl+Tab reaches the hub page).
        self.tabs.addTab(stores_page, self.tr("AI&Q stores"))
        self.tabs.addTab(self.hub_page, self.tr("Store hub"))
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        return self.tabs

    def _on_tabs_current_changed(self, index: int) -> None:
        on_hub = self.tabs is not None and self.tabs.widget(index) is self.hub_page
        self.save_button.setVisible(not on_hub)  # Save is the store form's; the hub page has its own buttons
        if on_hub and self.hub_page is not None and self.hub_page.task is None:
            self.hub_page.refresh()  # the first look: is the hub there, how far behind is this terminal

    def _build_form_scroll(self) -> QScrollArea:
        scroll = QScrollArea(self)
        scroll.setObjectName("store_form_scroll")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop: it scrolls to the field Tab reaches
        scroll.setWidget(self.form)
        return scroll

    def _build_keyring_label(self) -> QLabel:
        # Said before anything is typed: a key the keyring cannot keep is typed for nothing.
        self.keyring_label = styled(QLabel(self), kind="result", level=Level.ERROR)
        self.keyring_label.setObjectName("keyring_problem_label")
        self.keyring_label.setWordWrap(True)
        self.keyring_label.hide()
        return self.keyring_label

    def _build_confirm_frame(self) -> QFrame:
        # Inline, not a modal box: the manager sees the form they are about to save under it.
        self.confirm_frame = styled(QFrame(self), kind="confirm")
        self.confirm_frame.setObjectName("refused_key_confirm")
        self.confirm_label = QLabel(self.confirm_frame)
        self.confirm_label.setObjectName("refused_key_confirm_label")
        self.confirm_label.setWordWrap(True)
        self.save_anyway_button = named(QPushButton(self.tr("Sa&ve anyway"), self.confirm_frame),
                                        "save_anyway_button", "Save the refused key anyway")
        self.keep_editing_button = named(QPushButton(self.tr("Keep &editing"), self.confirm_frame),
                                         "keep_editing_button", "Do not save; keep editing")
        for button in (self.save_anyway_button, self.keep_editing_button):
            button.setAutoDefault(False)
        self.save_anyway_button.clicked.connect(self._on_save_anyway_button_clicked)
        self.keep_editing_button.clicked.connect(self._on_keep_editing_button_clicked)
        row = QHBoxLayout(self.confirm_frame)
        row.addWidget(self.confirm_label, 1)
        row.addWidget(self.keep_editing_button)
        row.addWidget(self.save_anyway_button)
        self.confirm_frame.hide()
        return self.confirm_frame

    def _build_store_list(self) -> QWidget:
        box = QGroupBox(self.tr("Stores"), self)
        self.empty_list_label = QLabel(self.tr("No store yet. Fill in the form and save it."), box)
        self.empty_list_label.setObjectName("empty_list_label")
        self.empty_list_label.setWordWrap(True)
        styled(self.empty_list_label, kind="hint")
        self.profile_list = named(QListWidget(box), "profile_list", "Store profiles")
        self.profile_list.setMinimumWidth(200)
        self.profile_list.currentItemChanged.connect(self._on_profile_list_current_item_changed)
        self.add_button = named(QPushButton(self.tr("&Add store"), box), "add_store_button", "Add a store")
        self.activate_button = named(QPushButton(self.tr("Use at the &counter"), box), "make_active_button",
                                     "Use the selected store at the counter")
        self.delete_button = named(QPushButton(self.tr("&Delete"), box), "delete_store_button",
                                   "Delete the selected store")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.activate_button.clicked.connect(self._on_activate_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        layout = QVBoxLayout(box)
        layout.addWidget(self.empty_list_label)
        layout.addWidget(self.profile_list, 1)
        for button in (self.add_button, self.activate_button, self.delete_button):
            button.setAutoDefault(False)
            layout.addWidget(button)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.save_button = named(QPushButton(self.tr("&Save"), self), "save_button", "Save this store")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.close_button = named(QPushButton(self.tr("Close"), self), "close_button", "Close the settings")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        return button_row(self.close_button, self.save_button)

    def _connect_vm(self) -> None:
        vm = self._vm
        vm.reload()  # the file as it is now: the view model lives as long as the app
        vm.profiles_changed.connect(self._on_vm_profiles_changed)
        vm.editing_changed.connect(self._on_vm_editing_changed)
        vm.errors_changed.connect(self._on_vm_errors_changed)
        vm.message_changed.connect(self.message_label.show_message)
        vm.connection_result.connect(self.form.show_result)
        vm.busy_changed.connect(self.form.show_busy)
        vm.confirm_needed.connect(self._on_vm_confirm_needed)
        self._on_vm_profiles_changed()
        self._on_vm_editing_changed()
        self._on_vm_errors_changed(vm.errors)
        self.message_label.show_message(*vm.message)
        self._show_keyring_problem(vm.keyring_problem)

    def _show_keyring_problem(self, problem: str) -> None:
        self.keyring_label.setText(problem)
        self.keyring_label.setVisible(bool(problem))
        for widget in (self.form, self.save_button, self.add_button):
            widget.setEnabled(not problem)

    # -- from the view model -------------------------------------------------------------------

    def _on_vm_profiles_changed(self) -> None:
        self.profile_list.blockSignals(True)
        try:
            self.profile_list.clear()
            for profile in self._vm.profiles:
                active = profile.name == self._vm.active_name
                text = self.tr("{name}  (at the counter)").format(name=profile.name) if active else profile.name
                item = QListWidgetItem(text, self.profile_list)
                item.setData(Qt.ItemDataRole.UserRole, profile.name)
                if active:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
        finally:
            self.profile_list.blockSignals(False)
        self.empty_list_label.setVisible(not self._vm.profiles)
        self._select_editing()
        self._update_list_buttons()

    def _on_vm_editing_changed(self) -> None:
        self.form.fill(self._vm.form_fields(), self._vm.key_stored)
        self.confirm_frame.hide()
        editing = self._vm.editing
        self.form.setTitle(self.tr("Store: {name}").format(name=editing) if editing else self.tr("New store"))
        self._select_editing()
        self._update_list_buttons()

    def _on_vm_errors_changed(self, errors: dict[str, str]) -> None:
        self.form.show_errors(errors)

    def _on_vm_confirm_needed(self, question: str) -> None:
        self.confirm_label.setText(question)
        self.confirm_frame.show()
        self.keep_editing_button.setFocus()  # Enter or Space does the safe thing

    # -- from the manager ----------------------------------------------------------------------

    def _on_form_edited(self) -> None:
        self.confirm_frame.hide()  # the question was about the form as it was
        self._vm.validate(self.form.fields(), self.form.api_key_edit.text())

    def _on_save_button_clicked(self) -> None:
        self._save(confirmed=False)

    def _on_save_anyway_button_clicked(self) -> None:
        self._save(confirmed=True)

    def _on_keep_editing_button_clicked(self) -> None:
        self.confirm_frame.hide()
        self.form.api_key_edit.setFocus()

    def _save(self, confirmed: bool) -> None:
        self.confirm_frame.hide()
        self.form.reveal_errors()
        self._vm.save(self.form.fields(), self.form.api_key_edit.text(), confirmed)

    def _on_form_test_requested(self) -> None:
        self.confirm_frame.hide()
        self.form.reveal_errors()
        coro = self._vm.test_connection(self.form.fields(), self.form.api_key_edit.text())
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_retrieve)
        self._test_task = task  # a strong reference: qasync keeps none

    def _on_add_button_clicked(self) -> None:
        self._vm.edit(None)
        self.form.edits["name"].setFocus()

    def _on_activate_button_clicked(self) -> None:
        if self._vm.editing is not None:
            self._vm.set_active(self._vm.editing)

    def _on_delete_button_clicked(self) -> None:
        name = self._vm.editing
        if name is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Delete store"),
                          self.tr("Delete {name} and its API key from this terminal?").format(name=name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("delete_confirm_box")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._on_confirm_box_finished(name, result))
        self._confirm_box = box
        box.open()  # never exec(): the event loop (and every task) keeps running

    def _on_confirm_box_finished(self, name: str, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            self._vm.delete(name)
        self._confirm_box = None

    def _on_profile_list_current_item_changed(self, current: QListWidgetItem | None,
                                              _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self._vm.edit(current.data(Qt.ItemDataRole.UserRole))

    def _select_editing(self) -> None:
        self.profile_list.blockSignals(True)
        try:
            self.profile_list.setCurrentRow(-1)
            for row in range(self.profile_list.count()):
                if self.profile_list.item(row).data(Qt.ItemDataRole.UserRole) == self._vm.editing:
                    self.profile_list.setCurrentRow(row)
        finally:
            self.profile_list.blockSignals(False)

    def _update_list_buttons(self) -> None:
        editing = self._vm.editing
        self.delete_button.setEnabled(editing is not None and not self._vm.keyring_problem)
        self.activate_button.setEnabled(editing is not None and editing != self._vm.active_name)

    def done(self, result: int) -> None:  # Close, Esc or the window's close button
        if self._test_task is not None and not self._test_task.done():
            self._test_task.cancel()
        super().done(result)


def _retrieve(task: asyncio.Task[None]) -> None:
    # test_connection reports its own failures; this only keeps asyncio from warning about them.
    if not task.cancelled():
        task.exception()


def _height_for(dialog: QWidget) -> int:
    """680 px on a 1024x768 screen (it fits with the task bar); taller where the screen has room,
    so the Store hub page's status shows whole instead of scrolling on a 1920x1080 screen."""
    screen = dialog.screen()
    room = screen.availableGeometry().height() - 120 if screen is not None else 0
    return min(840, max(DIALOG_MIN_SIZE.height() + 60, room))
