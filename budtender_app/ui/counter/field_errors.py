"""Where the view model's words show: an error about the cart total or the phone right under that
field, a popup's words in the popup, everything else in the band under the cart row.

Issue 12: a cashier looks at the field they just typed into, not at a strip across the window, so
"Two decimals at most" belongs under the cart total and "10 digits" under the phone. One place at a
time: whichever line shows the message, the others are cleared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.ui.common.widgets import MessageLabel
from budtender_app.viewmodels.redemption import RedemptionViewModel

if TYPE_CHECKING:  # popups.py builds the popups, which use field_grid from here
    from budtender_app.ui.counter.popups import CounterPopups

#: The cart row's spacing, fixed so the cart total's error line can start right under the field.
CART_ROW_SPACING = 8


def create_field_error_row(name: str, parent: QWidget, after: QLabel) -> tuple[QHBoxLayout, MessageLabel]:
    """A field's own error line, indented past the field's label ``after`` so it sits under the field."""
    label = MessageLabel(name, parent)
    row = QHBoxLayout()
    after.ensurePolished()  # its width in the style sheet's font
    row.setContentsMargins(after.sizeHint().width() + CART_ROW_SPACING, 0, 0, 0)
    row.addWidget(label, 1)
    return row, label


def field_grid(label: QLabel, field: QWidget, error: QLabel) -> QGridLayout:
    """A popup's field beside its label, and its error line right under the field (issue 12).

    A grid, not a QFormLayout: a form row sizes a wrapped line by its one-line hint, which left
    the error's box a line too tall.
    """
    label.setBuddy(field)
    grid = QGridLayout()
    grid.addWidget(label, 0, 0)
    fixed = field.minimumWidth() == field.maximumWidth()  # the PIN's four boxes: kept at the left, not centred
    grid.addWidget(field, 0, 1, Qt.AlignmentFlag.AlignLeft if fixed else Qt.AlignmentFlag(0))
    grid.addWidget(error, 1, 1)
    grid.setColumnStretch(1, 1)
    return grid


class FieldErrors(QObject):
    """Routes each (level, text) of the view model to the one line where the cashier is looking."""

    def __init__(self, vm: RedemptionViewModel, band: MessageLabel, popups: CounterPopups,
                 cart_error: MessageLabel, phone_error: MessageLabel) -> None:
        super().__init__(band)
        self._vm = vm
        self._band = band
        self._popups = popups
        self.cart_error = cart_error
        self.phone_error = phone_error

    def show(self, level: Level | str, text: str) -> None:
        """Show the view model's line (Level.CLEAR with "" clears it wherever it was)."""
        if self._popups.pin_dialog is not None:  # the PIN popup says its own words under its field
            self._popups.pin_dialog.show_message(level, text)
            self._clear_fields(None)
            return
        if self._popups.checkout_dialog is not None and level != Level.INFO:
            self._popups.checkout_dialog.show_error(text)  # under the transaction ID
            return
        field = self._field_for(level, text)
        self._clear_fields(field)
        if field is None:
            self._band.show_message(level, text)
            return
        field.show_message(level, text)
        if self._band.text():  # the same error never shows twice
            self._band.show_message(Level.CLEAR, "")

    def _field_for(self, level: Level | str, text: str) -> MessageLabel | None:
        if level != Level.ERROR or not text:
            return None
        step = self._vm.step
        if step is Step.CART:
            return self.cart_error
        if step is Step.PHONE:
            # At the phone step the phone is refused only once the cart total reads: until then
            # every refusal there is about the cart total (submit_phone checks it first).
            return self.cart_error if self._vm.cart_total is None else self.phone_error
        return None

    def _clear_fields(self, keep: MessageLabel | None) -> None:
        for label in (self.cart_error, self.phone_error):
            if label is not keep and label.text():
                label.show_message(Level.CLEAR, "")
