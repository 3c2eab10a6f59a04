"""Shared test set-up: every async test runs on a qasync loop over the one QApplication."""

from __future__ import annotations

import asyncio
import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6  # noqa: F401  - import before qasync so it picks PySide6
import pytest
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop

pytest_plugins = ["tests.helpers.logfail", "tests.helpers.pg"]


def _qasync_loop() -> asyncio.AbstractEventLoop:
    # The last test's loop left Qt objects in reference cycles. Collect them here, on the GUI
    # thread: if Python's collector ran first on a server or pool thread, Qt would warn
    # "Timers cannot be stopped from another thread", or crash.
    gc.collect()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    return make_event_loop()


def pytest_asyncio_loop_factories(config, item):
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    """Each test gets its own config/data folders: nothing touches the real user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def journal(tmp_path):
    """A real journal in the test's folder (a test module may define its own, on its clock)."""
    from tests.helpers import make_journal

    with make_journal(tmp_path) as j:
        yield j


@pytest.fixture
def server():
    """The simulated AIQ over HTTP on 127.0.0.1, seeded with the demo shoppers."""
    from budtender_app.simulator.core import Simulator
    from budtender_app.simulator.server import SimulatorServer

    with SimulatorServer(Simulator()) as srv:
        yield srv
