"""The app's one look: its colours and sizes, and the one Qt style sheet built from them.

Widgets carry no style sheet of their own. They say what they are, by object name
(``#training_banner``) or by a dynamic property the sheet selects on (``kind="hint"``,
``level="error"``), and the sheet below, set once on the application, draws them. A property
changed after the widget is shown needs a restyle: ``set_style_props`` does it, only on change
(a restyle relayouts the window, which cost the counter time at every sale).

Counter size: text at 12 pt at least (read at arm's length), rows and buttons 44 px tall (a
finger on a touch till), every text colour at 4.5:1 at least against what it is drawn on (WCAG
AA; tests/ui/common/test_palette.py measures each pair), and a focus ring the keyboard can see.
"""

from __future__ import annotations

from string import Template
from typing import TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QTableWidget, QWidget

from budtender_app.domain.messages import Level

W = TypeVar("W", bound=QWidget)

#: Every colour the screens use, by what it means.
PALETTE = {
    "window_bg": "#f2f2f2",
    "base_bg": "#ffffff",
    "alternate_bg": "#f6f8fa",
    "text": "#222222",
    "disabled_text": "#666666",
    "disabled_bg": "#ebebeb",
    "disabled_line": "#c4c4c4",
    "button_bg": "#fbfbfb",
    "button_line": "#8c8c8c",
    "button_hover": "#ececec",
    "button_down": "#dedede",
    "primary": "#0b5394",
    "primary_hover": "#0a477f",
    "primary_down": "#083963",
    "primary_text": "#ffffff",
    "focus": "#c2410c",
    "selection_bg": "#0b5394",
    "selection_text": "#ffffff",
    "error": "#b00020",
    "error_bg": "#fdecea",
    "error_line": "#f5c2c0",
    "info": "#0b5394",
    "info_bg": "#e8f0fe",
    "info_line": "#c6d7f5",
    "ok": "#1b5e20",
    "ok_bg": "#e8f5e9",
    "ok_line": "#a5d6a7",
    "warning": "#5d4037",
    "warning_bg": "#fff4e5",
    "warning_line": "#ffcc80",
    "unsent": "#7a4f00",
    "hint": "#4d4d4d",
    "muted": "#575757",
    "greyed": "#5c5c5c",
    "greyed_bg": "#f4f4f4",
    "locked_bg": "#e9e9e9",
    "banner_bg": "#ffd54f",
    "banner_text": "#3e2723",
    "panel_bg": "#fafafa",
    "panel_line": "#d0d0d0",
    "ask_bg": "#fff8e1",
    "ask_line": "#f0c36d",
    "consent_bg": "#fffdf5",
    "consent_line": "#d7ccc8",
    "consent_text": "#212121",
    "wallet_bg": "#f1f8e9",
    "wallet_line": "#aed581",
    "wallet_note": "#33691e",
    "paper_line": "#bbbbbb",
    "desk_bg": "#eceff1",
    "tooltip_bg": "#ffffdc",
}

#: The one base type size (points): what every widget reads in unless the sheet says larger.
BASE_POINTS = 12
#: Type sizes, in points: nothing a cashier reads is smaller than BASE_POINTS.
SIZES = {"title": "16pt", "amount": "18pt", "large": "15pt", "big": "14pt", "medium": "13pt",
         "small": f"{BASE_POINTS}pt"}
#: A button, a field, a list or table row: tall enough for a finger on a touch till.
TOUCH_HEIGHT = 44
#: The counter's content column: readable, centred on a wide screen instead of stretched across it.
CONTENT_MAX_WIDTH = 1000
#: The widest any dialog may be: it fits a 1024x768 screen with room for the window frame.
DIALOG_MAX_WIDTH = 1000

#: The one main action of a step or dialog, drawn in the brand colour. Most say so themselves
#: (``kind="primary"``); these are in screens whose buttons this module names instead.
PRIMARY_NAMES = ("apply_selection_button", "open_wallet_button", "confirm_checkout_button",
                 "manager_pin_ok_button", "skip_confirm_button", "sign_up_button")

#: Outcome colours in a table (an item's foreground cannot come from a style sheet).
REDEEMED_COLOR = QColor(PALETTE["ok"])
NOT_REDEEMED_COLOR = QColor(PALETTE["error"])
UNSURE_COLOR = QColor(PALETTE["error"])  # points may have moved
UNSENT_COLOR = QColor(PALETTE["unsent"])  # nothing sent yet

