"""Every text colour of the app against what it is drawn on: at least WCAG AA's 4.5:1.

Read from the one style sheet (each rule's ``color`` over its ``background``, or over the window
and a field's white when the rule draws none), the palette app_palette() gives Qt's own
widgets, and the pairs style.py lists for text drawn outside the sheet (table cells, rich text).
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QPalette

from budtender_app.ui.common.style import EXTRA_TEXT_PAIRS, PALETTE, STYLE_SHEET, app_palette

AA = 4.5
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
COLOUR = re.compile(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})")
BACKGROUND = re.compile(r"(?<![-\w])background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})")
STATES = re.compile(r":(hover|pressed|focus|selected|disabled|flat)")


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour (#rgb or #rrggbb)."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rules() -> list[tuple[list[str], str | None, str | None]]:
    rules = []
    for selectors, body in RULE.findall(re.sub(r"/\*.*?\*/", "", STYLE_SHEET, flags=re.DOTALL)):
        colour, background = COLOUR.search(body), BACKGROUND.search(body)
        rules.append(([s.strip() for s in selectors.split(",")], colour and colour.group(1),
                      background and background.group(1)))
    return rules


def sheet_pairs() -> list[tuple[str, str, str]]:
    """(where, text colour, background) for every rule of the sheet that colours text or its ground."""
    rules = _rules()
    colour_of = {s: c for selectors, c, _ in rules if c for s in selectors}
    ground_of = {s: b for selectors, _, b in rules if b for s in selectors}
    pairs = []
    for selectors, colour, background in rules:
        for selector in selectors:
            plain = STATES.sub("", selector)
            text = colour or colour_of.get(selector) or colour_of.get(plain) or PALETTE["text"]
            if background or (ground_of.get(plain) and colour):
                pairs.append((selector, text, background or ground_of[plain]))
            elif colour:  # drawn on the window, or inside a white field or list
                pairs += [(selector, colour, PALETTE["window_bg"]), (selector, colour, PALETTE["base_bg"])]
    return pairs


def palette_pairs() -> list[tuple[str, str, str]]:
    """What Qt draws itself with the app's palette: text on fields, windows, buttons, selections."""
    palette, role, group = app_palette(QPalette()), QPalette.ColorRole, QPalette.ColorGroup

    def name(r: QPalette.ColorRole, g: QPalette.ColorGroup = group.Active) -> str:
        return palette.color(g, r).name()

    return [("text on a field", name(role.Text), name(role.Base)),
            ("text on a striped row", name(role.Text), name(role.AlternateBase)),
            ("text on the window", name(role.WindowText), name(role.Window)),
            ("button text", name(role.ButtonText), name(role.Button)),
            ("selected text", name(role.HighlightedText), name(role.Highlight)),
            ("a placeholder", name(role.PlaceholderText), name(role.Base)),
            ("a tool tip", name(role.ToolTipText), name(role.ToolTipBase)),
            ("disabled text", name(role.WindowText, group.Disabled), name(role.Window)),
            ("disabled field text", name(role.Text, group.Disabled), name(role.Base))]


ALL_PAIRS = (sheet_pairs() + palette_pairs()
             + [(f"{t} on {b}", PALETTE[t], PALETTE[b]) for t, b in EXTRA_TEXT_PAIRS])


def test_the_formula_matches_wcag_examples():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey
    assert contrast("#808080", "#f4f4f4") == pytest.approx(3.6, abs=0.05)  # the old greyed reasons


def test_the_sheet_is_read_whole():
    where = {selector for selector, _, _ in sheet_pairs()}
    for expected in ('QListWidget#unusable_list', 'QLabel[kind="hint"]', 'QPushButton[kind="primary"]',
                     'QLabel[kind="message"][level="warning"]', "QLabel#training_banner", "QPushButton:disabled"):
        assert expected in where
    assert len(ALL_PAIRS) > 60


@pytest.mark.parametrize(("where", "text", "ground"), ALL_PAIRS, ids=[p[0] for p in ALL_PAIRS])
def test_every_text_colour_reads_at_4_5_to_1(where, text, ground):
    assert contrast(text, ground) >= AA, f"{where}: {text} on {ground} is {contrast(text, ground):.2f}:1"
