"""Pieces of the manager's redemptions window: who decides and why, and the inline "are you sure".

A decision that moves points (or stops them moving) is confirmed inside the window, never with a
static QMessageBox: the event loop, and every send in flight, keeps running.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from budtender_app.ui.common.style import styled, touch_rows
from budtender_app.ui.common.widgets import named
from budtender_app.viewmodels.pending_words import MAX_MANAGER, MAX_REASON


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=_HasId)


def find_by_id(rows: Sequence[Row], row_id: int | None) -> Row | None:
    """The row of a table's entries with this id (the selected one), or None."""
    return next((row for row in rows if row.id == row_id), None)


class EntryTable(QTableWidget):
    """Journal entries one per row, each cell holding its entry's id; one row is selected at a time."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        touch_rows(self)
        header = self.horizontalHeader()
        for column in range(len(headers)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def selected_id(self) -> int | None:
        """The id of the entry on the selected row, or None."""
        items = self.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def select_id(self, ids: Sequence[int], keep: int | None) -> None:
        """After a redraw (rows in ``ids`` order): the row the manager was on, else the first."""
        if ids:
            self.selectRow(ids.index(keep) if keep in ids else 0)


class DecisionFields(QWidget):
    """The reason and the manager's name or initials: both go on the audit trail.

    With staff sign-in (``approved_by``: the manager who approved opening the window) no name is
    typed: the line says whose account the decisions go on, and only the reason is asked.
    """

    changed = Signal()

    def __init__(self, prefix: str, parent: QWidget | None = None, *, approved_by: str | None = None) -> None:
        super().__init__(parent)
        self._typed_name = approved_by is None
        self.reason_edit = named(QLineEdit(self), f"{prefix}_reason_edit", "Reason for the audit trail")
        self.reason_edit.setMaxLength(MAX_REASON)
        self.reason_edit.setPlaceholderText(self.tr("e.g. AIQ's report shows it / sale voided in the POS"))
        self.manager_edit = named(QLineEdit(self), f"{prefix}_manager_edit", "Manager name or initials")
        self.manager_edit.setMaxLength(MAX_MANAGER)
        self.manager_edit.setMaximumWidth(220)
        self.manager_edit.setPlaceholderText(self.tr("e.g. J.D."))
        reason_label = QLabel(self.tr("Reaso&n:"), self)
        reason_label.setBuddy(self.reason_edit)
        manager_label = QLabel(self.tr("Your name or &initials:"), self)
        manager_label.setBuddy(self.manager_edit)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(reason_label, self.reason_edit)
        form.addRow(manager_label, self.manager_edit)
        form.setRowVisible(self.manager_edit, self._typed_name)
        if approved_by is not None:
            self.approved_label = named(QLabel(self.tr("Decided by {name}: each decision goes on the audit trail "
                                                       "under that account.").format(name=approved_by or "?"), self),
                                        f"{prefix}_approved_label", "Who decides")
            self.approved_label.setWordWrap(True)
            form.addRow(self.approved_label)
        self.reason_edit.textChanged.connect(self._on_edit_text_changed)
        self.manager_edit.textChanged.connect(self._on_edit_text_changed)

    @property
    def reason(self) -> str:
        """The reason as typed."""
        return str(self.reason_edit.text())

    @property
    def manager(self) -> str:
        """The manager's name or initials as typed."""
        return str(self.manager_edit.text())

    def complete(self) -> bool:
        """Both typed (the view model checks them again)."""
        return bool(self.reason.strip()) and (not self._typed_name or bool(self.manager.strip()))

    def clear_reason(self) -> None:
        """After a decision: the next one needs its own reason; the name stays."""
        self.reason_edit.clear()

    def _on_edit_text_changed(self, _text: str) -> None:
        self.changed.emit()


class ConfirmStrip(QFrame):
    """"Send it again? [Yes, send again] [No]" inside the window; Enter confirms, Esc cancels."""

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{prefix}_confirm_strip")
        styled(self, kind="confirm")  # the amber box, its question in bold: style.py
        self.question_label = QLabel(self)
        self.question_label.setObjectName(f"{prefix}_confirm_label")
        self.question_label.setWordWrap(True)
        self.yes_button = named(QPushButton(self), f"{prefix}_confirm_yes_button", "Confirm")
        self.no_button = named(QPushButton(self.tr("No, go back"), self), f"{prefix}_confirm_no_button",
                               "Do not do it")
        self.yes_button.setDefault(True)
        self.no_button.setAutoDefault(False)
        self.yes_button.clicked.connect(self._on_yes_button_clicked)
        self.no_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.question_label, 1)
        layout.addWidget(self.no_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.yes_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._on_yes: Callable[[], None] | None = None
        self.hide()

    @property
    def asking(self) -> bool:
        return self._on_yes is not None

    def ask(self, question: str, yes_text: str, on_yes: Callable[[], None]) -> None:
        self.question_label.setText(question)
        self.yes_button.setText(yes_text)
        self.yes_button.setAccessibleName(yes_text.replace("&", ""))
        self._on_yes = on_yes
        self.show()
        self.yes_button.setFocus()

    def cancel(self) -> None:
        self._on_yes = None
        self.hide()

    def _on_yes_button_clicked(self) -> None:
        on_yes, self._on_yes = self._on_yes, None
        self.hide()
        if on_yes is not None:
            on_yes()