#: Text drawn outside the sheet (table cells, inline rich text), with the background under it:
#: the contrast test measures these with the sheet's own pairs.
EXTRA_TEXT_PAIRS = (
    ("ok", "base_bg"), ("ok", "alternate_bg"), ("error", "base_bg"), ("error", "alternate_bg"),
    ("unsent", "base_bg"), ("unsent", "alternate_bg"), ("hint", "window_bg"), ("wallet_note", "wallet_bg"),
    ("text", "window_bg"), ("text", "base_bg"), ("text", "alternate_bg"), ("text", "tooltip_bg"),
    ("disabled_text", "window_bg"), ("disabled_text", "base_bg"), ("selection_text", "selection_bg"),
)

_SHEET = Template("""
QToolTip { color: $text; background: $tooltip_bg; border: 1px solid $panel_line; padding: 4px; }

/* Buttons: 44 px tall (38 + padding + border), the focus ring a thicker border in the same box,
   so a button never changes size as the keyboard comes and goes. */
QPushButton {
    color: $text; background: $button_bg; border: 1px solid $button_line; border-radius: 6px;
    padding: 2px 16px; min-height: 38px; }
QPushButton:hover { background: $button_hover; }
QPushButton:pressed { background: $button_down; }
$sel_primary {
    color: $primary_text; background: $primary; border-color: $primary_down; font-weight: 600; }
$sel_primary_hover { background: $primary_hover; }
$sel_primary_pressed { background: $primary_down; }
QPushButton:focus { border: 3px solid $focus; padding: 0px 14px; }
$sel_primary_focus { border-color: $focus; }
QPushButton:disabled, $sel_primary_disabled {
    color: $disabled_text; background: $disabled_bg; border-color: $disabled_line; }
QPushButton:flat { background: transparent; border-color: transparent; padding: 2px 8px; }
QPushButton:flat:hover { background: $button_hover; border-color: $button_line; }

QLineEdit {
    color: $text; background: $base_bg; border: 1px solid $button_line; border-radius: 4px;
    padding: 2px 8px; min-height: 38px; selection-background-color: $selection_bg;
    selection-color: $selection_text; }
QLineEdit:focus { border: 3px solid $focus; padding: 0px 6px; }
QLineEdit:disabled { color: $disabled_text; background: $disabled_bg; }
QComboBox, QDateEdit, QSpinBox { min-height: 38px; padding: 0px 8px; }
/* A date or spin box's own line edit: the box around it is the field, drawn (and focused) by Qt. */
QAbstractSpinBox QLineEdit, QAbstractSpinBox QLineEdit:focus {
    border: none; padding: 0px; min-height: 0px; background: transparent; }
/* Under any application style sheet Qt draws a date edit with a calendar popup 4 px shorter
   than its native self (Fusion): min-height gives it its height back, and a touch till's. */
QDateEdit[calendarPopup="true"] { min-height: 38px; }

QCheckBox { min-height: 40px; spacing: 10px; border: 2px solid transparent; border-radius: 4px; padding: 0px 4px; }
QCheckBox:focus { border-color: $focus; }
QCheckBox::indicator { width: 20px; height: 20px; }

QListView, QTableView {
    color: $text; background: $base_bg; alternate-background-color: $alternate_bg;
    border: 1px solid $panel_line; selection-background-color: $selection_bg; selection-color: $selection_text; }
QListView:focus, QTableView:focus { border: 2px solid $focus; }
QListView::item { min-height: ${touch}px; padding: 2px 8px; }
QTableView::item { padding: 0px 6px; }
QHeaderView::section {
    color: $text; background: $panel_bg; border: none; border-bottom: 1px solid $panel_line;
    border-right: 1px solid $panel_line; padding: 6px 8px; font-weight: 600; }

QTabWidget::pane { border: 1px solid $panel_line; top: -1px; }
QTabBar::tab {
    color: $text; background: $button_hover; border: 1px solid $panel_line; border-bottom: none;
    border-top-left-radius: 4px; border-top-right-radius: 4px; padding: 6px 14px; min-height: 30px;
    margin-right: 2px; }
QTabBar::tab:selected { background: $window_bg; font-weight: 600; }
QTabBar::tab:focus { border: 2px solid $focus; border-bottom: none; }

QStatusBar { border-top: 1px solid $panel_line; }
QStatusBar::item { border: none; }

QLabel[kind="hint"] { color: $hint; }
QLabel[kind="muted"] { color: $muted; }
QLabel[kind="title"] { font-size: $title_size; font-weight: 600; }
QLabel[kind="field_error"] { color: $error; }

QLabel[kind="message"] { color: $text; font-weight: 400; font-size: $medium_size; }
QLabel[kind="message"][level="info"] {
    color: $info; background: $info_bg; border: 1px solid $info_line; padding: 6px 8px; border-radius: 4px; }
QLabel[kind="message"][level="ok"] {
    color: $ok; font-weight: 600; background: $ok_bg; border: 1px solid $ok_line; padding: 6px 8px;
    border-radius: 4px; }
QLabel[kind="message"][level="warning"] {
    color: $warning; font-weight: 600; background: $warning_bg; border: 1px solid $warning_line;
    padding: 6px 8px; border-radius: 4px; }
QLabel[kind="message"][level="error"] {
    color: $error; font-weight: 600; background: $error_bg; border: 1px solid $error_line;
    padding: 6px 8px; border-radius: 4px; }

QLabel[kind="result"], QLabel[kind="status"] { border-radius: 4px; font-weight: 600; }
QLabel[kind="result"] { color: $error; background: $error_bg; border: 1px solid $error_line; padding: 6px 8px; }
QLabel[kind="result"][level="ok"] { color: $ok; background: $ok_bg; border: 1px solid $ok_line; }
QLabel[kind="status"] { font-size: $large_size; padding: 8px 10px; }
QLabel[kind="status"][level="ok"] { color: $ok; background: $ok_bg; border: 1px solid $ok_line; }
QLabel[kind="status"][level="warning"] {
    color: $warning; background: $warning_bg; border: 1px solid $warning_line; }

QLabel#training_banner {
    background: $banner_bg; color: $banner_text; font-size: $big_size; font-weight: 700; padding: 8px; }
QLabel#cart_label { font-size: $big_size; }
QLineEdit#cart_edit[locked="true"] { background: $locked_bg; color: $text; }
QLabel#pending_label, QLabel#staff_off_label { color: $error; font-weight: 700; }
QLabel#signed_in_label { font-weight: 600; padding: 0px 8px; }
QLabel#wallet_header_label { font-size: $amount_size; }
QLineEdit#cart_edit, QLineEdit#phone_edit { font-size: $amount_size; }
/* The location wraps rather than being cut off by the status bar's buttons. (Not the wallet's and
   the apply page's lines: a wrapping label there made every redraw of the sale relayout the window
   for its height, 2-3 ms a step; their size below keeps them whole beside the buttons at 1024 px.) */
QLabel#location_label { qproperty-wordWrap: true; }

QLabel#keys_label { background: $panel_bg; border: 1px solid $panel_line; border-radius: 4px; padding: 8px; }
QLabel#apply_totals_label { font-size: $large_size; font-weight: 600; }
QLabel#selection_summary_label { font-size: $medium_size; font-weight: 600; }
QLabel#done_title_label { font-size: $amount_size; }
QListWidget#offer_list::item { padding: 6px 8px; }
QLabel#unusable_caption { color: $muted; font-weight: 600; margin-top: 6px; }
QListWidget#unusable_list { color: $greyed; background: $greyed_bg; }

QFrame[kind="confirm"] { background: $ask_bg; border: 1px solid $ask_line; border-radius: 4px; }
QFrame[kind="confirm"] QLabel { border: none; font-weight: 600; }
QLabel#pending_empty_label { color: $muted; font-weight: 600; }
QLabel#export_result_label[level="error"] { color: $error; font-weight: 700; }
QLabel#skip_pin_warning, QLabel#send_sales_warning, QLabel#send_sales_question {
    color: $warning; background: $warning_bg; border: 1px solid $warning_line; border-radius: 4px;
    padding: 6px 8px; font-weight: 600; }

QLabel#consent_label {
    background: $consent_bg; border: 1px solid $consent_line; border-radius: 4px; padding: 8px 10px;
    font-size: $small_size; color: $consent_text; }
QLabel#consent_label[level="error"] { color: $error; }
QCheckBox#consent_check { font-weight: 600; }
QPushButton#sign_up_button { font-weight: 600; }
QLabel#welcome_wallet_label {
    background: $wallet_bg; border: 1px solid $wallet_line; border-radius: 4px; padding: 8px 10px; }

/* Training: every dialog of the training window is tinted the banner's colour (main_window.py). */
[training="true"] QDialog { background: $ask_bg; }

QLabel#receipt_preview_label { background: $base_bg; border: 1px solid $paper_line; }
QScrollArea#receipt_scroll { background: $desk_bg; border: none; }
""")



