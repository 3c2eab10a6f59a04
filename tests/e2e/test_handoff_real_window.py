"""Issue 14 end to end: the POS hands the sale to the running terminal in a real X window, and the
cashier redeems by keyboard without retyping the cart total or the transaction ID."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budtender_app.simulator.core import DEMO_PHONE, Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.e2e.xapp import AppProcess, xdotool

pytestmark = [pytest.mark.xvfb, pytest.mark.keyring, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]


def hand_off(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """What the POS (or the browser's budtender:// handler) runs: a second, short-lived process."""
    return subprocess.run([sys.executable, "-m", "budtender_app", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=False)


def test_a_handed_off_sale_is_redeemed_with_no_retyping(display, store_with_credentials, tmp_path):
    sim = Simulator(pin_source=lambda: "2468")
    with SimulatorServer(sim) as server:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
               "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
        app = AppProcess(["--store", store_with_credentials, "--base-url", server.url], env)
        try:
            app.expect(r"focus cart_edit")
            handed = hand_off(env, "budtender://sale?total=42.00&transaction=POS-77001&discount=POS-5OFF")
            assert handed.returncode == 0, handed.stderr
            assert "Cart total $42.00 filled in" in handed.stdout and "POS-77001" in handed.stdout
            assert not sim.requests, "a hand-off only fills in: nothing reaches AIQ"
            refused = hand_off(env, "sale", "--total", "abc")
            assert refused.returncode == 2 and not sim.requests

            xdotool(display, "key", "F2")  # no cart total typed: the POS gave it
            app.expect(r"focus phone_edit")
            xdotool(display, "type", "--delay", "30", "(555) 123-4567")
            xdotool(display, "key", "Return")
            app.expect(r"focus pin_edit")
            xdotool(display, "type", "--delay", "30", "2468")
            xdotool(display, "key", "Return")
            app.expect(r"step WALLET")
            app.expect(r"focus offer_list")
            xdotool(display, "key", "Return")  # POS-5OFF came preselected (Model B): apply it
            app.expect(r"step APPLY_IN_POS")
            second = hand_off(env, "sale", "--total", "10.00")
            assert second.returncode == 1 and "Finish or cancel the current sale first" in second.stderr
            assert not [r for r in sim.requests if r.method == "PUT"], "no PUT before checkout"

            xdotool(display, "key", "F9")
            app.expect(r"focus transaction_edit")
            assert not [r for r in sim.requests if r.method == "PUT"], "the prefilled ID still needs Enter"
            xdotool(display, "key", "Return")  # the handed-off transaction ID, confirmed, not retyped
            app.expect(r"step DONE")
        finally:
            code = app.stop()
    assert code == 0, "\n".join(app.seen)[-2000:]
    puts = [r for r in sim.requests if r.method == "PUT"]
    assert len(puts) == 1 and puts[0].path.endswith("/POS-77001")
    assert [(r.transaction_id, r.points) for r in sim.redemptions] == [("POS-77001", 100)]
    assert sim.points_of(DEMO_PHONE) == 1400
