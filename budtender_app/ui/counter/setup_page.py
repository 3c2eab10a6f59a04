"""The first-start setup screen (issue 13): on a real terminal with no manager it covers the
counter before anything else and creates the first manager; then the sign-in screen follows.
Its words come from the FirstSetup view model; its look from ui/common/style.py.

Each field has its label above it (the column is the sign-in screen's, too narrow for labels
beside), with an Alt mnemonic. The counter's sign-in wiring holds every shortcut back while nobody
is signed in (the key is typing), so the page moves the focus for its own Alt keys itself (eventFilter)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from budtender_app.ui.common.style import styled
from budtender_app.ui.common.widgets import MessageLabel, WrappedLabel, centred, named
from budtender_app.ui.counter.sign_in_page import COLUMN_WIDTH
from budtender_app.viewmodels.first_setup import FirstSetup


class SetupPage(QWidget):
    """Name, passcode, the same passcode again, and "Create manager"."""

    def __init__(self, setup: FirstSetup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup = setup
        self.setObjectName("setup_page")
        self.setAutoFillBackground(True)
        self._build()
        setup.message_changed.connect(self.message_label.show_message)

    def _build(self) -> None:
        column = QWidget(self)
        box = QVBoxLayout(column)
        box.setSpacing(12)
        self.title_label = styled(named(QLabel(self.tr("Set up this terminal"), column), "setup_title",
                                        "Set up this terminal"), kind="title")
        self.hint_label = styled(WrappedLabel(self.tr(
            "This terminal has no manager yet. Create the first manager account: the manager then adds "
            "the cashiers."), column), kind="hint")
        self.name_edit = named(QLineEdit(column), "setup_name_edit", "Manager's name")
        self.name_edit.setPlaceholderText(self.tr("As it shows on screen and in reports"))
        self.passcode_edit = self._create_passcode(column, "setup_passcode_edit", "Passcode")
        self.again_edit = self._create_passcode(column, "setup_again_edit", "The same passcode again")
        self._keys: dict[int, QLineEdit] = {}
        rows = [self._labelled(column, self.tr("Manager's &name"), Qt.Key.Key_N, self.name_edit),
                self._labelled(column, self.tr("&Passcode (4 to 8 digits)"), Qt.Key.Key_P, self.passcode_edit),
                self._labelled(column, self.tr("The same passcode &again"), Qt.Key.Key_A, self.again_edit)]
        self.create_button = styled(named(QPushButton(self.tr("Create manager"), column), "setup_create_button",
                                          "Create the first manager"), kind="primary")
        self.create_button.setAutoDefault(False)
        self.create_button.clicked.connect(self.submit)
        self.name_edit.returnPressed.connect(self.passcode_edit.setFocus)
        self.passcode_edit.returnPressed.connect(self.again_edit.setFocus)
        self.again_edit.returnPressed.connect(self.submit)
        self.message_label = MessageLabel("setup_message", column)
        box.addWidget(self.title_label)
        box.addWidget(self.hint_label)
        box.addSpacing(8)  # the fields apart from the words above and the button below (12 px among themselves)
        for row in rows:
            box.addLayout(row)
        box.addSpacing(8)
        box.addWidget(self.create_button)
        box.addWidget(self.message_label)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(centred(column, COLUMN_WIDTH))
        outer.addStretch(2)

    def _create_passcode(self, parent: QWidget, name: str, text: str) -> QLineEdit:
        edit = named(QLineEdit(parent), name, text)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def _labelled(self, parent: QWidget, text: str, key: Qt.Key, edit: QLineEdit) -> QVBoxLayout:
        """The label above its field, close to it (the rows further apart: which label is whose)."""
        label = QLabel(text, parent)
        label.setObjectName(f"{edit.objectName().removesuffix('_edit')}_label")
        label.setBuddy(edit)
        self._keys[int(key.value)] = edit
        edit.installEventFilter(self)
        pair = QVBoxLayout()
        pair.setSpacing(4)
        pair.addWidget(label)
        pair.addWidget(edit)
        return pair

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Alt and a label's letter in any field: to that label's field (its mnemonic, which the
        sign-in wiring holds back while nobody is signed in: the key reaches the field instead)."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.modifiers() == Qt.KeyboardModifier.AltModifier and event.key() in self._keys:
            self._keys[event.key()].setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return False

    def submit(self) -> None:
        """Create the manager; the passcodes are cleared whatever the answer (never kept on screen)."""
        done = self._setup.create(self.name_edit.text(), self.passcode_edit.text(), self.again_edit.text())
        self.passcode_edit.clear()
        self.again_edit.clear()
        if not done:
            self.passcode_edit.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