def _primary_selectors(state: str) -> str:
    return ", ".join(f"QPushButton{name}{state}" for name in ('[kind="primary"]', *(f"#{n}" for n in PRIMARY_NAMES)))


STYLE_SHEET = Template(_SHEET.safe_substitute(
    {f"sel_primary_{state}" if state else "sel_primary": _primary_selectors(f":{state}" if state else "")
     for state in ("", "hover", "pressed", "focus", "disabled")})).substitute(
    PALETTE, touch=TOUCH_HEIGHT, **{f"{name}_size": size for name, size in SIZES.items()})

_ROLES = {
    QPalette.ColorRole.Window: "window_bg", QPalette.ColorRole.WindowText: "text",
    QPalette.ColorRole.Base: "base_bg", QPalette.ColorRole.AlternateBase: "alternate_bg",
    QPalette.ColorRole.Text: "text", QPalette.ColorRole.Button: "button_bg", QPalette.ColorRole.ButtonText: "text",
    QPalette.ColorRole.Highlight: "selection_bg", QPalette.ColorRole.HighlightedText: "selection_text",
    QPalette.ColorRole.PlaceholderText: "disabled_text", QPalette.ColorRole.ToolTipBase: "tooltip_bg",
    QPalette.ColorRole.ToolTipText: "text",
}
#: Qt's disabled text is #bebebe on #efefef (1.6:1): unreadable, and a disabled control still says what it is.
_DISABLED_ROLES = (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText)


