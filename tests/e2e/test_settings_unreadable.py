"""The real app over an unreadable settings.json: the counter goes on, manager actions are refused,
and the file (with the manager PIN and its lockout in it) is left exactly as it was."""

from __future__ import annotations

import json

import pytest

from budtender_app.simulator.core import Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.e2e.xapp import AppProcess, app_env, type_text, xdotool

pytestmark = [pytest.mark.xvfb, pytest.mark.keyring, pytest.mark.timeout(120)]

LOCKED = {"version": 1, "active": None, "profiles": [], "manager_pin": {
    "salt": "c2FsdA==", "hash": "aGFzaA==", "n": 16384, "r": 8, "p": 1,
    "lockout": {"failures": 0, "locked_until": 4102444800.0, "level": 4, "last_lockout": 4102441200.0}}}


@pytest.mark.parametrize("kind", ["cut short", "a folder"])
def test_f11_and_f12_are_refused_and_the_file_survives_while_the_counter_redeems_on(
        display, store_with_credentials, tmp_path, kind):
    settings = tmp_path / "config" / "budtender-app" / "settings.json"
    settings.parent.mkdir(parents=True)
    if kind == "a folder":
        settings.mkdir()
    else:
        settings.write_bytes(json.dumps(LOCKED).encode()[:150])  # a PIN, locked: cut off mid-write by hand
    before = None if kind == "a folder" else settings.read_bytes()
    with SimulatorServer(Simulator(pin_source=lambda: "2468")) as server:
        app = AppProcess(["--store", store_with_credentials, "--base-url", server.url], app_env(display, tmp_path))
        try:
            app.expect(r"focus cart_edit")
            for key in ("F12", "F11"):
                xdotool(display, "key", key)
                app.expect(r"Manager action refused: the settings file could not be read")
                app.expect(r"focus manager_pin_cancel_button")  # no PIN field to type into
                xdotool(display, "key", "Escape")
                app.expect(r"focus cart_edit")
            type_text(display, "42.00")
            xdotool(display, "key", "F2")
            app.expect(r"focus phone_edit")  # the counter is not held up by the settings
        finally:
            code = app.stop()
    assert code == 0
    said = "\n".join(app.seen)
    assert "Traceback" not in said and "A manager PIN was chosen" not in said
    assert settings.is_dir() if before is None else settings.read_bytes() == before
    left = sorted(p.name for p in settings.parent.iterdir())
    assert left in (["settings.json"], ["settings.json", "settings.json.lock"])
