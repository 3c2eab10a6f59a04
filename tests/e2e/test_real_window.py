"""The real app, as a separate process in a real X window, redeems by keyboard over real HTTP."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.e2e.xapp import AppProcess, xdotool

pytestmark = [pytest.mark.xvfb, pytest.mark.keyring, pytest.mark.timeout(120)]


def test_a_cashier_redeems_in_the_real_app_by_keyboard(display, store_with_credentials, tmp_path):
    sim = Simulator(pin_source=lambda: "2468")
    with SimulatorServer(sim) as server:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
               "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
        app = AppProcess(["--store", store_with_credentials, "--base-url", server.url], env)
        try:
            app.expect(r"in real mode")
            app.expect(r"focus cart_edit")
            title = subprocess.run(["xdotool", "search", "--name", "^Budtender"], env=env,
                                   capture_output=True, text=True, timeout=20)
            assert title.stdout.strip(), "a window titled Budtender… is on the screen"

            xdotool(display, "type", "--delay", "30", "42.00")
            xdotool(display, "key", "F2")
            app.expect(r"focus phone_edit")
            xdotool(display, "type", "--delay", "30", "(555) 123-4567")
            xdotool(display, "key", "Return")
            app.expect(r"step PIN")
            app.expect(r"focus pin_edit")
            assert sim.last_pin(DEMO_PHONE) == "2468"
            xdotool(display, "type", "--delay", "30", "2468")
            xdotool(display, "key", "Return")
            app.expect(r"step WALLET")
            app.expect(r"focus offer_list")
            xdotool(display, "key", "space")
            xdotool(display, "key", "Return")
            app.expect(r"step APPLY_IN_POS")
            assert not [r for r in sim.requests if r.method == "PUT"], "no PUT before checkout"

            xdotool(display, "key", "F9")
            app.expect(r"focus transaction_edit")
            xdotool(display, "type", "--delay", "30", "E2E-0001")
            xdotool(display, "key", "Return")
            app.expect(r"step DONE")

            puts = [r for r in sim.requests if r.method == "PUT"]
            assert len(puts) == 1 and puts[0].path.endswith("/E2E-0001") and puts[0].api_key_ok
            assert [(r.transaction_id, r.points) for r in sim.redemptions] == [("E2E-0001", 100)]
            assert sim.points_of(DEMO_PHONE) == 1400
        finally:
            code = app.stop()
        log_text = "\n".join(app.seen)
        assert code == 0, log_text[-2000:]
        assert_no_secrets(log_text, "the app's log output")
        written = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert any(p.name == "budtender.log" for p in written), "the log file is where IT looks"
        assert any(p.name.startswith("journal.sqlite3") for p in written)
        for path in written:
            assert_no_secrets(path.read_bytes().decode("latin-1"), str(path.relative_to(tmp_path)))


def assert_no_secrets(text: str, where: str) -> None:
    """The API key, the shopper's PIN and full phone number appear nowhere the app writes."""
    assert DEMO_API_KEY not in text, f"API key in {where}"
    for phone in (DEMO_PHONE, "555) 123-4567", "555-123-4567", "555.123.4567"):
        assert phone not in text, f"phone number in {where}"
    assert not re.search(r"(?<![0-9])2468(?![0-9])", text), f"PIN in {where}"


def test_real_mode_is_refused_without_a_usable_keyring(tmp_path):
    """No keyring: the app says what to install, trains instead, and stores nothing anywhere."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    app = AppProcess([], env)
    try:
        app.expect(r"in training mode")
        app.expect(r"window shown")
    finally:
        code = app.stop()
    assert code == 0
    said = "\n".join(app.seen)
    assert "no usable keyring" in said.lower() or "keyring" in said.lower()
    assert not list((tmp_path / "config").rglob("*.json")), "no settings written"
