"""One store profile's form in the settings dialog: fields, each with its error line, and the test row.

Draws what it is given and says what was typed; SettingsDialog passes both to the view model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from budtender_app.domain.messages import Level
from budtender_app.domain.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_IDLE_MINUTES,
    MAX_BRAND,
    MAX_IDLE_MINUTES,
    MIN_IDLE_MINUTES,
)
from budtender_app.ui.common.style import set_level, styled
from budtender_app.ui.common.widgets import named
from budtender_app.ui.manager.send_sales_row import SendSalesRow

TEXT_FIELDS = ("name", "store_id", "uid", "base_url", "brand", "signup_url", "wallet_url", "transaction_pattern")


class StoreForm(QGroupBox):
    """Store name, AIQ IDs, API key, base URL, brand, country, "Skip the SMS PIN", Test connection."""

    edited = Signal()  # the manager changed a field
    test_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("store_form")
        self._form = QFormLayout(self)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self._form.setVerticalSpacing(8)
        self.error_labels: dict[str, QLabel] = {}
        self.edits: dict[str, QLineEdit] = {}
        # A field's error shows once it was edited, or every one once Save or Test was pressed:
        # a first visit opens on an empty form, not on a column of red.
        self._errors: dict[str, str] = {}
        self._touched: set[str] = set()
        self._show_all = False
        self._add_line_edits()
        self.api_key_edit = self.edits["api_key"]
        self.api_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.country_combo = named(QComboBox(self), "country_combo", "Country")
        for code, country in (("US", self.tr("United States")), ("CA", self.tr("Canada"))):
            self.country_combo.addItem(country, code)
        self.country_combo.currentIndexChanged.connect(lambda: self._on_field_edited("country"))
        self._add_row("country", self.tr("C&ountry"), self.country_combo)
        self._add_idle_spin()
        self._add_skip_pin()
        self.send_sales_row = SendSalesRow(self)  # issue 16: asked before it goes on
        self.send_sales_row.changed.connect(lambda: self._on_field_edited("send_sales"))
        self._form.addRow("", self.send_sales_row)
        self._form.addRow("", self._build_test_row())

    def _add_line_edits(self) -> None:
        rows = (
            # No widget limit: one that cut a pasted name short would pass what the rule (and
            # the command line, which has no such limit) refuses. The rule says what is wrong.
            ("name", self.tr("Store &name"), self.tr("Main St"), None),
            ("store_id", self.tr("AIQ store &ID"), self.tr("Digits, from AIQ's Settings > Retail Stores"), 20),
            ("uid", self.tr("AIQ &UID"), self.tr("Digits, from AIQ's Settings > API & Tracking"), 20),
            ("api_key", self.tr("API &key"), "", 400),
            ("base_url", self.tr("Base U&RL"), DEFAULT_BASE_URL, 300),
            ("brand", self.tr("&Brand name"), self.tr("As shoppers know it; used in signup texts"), MAX_BRAND),
            ("signup_url", self.tr("Loyalty si&gn-up link"), self.tr("https://… printed as a QR code for non-members"),
             200),
            ("wallet_url", self.tr("&Wallet link"), self.tr("https://… printed as a QR code for members"), 200),
            # What the POS's transaction IDs look like: a mistyped or mis-scanned one is refused at checkout.
            ("transaction_pattern", self.tr("POS transaction ID s&hape"),
             self.tr("any; or 8 digits, 6-10 digits, starts with POS- then 6 digits"), 80),
        )
        for field, label, placeholder, length in rows:
            edit = named(QLineEdit(self), f"{field}_edit", label.replace("&", ""))
            edit.setPlaceholderText(placeholder)
            if length is not None:
                edit.setMaxLength(length)
            edit.textEdited.connect(lambda _text, f=field: self._on_field_edited(f))
            self.edits[field] = edit
            self._add_row(field, label, edit)

    def _add_row(self, field: str, label: str, editor: QWidget) -> None:
        cell = QWidget(self)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        error = QLabel(cell)
        error.setObjectName(f"{field}_error_label")
        error.setWordWrap(True)
        styled(error, kind="field_error")
        error.hide()
        column.addWidget(error)
        self.error_labels[field] = error
        caption = QLabel(label, self)
        caption.setBuddy(editor)
        self._form.addRow(caption, cell)

    def _add_idle_spin(self) -> None:
        # A spin box: only whole minutes in the allowed range can be typed (the rule still says why).
        self.idle_spin = named(QSpinBox(self), "idle_minutes_spin", "Minutes with no use before the counter locks")
        self.idle_spin.setRange(MIN_IDLE_MINUTES, MAX_IDLE_MINUTES)
        self.idle_spin.setValue(DEFAULT_IDLE_MINUTES)
        self.idle_spin.setSuffix(self.tr(" min with no use"))
        self.idle_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # as wide as its words
        self.idle_spin.valueChanged.connect(lambda: self._on_field_edited("idle_minutes"))
        self._add_row("idle_minutes", self.tr("&Lock after"), self.idle_spin)

    def _add_skip_pin(self) -> None:
        self.skip_pin_check = named(QCheckBox(self.tr("Skip the SMS &PIN (AIQ's 2FA bypass)"), self),
                                    "skip_pin_check", "Skip the SMS PIN")
        self.skip_pin_check.toggled.connect(self._on_skip_pin_check_toggled)
        self.skip_pin_warning = QLabel(self.tr(
            "Shoppers' wallets open without the texted PIN: anyone who knows a phone number could "
            "spend its points."), self)
        self.skip_pin_warning.setObjectName("skip_pin_warning")
        self.skip_pin_warning.setWordWrap(True)
        self.skip_pin_warning.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._form.addRow("", self.skip_pin_check)
        self._form.addRow("", self.skip_pin_warning)
        self._show_skip_pin_warning(False)

    def _build_test_row(self) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout()
        self.test_button = named(QPushButton(self.tr("&Test connection"), row), "test_connection_button",
                                 "Test the connection to AIQ")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test_requested)
        self.busy_bar = QProgressBar(row)
        self.busy_bar.setObjectName("test_busy_bar")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.hide()
        self.busy_label = QLabel(row)
        self.busy_label.setObjectName("test_busy_label")
        line.addWidget(self.test_button)
        line.addWidget(self.busy_bar)
        line.addWidget(self.busy_label, 1)
        self.result_label = QLabel(row)
        styled(self.result_label, kind="result").setObjectName("connection_result_label")
        self.result_label.setAccessibleName("Connection test result")
        self.result_label.setWordWrap(True)
        self.result_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(line)
        layout.addWidget(self.result_label)
        layout.addStretch(1)  # a wrapped result asks for more height than it needs: leave it below
        return row

    # -- what it holds -------------------------------------------------------------------------

    def fields(self) -> dict[str, str | bool]:
        """The profile fields as typed (the API key is apart: api_key_edit)."""
        values: dict[str, str | bool] = {f: self.edits[f].text() for f in TEXT_FIELDS}
        values["country"] = self.country_combo.currentData() or ""
        values["skip_pin"] = self.skip_pin_check.isChecked()
        values["send_sales"] = self.send_sales_row.on
        values["idle_minutes"] = str(self.idle_spin.value())
        return values

    def fill(self, values: dict[str, str | bool], key_stored: bool) -> None:
        """Show a profile; the key field starts empty (its placeholder says whether one is stored)."""
        widgets = [*self.edits.values(), self.country_combo, self.skip_pin_check, self.idle_spin]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            for field in TEXT_FIELDS:
                self.edits[field].setText(str(values.get(field, "")))
            self.api_key_edit.clear()
            self.country_combo.setCurrentIndex(max(self.country_combo.findData(values.get("country")), 0))
            self.skip_pin_check.setChecked(bool(values.get("skip_pin")))
            self.send_sales_row.set_on(bool(values.get("send_sales")))
            minutes = str(values.get("idle_minutes", ""))
            self.idle_spin.setValue(int(minutes) if minutes.isdigit() else DEFAULT_IDLE_MINUTES)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._touched.clear()
        self._show_all = False
        self._show_skip_pin_warning(self.skip_pin_check.isChecked())
        self.api_key_edit.setPlaceholderText(
            self.tr("stored — leave empty to keep") if key_stored
            else self.tr("Paste it from AIQ's Settings > API & Tracking"))

    def reveal_errors(self) -> None:
        """Save or Test was pressed: every field's problem shows from now on, edited or not."""
        self._show_all = True
        self.show_errors(self._errors)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each edited field's problem under it ("" or absent: none), also told to a screen reader."""
        self._errors = dict(errors)
        for field, label in self.error_labels.items():
            text = errors.get(field, "") if self._show_all or field in self._touched else ""
            label.setText(text)
            label.setVisible(bool(text))
            editor = self.edits.get(field) or (self.idle_spin if field == "idle_minutes" else self.country_combo)
            editor.setAccessibleDescription(text)  # a screen reader hears it with the field

    def show_result(self, kind: str, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setVisible(bool(text))
        set_level(self.result_label, Level.OK if kind == "works" else Level.ERROR)  # green works, red else

    def show_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setVisible(bool(text))
        self.test_button.setEnabled(not text)
        if text:
            self.result_label.hide()

    # -- from the manager ----------------------------------------------------------------------

    def _on_field_edited(self, field: str) -> None:
        self._touched.add(field)
        self.result_label.hide()  # a test result says nothing about values typed since
        self.edited.emit()

    def _on_skip_pin_check_toggled(self, checked: bool) -> None:
        self._show_skip_pin_warning(checked)
        self._on_field_edited("skip_pin")

    def _show_skip_pin_warning(self, shown: bool) -> None:
        self._form.setRowVisible(self.skip_pin_warning, shown)  # the whole row: no gap when hidden
