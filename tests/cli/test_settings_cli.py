"""IT at the command line: `settings check`, `settings reset` and `manager-pin reset`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budtender_app.cli import main
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.settings_store import SettingsStore

ROOT = Path(__file__).resolve().parents[2]
GARBAGE = b'{"version": 1, "manager_pin": \x00'


@pytest.fixture
def store():
    return SettingsStore()


def garble(store) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(GARBAGE)


def test_check_says_what_a_readable_file_holds(store, capsys):
    ManagerPinGuard(store).set_pin("4826")
    assert main(["settings", "check"]) == 0
    assert capsys.readouterr().out == f"{store.path} reads: no store; a manager PIN is set.\n"


def test_check_names_each_store_with_its_idle_time(store, capsys):
    from budtender_app.domain.settings import StoreProfile

    store.update(lambda s: s.with_profile(StoreProfile("Main St", "4411", "1234", brand="Leafy", idle_minutes=5)))
    assert main(["settings", "check"]) == 0
    assert "reads: Main St (locks after 5 min idle); no manager PIN yet." in capsys.readouterr().out


def test_check_and_manager_pin_reset_say_what_it_does_about_an_unreadable_file(store, capsys):
    garble(store)
    assert main(["settings", "check"]) == 1
    assert "IT: put back" in capsys.readouterr().err
    assert main(["manager-pin", "reset"]) == 1, "no PIN is 'forgotten' over a file that may hold one"
    out, err = capsys.readouterr()
    assert out == "" and "budtender-app settings reset" in err
    assert store.path.read_bytes() == GARBAGE


def test_reset_does_nothing_to_a_file_that_reads(store, capsys):
    ManagerPinGuard(store).set_pin("4826")
    assert main(["settings", "reset"]) == 1
    assert "nothing was reset" in capsys.readouterr().err and ManagerPinGuard(store).is_set()


def test_the_real_command_resets_an_unreadable_file_and_the_terminal_is_set_up_again(store):
    """As IT types it, in its own process (`python -m budtender_app` is the installed command's main)."""
    garble(store)
    done = subprocess.run([sys.executable, "-m", "budtender_app", "settings", "reset"], cwd=ROOT, env=os.environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [aside] = store.path.parent.glob("settings.json.unreadable-*")
    assert aside.read_bytes() == GARBAGE and str(aside) in done.stdout
    assert not store.path.exists()
    guard = ManagerPinGuard(store)
    assert not guard.is_set()
    guard.set_pin("4826")
    assert guard.check("4826").ok
