"""The app's one look: its colours and sizes, and the one Qt style sheet built from them.

Widgets carry no style sheet of their own. They say what they are, by object name
(``#training_banner``) or by a dynamic property the sheet selects on (``kind="hint"``,
``level="error"``), and the sheet below, set once on the application, draws them. A property
changed after the widget is shown needs a restyle: ``set_style_props`` does it, only on change
(a restyle relayouts the window, which cost the counter time at every sale).
"""

from __future__ import annotations

from string import Template
from typing import TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget

from budtender_app.domain.messages import Level

W = TypeVar("W", bound=QWidget)

#: Every colour the screens use, by what it means.
PALETTE = {
    "text": "#333333",
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
    "unsent": "#8a5a00",
    "hint": "#555",
    "muted": "#666",
    "greyed": "#808080",
    "greyed_bg": "#f4f4f4",
    "locked_bg": "#eeeeee",
    "banner_bg": "#ffd54f",
    "banner_text": "#3e2723",
    "panel_bg": "#fafafa",
    "panel_line": "#ddd",
    "ask_bg": "#fff8e1",
    "ask_line": "#f0c36d",
    "consent_bg": "#fffdf5",
    "consent_line": "#d7ccc8",
    "consent_text": "#212121",
    "wallet_bg": "#f1f8e9",
    "wallet_line": "#aed581",
    "wallet_note": "#33691e",
    "paper_line": "#bbb",
    "desk_bg": "#eceff1",
}

#: Type sizes, in points.
SIZES = {"title": "15pt", "large": "14pt", "big": "13pt", "medium": "12pt", "small": "11pt"}

#: Outcome colours in a table (an item's foreground cannot come from a style sheet).
REDEEMED_COLOR = QColor(Qt.GlobalColor.darkGreen)
NOT_REDEEMED_COLOR = QColor(Qt.GlobalColor.red)
UNSURE_COLOR = QColor(PALETTE["error"])  # points may have moved
UNSENT_COLOR = QColor(PALETTE["unsent"])  # nothing sent yet

_SHEET = Template("""
QLabel[kind="hint"] { color: $hint; }
QLabel[kind="muted"] { color: $muted; }
QLabel[kind="title"] { font-size: $title_size; font-weight: 600; }
QLabel[kind="field_error"] { color: $error; }

QLabel[kind="message"] { color: $text; font-weight: 400; }
QLabel[kind="message"][level="info"] {
    color: $info; background: $info_bg; border: 1px solid $info_line; padding: 6px 8px; border-radius: 4px; }
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
QLineEdit#cart_edit[locked="true"] { background: $locked_bg; color: $hint; }
QPushButton#redeem_button { font-size: $medium_size; font-weight: 600; padding: 8px 14px; }
QLabel#pending_label { color: $error; font-weight: 700; }

QLabel#keys_label { background: $panel_bg; border: 1px solid $panel_line; border-radius: 4px; padding: 8px; }
QLabel#apply_totals_label { font-size: $big_size; font-weight: 600; }
QPushButton#checkout_button { font-size: $big_size; font-weight: 600; padding: 8px 18px; }
QLabel#selection_summary_label { font-size: $medium_size; }
QListWidget#offer_list::item { padding: 6px; }
QLabel#unusable_caption { color: $muted; font-weight: 600; margin-top: 6px; }
QListWidget#unusable_list { color: $greyed; background: $greyed_bg; }
QListWidget#unusable_list::item { padding: 3px; }

QFrame[kind="confirm"] { background: $ask_bg; border: 1px solid $ask_line; border-radius: 4px; }
QFrame[kind="confirm"] QLabel { border: none; font-weight: 600; }
QLabel#pending_empty_label { color: $ok; font-weight: 600; }
QTableWidget#pending_table::item { padding: 4px 2px; }
/* Under any application style sheet Qt draws a date edit with a calendar popup 4 px shorter
   than its native self (Fusion): this gives it its native height back. */
QDateEdit[calendarPopup="true"] { min-height: 17px; }
QLabel#export_result_label[level="error"] { color: $error; font-weight: 700; }
QLabel#skip_pin_warning {
    color: $warning; background: $warning_bg; border: 1px solid $warning_line; border-radius: 4px;
    padding: 6px 8px; font-weight: 600; }

QLabel#consent_label {
    background: $consent_bg; border: 1px solid $consent_line; border-radius: 4px; padding: 8px 10px;
    font-size: $small_size; color: $consent_text; }
QLabel#consent_label[level="error"] { color: $error; }
QCheckBox#consent_check { font-weight: 600; }
QPushButton#sign_up_button { font-weight: 600; padding: 6px 14px; }
QLabel#welcome_wallet_label {
    background: $wallet_bg; border: 1px solid $wallet_line; border-radius: 4px; padding: 8px 10px; }

/* Training: every dialog of the training window is tinted the banner's colour (main_window.py). */
[training="true"] QDialog { background: $ask_bg; }

QLabel#receipt_preview_label { background: white; border: 1px solid $paper_line; }
QScrollArea#receipt_scroll { background: $desk_bg; border: none; }
""")

STYLE_SHEET = _SHEET.substitute(PALETTE, **{f"{name}_size": size for name, size in SIZES.items()})


def apply_style(app: QApplication) -> None:
    """Give the application its one style sheet (app.py, before the first window)."""
    if app.styleSheet() != STYLE_SHEET:  # setting it again restyles every widget for nothing
        app.setStyleSheet(STYLE_SHEET)


def ensure_style() -> None:
    """The top-level windows call this, so a screen built without app.py (tests, screenshots) looks the same."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_style(app)


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
