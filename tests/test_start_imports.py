"""What the terminal's start does not import (BENCHMARK.md, "2026-12-02, perf12"): the screens a
first sale does not show load when first opened, and keyring skips its macOS probe off macOS.
Each start is a real one (``--demo``, offscreen) up to its first "focus" line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Loaded when first used: the shift report (a manager opens it), printing and the slip's drawing
#: (the warm-up loads the drawing once the window shows), keyring's macOS backend API.
DEFERRED = (
    "budtender_app.domain.shift_report", "budtender_app.domain.shifts", "budtender_app.domain.shift_text",
    "budtender_app.domain.shift_check", "budtender_app.domain.shift_flags", "budtender_app.services.shift_report",
    "budtender_app.viewmodels.shift_report", "budtender_app.ui.receipt.receipt_paint",
    "budtender_app.ui.common.printing", "PySide6.QtPrintSupport",
)

TO_FOCUS = """
import json, logging, os, sys
wanted = json.loads(sys.argv[1])
class AtFocus(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("focus "):
            macos = sys.modules.get("keyring.backends.macOS.api", "absent")
            print("LOADED " + json.dumps({"loaded": [m for m in wanted if sys.modules.get(m) is not None],
                                          "macos_api": "none" if macos is None else "other"}), flush=True)
            os._exit(0)
logging.getLogger().addHandler(AtFocus())
from budtender_app.cli import main
sys.argv = ["budtender-app", "--demo", "--debug"]
main()
"""


def _start(tmp_path: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    done = subprocess.run([sys.executable, "-c", TO_FOCUS, json.dumps(DEFERRED)], capture_output=True, text=True,
                          timeout=90, check=False, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stdout.splitlines() if line.startswith("LOADED ")]
    assert lines, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(lines[0].removeprefix("LOADED "))


def test_the_window_starts_without_the_screens_it_does_not_show_first(tmp_path):
    found = _start(tmp_path)
    assert found["loaded"] == [], "loaded at start though no first screen needs them"
    if sys.platform != "darwin":
        assert found["macos_api"] == "none", "keyring's macOS probe ran"


def test_the_modules_imported_before_pyside6_need_no_qt():
    code = "import sys; import budtender_app.before_qt; assert 'PySide6' not in sys.modules, 'PySide6 came early'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(sys.platform == "darwin", reason="the probe is skipped off macOS only")
def test_keyring_still_chooses_the_same_backend_without_its_macos_probe():
    code = ("import json, sys\n"
            "if sys.argv[1] == 'app':\n"
            "    import budtender_app.services.credentials\n"
            "import keyring\n"
            "print(type(keyring.get_keyring()).__module__)\n")
    chosen = {}
    for how in ("app", "plain"):
        done = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, timeout=60,
                              check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        chosen[how] = done.stdout.strip()
    assert chosen["app"] == chosen["plain"]
