"""The store form's "send sales from this terminal" setting (issue 16), asked about before it goes on.

Off by default. Turning it on is asked about inline (a ConfirmStrip, never a blocking message box):
where the POS already reports its sales to AIQ, every point would count twice. The check box
stays off until the manager confirms; turning it off needs no question.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.decision_widgets import ConfirmStrip


class SendSalesRow(QWidget):
    """The check box, its standing warning while on, and the question before it goes on."""

    changed = Signal()  # the manager turned it on (confirmed) or off

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("send_sales_row")
        # Two lines: a check box does not wrap, and one long line would widen the whole form.
        self.check = named(QCheckBox(self.tr(
            "This store's POS does not send sales to AIQ:\nsend them &from this terminal"), self),
            "send_sales_check", "Send sales to AIQ from this terminal")
        self.check.toggled.connect(self._on_check_toggled)
        self.warning_label = QLabel(self.tr(
            "Each checkout's sale (and its refund) goes to AIQ from here, so shoppers earn points. Only for a "
            "POS with no AIQ integration: where the POS reports sales too, every point counts twice."), self)
        self.warning_label.setObjectName("send_sales_warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        # The question in full width above a short strip: the strip's own label beside its two
        # buttons would leave it a narrow column in this form.
        self.question_label = QLabel(self.tr(
            "Turn this on only if the store's POS sends AIQ nothing. If the POS already reports sales to AIQ, "
            "every shopper's points will count twice."), self)
        self.question_label.setObjectName("send_sales_question")
        self.question_label.setWordWrap(True)
        self.confirm = ConfirmStrip("send_sales", self)
        self.confirm.no_button.clicked.connect(self.question_label.hide)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.check)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.question_label)
        layout.addWidget(self.confirm)
        self.warning_label.hide()
        self.question_label.hide()

    @property
    def on(self) -> bool:
        return self.check.isChecked()

    def set_on(self, on: bool) -> None:
        """Show the saved setting (no question: it was asked when it was turned on)."""
        self._take_back()
        self._set(on)

    def _take_back(self) -> None:
        self.confirm.cancel()
        self.question_label.hide()

    def _set(self, on: bool) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(on)
        self.check.blockSignals(False)
        self.warning_label.setVisible(on)

    def _on_check_toggled(self, checked: bool) -> None:
        if not checked:
            self._take_back()
            self.warning_label.hide()
            self.changed.emit()
            return
        self._set(False)  # not on until confirmed
        self.question_label.show()
        self.confirm.ask(self.tr("Send sales from here?"), self.tr("&Yes, turn it on"), self._confirmed)
        QTimer.singleShot(0, self, self._show_question)  # once laid out: the form may scroll

    def _show_question(self) -> None:
        """Scroll the settings form (when it scrolls) so the question is in view, not below it."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None and self.confirm.isVisible():
            parent.ensureWidgetVisible(self.confirm, 0, 50)
            parent.horizontalScrollBar().setValue(0)  # the labels stay in view

    def _confirmed(self) -> None:
        self.question_label.hide()
        self._set(True)
        self.check.setFocus()
        self.changed.emit()
