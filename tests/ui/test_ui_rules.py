"""Rules of ui/ that keep the screens alike and the event loop running, checked on the source.

- One look: only ui/common/style.py sets a style sheet; a widget says what it is (object name,
  ``kind``/``level`` property) and the one application sheet draws it.
- Never a blocking dialog: no exec() and no static QMessageBox (they run a nested event loop
  and freeze every task, a redemption in flight included).
- One manager gate: the manager PIN dialog is opened by ui/manager/gate.py only, so no screen
  reaches a manager's window without the PIN.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "budtender_app" / "ui"
MODULES = sorted(UI.rglob("*.py"))
IDS = [str(p.relative_to(UI)) for p in MODULES]
STYLE = UI / "common" / "style.py"
GATE = UI / "manager" / "gate.py"

BLOCKING = re.compile(r"\.exec_?\(|QMessageBox\.(warning|critical|information|question|about)\(")


def _code_lines(path: Path) -> list[tuple[int, str]]:
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]  # a comment may name what it avoids
        if code.strip():
            lines.append((number, code))
    return lines


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_only_the_style_module_sets_a_style_sheet(path):
    if path == STYLE:
        return
    found = [f"line {n}: {code.strip()}" for n, code in _code_lines(path) if "setStyleSheet(" in code]
    assert not found, "give the widget an object name or a kind/level property and a rule in style.py"


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_no_dialog_blocks_the_event_loop(path):
    found = [f"line {n}: {code.strip()}" for n, code in _code_lines(path) if BLOCKING.search(code)]
    assert not found, "open() the dialog and wait for its finished signal"


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_the_manager_pin_is_asked_only_by_the_gate(path):
    if path == GATE or path.name == "manager_pin_dialog.py":
        return
    found = [f"line {n}: {code.strip()}" for n, code in _code_lines(path) if "ManagerPinDialog(" in code]
    assert not found, "open a manager's window through ManagerGate.open (ui/manager/gate.py)"