def app_palette(base: QPalette) -> QPalette:
    """``base`` with every colour the sheet does not draw taken from PALETTE (text, fields, selection)."""
    palette = QPalette(base)
    for role, name in _ROLES.items():
        palette.setColor(role, QColor(PALETTE[name]))
    for role in _DISABLED_ROLES:
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(PALETTE["disabled_text"]))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(PALETTE["disabled_text"]))
    return palette


def apply_style(app: QApplication) -> None:
    """Give the application its one look (app.py, before the first window): palette, type size, sheet."""
    if app.styleSheet() == STYLE_SHEET:  # setting it again restyles every widget for nothing
        return
    app.setPalette(app_palette(app.palette()))
    font = app.font()
    font.setPointSizeF(BASE_POINTS)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def ensure_style() -> None:
    """The top-level windows call this, so a screen built without app.py (tests, screenshots) looks the same."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_style(app)


def touch_rows(table: QTableWidget) -> None:
    """Table rows at touch height (a table's rows come from its header, not from the sheet)."""
    header = table.verticalHeader()
    header.setMinimumSectionSize(TOUCH_HEIGHT)
    header.setDefaultSectionSize(TOUCH_HEIGHT)


def styled(widget: W, **props: str) -> W:
    """Give a widget the style properties the sheet selects on (``kind="hint"``); returns it."""
    set_style_props(widget, **props)
    return widget


def set_style_props(widget: QWidget, **props: str) -> None:
    """Set style properties; a widget already drawn is restyled, and only when one changed."""
    changed = False
    for name, value in props.items():
        if widget.property(name) != value:
            widget.setProperty(name, value)
            changed = True
    if changed and widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
        # What setStyleSheet() would send: a frame (a QLabel is one) then takes the new padding
        # and border into its size; without it the text keeps the old box.
        QApplication.sendEvent(widget, QEvent(QEvent.Type.StyleChange))


def set_level(widget: QWidget, level: Level | str) -> None:
    """Colour a line by how loud it is (``Level``; a plain string compares equal)."""
    set_style_props(widget, level=str(level))
