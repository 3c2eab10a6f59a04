"""`--self-test`, which IT runs on a till and CI runs on the built app, run here from source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "packaging" / "entry.py"


def self_test(tmp_path: Path, *args: str, drop_session_bus: bool = False,
              command: tuple[str, ...] = (str(ENTRY),)) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    if drop_session_bus:
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("PYTHON_KEYRING_BACKEND", None)
    return subprocess.run([sys.executable, *command, "--self-test", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=90)


def test_the_self_test_redeems_a_demo_discount_and_passes(tmp_path):
    strict = os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1"  # tests/run.sh: a real keyring is up
    run = self_test(tmp_path, *(["--require-keyring"] if strict else []))
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Budtender ") and "from source" in lines[0]
    assert any(line.startswith("ok    icon: 256x256") for line in lines)
    assert any(line.startswith("ok    demo redemption: '") and "redeemed for" in line for line in lines)
    if strict:
        assert any(line.startswith("ok    keyring: the Secret Service keyring, a real OS keyring") for line in lines)
    assert lines[-1] == "self-test PASSED"
    assert not list(tmp_path.rglob("*.sqlite3")), "the self-test leaves no journal in the app's folders"


def test_without_a_keyring_the_strict_self_test_fails_and_says_why(tmp_path):
    run = self_test(tmp_path, "--require-keyring", drop_session_bus=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAIL  keyring: no real keyring usable" in run.stdout
    assert run.stdout.splitlines()[-1] == "self-test FAILED: keyring"


def test_the_installed_command_line_runs_the_same_self_test(tmp_path):
    """`budtender-app --self-test` from a pip install, as README tells IT to run it."""
    strict = os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1"
    run = self_test(tmp_path, *(["--require-keyring"] if strict else []), command=("-m", "budtender_app"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert any(line.startswith("ok    demo redemption: '") for line in run.stdout.splitlines())
    assert run.stdout.splitlines()[-1] == "self-test PASSED"
