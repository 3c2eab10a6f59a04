"""Fixtures of the tests that run the real app as its own process: an X server and real credentials."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

from budtender_app.services.credentials import Credentials, CredentialStore, KeyringUnavailable
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from tests.e2e.xapp import Xvfb


@pytest.fixture
def display():
    """A private Xvfb display (":N"), stopped after the test."""
    missing = [tool for tool in ("Xvfb", "xdotool") if not shutil.which(tool)]
    if missing:
        if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
            pytest.fail(f"missing {missing}: run the tests with bash tests/run.sh")
        pytest.skip(f"missing {missing} (bash tests/run.sh installs them)")
    xvfb = Xvfb()
    yield xvfb.display
    xvfb.stop()


@pytest.fixture
def store_with_credentials():
    """The simulator's credentials, stored the real way: in the OS keyring. Yields the store name.

    The Secret Service by name: keyring picks the best backend among every KeyringBackend
    subclass it has seen, and other tests define in-memory ones the app process would not see.
    """
    from keyring.backends import SecretService

    store = CredentialStore(SecretService.Keyring())
    try:
        store.ensure_usable()
    except KeyringUnavailable as exc:
        if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
            pytest.fail(f"no real keyring: {exc}")
        pytest.skip("no real keyring here (bash tests/run.sh starts one)")
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    store.save(name, Credentials(DEMO_UID, DEMO_API_KEY))
    yield name
    store.clear(name)
