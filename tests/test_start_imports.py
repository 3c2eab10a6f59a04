"""What the terminal's start does not import (BENCHMARK.md, "2026-12-02, perf12" and "after the hub
and feed merges"): the screens a first sale does not show load when first opened, the store hub's
modules (and psycopg) only on a terminal that joined one, and keyring skips its macOS probe off
macOS. Each start is a real one (offscreen) up to its first "focus" line: training's (``--demo``)
and a till's (a store profile whose AIQ is the simulator, its key in the OS keyring, a manager)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Loaded when first used: the shift report (a manager opens it), printing and the slip's drawing
#: (the warm-up loads the drawing once the window shows), keyring's macOS backend API; the
#: Redemptions window's "Import files" tab (its view model is made when the window is built, the
#: feeds' client at the first sale sent or file imported); the store hub's modules and psycopg
#: (only where a hub is joined, and then once the window shows).
DEFERRED = (
    "budtender_app.domain.shift_report", "budtender_app.domain.shifts", "budtender_app.domain.shift_text",
    "budtender_app.domain.shift_check", "budtender_app.domain.shift_flags", "budtender_app.services.shift_report",
    "budtender_app.viewmodels.shift_report", "budtender_app.ui.receipt.receipt_paint",
    "budtender_app.ui.common.printing", "PySide6.QtPrintSupport",
    "budtender_app.viewmodels.feed_import", "budtender_app.services.feeds.importer",
    "budtender_app.services.feeds.mappings", "budtender_app.services.feeds.client", "budtender_app.domain.feed_import",
    "budtender_app.ui.manager.feed_import_tab", "budtender_app.services.hub", "budtender_app.services.hub.config",
    "psycopg",
)
#: A till's start, too: the simulator (training's AIQ), whose demo key and UID it only compares with.
TILL_DEFERRED = (*DEFERRED, "budtender_app.simulator.core", "budtender_app.simulator.routes")

TO_FOCUS = """
import json, logging, os, sys
wanted = json.loads(sys.argv[1])
class AtFocus(logging.Handler):
    real = False
    def emit(self, record):
        AtFocus.real = AtFocus.real or " in real mode" in record.getMessage()
        if record.getMessage().startswith("focus "):
            macos = sys.modules.get("keyring.backends.macOS.api", "absent")
            print("LOADED " + json.dumps({"loaded": [m for m in wanted if sys.modules.get(m) is not None],
                                          "macos_api": "none" if macos is None else "other",
                                          "real": AtFocus.real}), flush=True)
            os._exit(0)
logging.getLogger().addHandler(AtFocus())
from budtender_app.cli import main
sys.argv = ["budtender-app", *sys.argv[2:]]
main()
"""

#: A till, set up as a manager and IT would: the store's profile (its AIQ at argv[2]), its key in
#: the OS keyring, a manager's account (so the sign-in shows, as each morning).
TILL = """
import sys
from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.settings import validate_profile
from budtender_app.domain.staff import Actor, Role
from budtender_app.services.credentials import Credentials, CredentialStore
from budtender_app.services.paths import folders
from budtender_app.services.settings_model import Settings
from budtender_app.services.settings_store import SettingsStore
from budtender_app.services.staff import open_staff_store
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
name, url = sys.argv[1:3]
profile, wrong = validate_profile({"name": name, "store_id": "1", "uid": DEMO_UID, "base_url": url,
                                   "brand": "Green Leaf", "country": "US"})
assert profile is not None, wrong
SettingsStore().save(Settings().with_profile(profile))
CredentialStore().save(name, Credentials(DEMO_UID, DEMO_API_KEY))
open_staff_store(folders(), clock=SYSTEM_CLOCK).add("Morning Manager", Role.MANAGER, "482916",
                                                    by=Actor.first_start_setup())
"""


def _environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    return env


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None, wanted: tuple[str, ...] = DEFERRED) -> dict:
    done = subprocess.run([sys.executable, "-c", TO_FOCUS, json.dumps(wanted), *(args or ("--demo", "--debug"))],
                          capture_output=True, text=True, timeout=90, check=False, env=env or _environment(tmp_path),
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stdout.splitlines() if line.startswith("LOADED ")]
    assert lines, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(lines[0].removeprefix("LOADED "))


def test_the_window_starts_without_the_screens_it_does_not_show_first(tmp_path):
    found = _start(tmp_path)
    assert not found["real"], "training, as --demo asks"
    assert found["loaded"] == [], "loaded at start though no first screen needs them"
    if sys.platform != "darwin":
        assert found["macos_api"] == "none", "keyring's macOS probe ran"


@pytest.mark.keyring
def test_a_till_with_no_hub_starts_without_the_hub_or_the_screens_it_does_not_show_first(tmp_path):
    from budtender_app.simulator.server import SimulatorServer

    env = _environment(tmp_path)
    with SimulatorServer() as server:
        subprocess.run([sys.executable, "-c", TILL, f"till-{uuid.uuid4().hex[:8]}", server.url], check=True,
                       timeout=60, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)
        found = _start(tmp_path, "--debug", env=env, wanted=TILL_DEFERRED)
    assert found["real"], "the till started for its store, not in training"
    assert found["loaded"] == [], "loaded at a till's start though no first screen needs them"


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
