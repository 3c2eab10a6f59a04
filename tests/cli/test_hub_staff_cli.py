"""IT's hands on shared staff (issue 15), each command in its own process as IT types it: an
account made with `budtender-app staff add` on one till signs in at another register of the store
after their syncs, and `staff remove` there reaches the other; `hub staff-key` shows the key the
registers share. The real OS keyring holds the hub password and the staff key."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from budtender_app.domain.clock import Clock
from budtender_app.domain.staff import CheckStatus
from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.hub.config import HubConfig, connect
from budtender_app.services.hub.staff_sync import sync
from budtender_app.services.paths import folders
from budtender_app.services.staff import open_staff_store
from budtender_app.services.staff.lookup import keyring_lookup_key
from budtender_app.services.staff.store import StaffStore

pytestmark = [pytest.mark.hub, pytest.mark.keyring]
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 14, 3, tzinfo=UTC)


def app(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budtender_app", *args], cwd=ROOT, env=os.environ, input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def joined(hub_db):
    try:
        CredentialStore().ensure_usable()
    except KeyringUnavailable as exc:
        if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
            pytest.fail(f"BUDTENDER_REQUIRE_KEYRING=1 but {exc.detail}", pytrace=False)
        pytest.skip(f"real keyring not reachable: {exc.detail}")
    done = app("hub", "set", "--url", hub_db.url, stdin=hub_db.password + "\n")
    assert done.returncode == 0, done.stderr
    assert app("hub", "init").returncode == 0
    yield HubConfig(CredentialStore()).connect_args()
    app("hub", "leave")


def synced(args, store: StaffStore, terminal: str) -> None:
    with connect(args) as conn:
        sync(conn, "Main St", terminal, store, NOW)


def test_staff_add_on_one_till_signs_in_at_another_and_staff_remove_reaches_it(joined, tmp_path):
    assert app("staff", "add", "--name", "Ana", "--role", "manager", stdin="4826\n").returncode == 0
    added = app("staff", "add", "--name", "Sam", "--role", "cashier", stdin="7392\n")
    assert added.returncode == 0, added.stderr
    key = app("hub", "staff-key")
    assert key.returncode == 0 and bytes.fromhex(key.stdout.strip()) == keyring_lookup_key(CredentialStore())
    clock = Clock.fixed(NOW)
    with open_staff_store(folders(), clock=clock) as till, \
            StaffStore(tmp_path / "register2.sqlite3", clock=clock,
                       lookup_key=keyring_lookup_key(CredentialStore())) as register2:
        synced(joined, till, "till-1")
        synced(joined, register2, "register-2")
        assert register2.identify("7392").member.name == "Sam"
        removed = app("staff", "remove", "Sam")  # IT, on the till, in its own process
        assert removed.returncode == 0, removed.stderr
        synced(joined, till, "till-1")
        synced(joined, register2, "register-2")
        assert register2.identify("7392").status is CheckStatus.WRONG
    assert "7392" not in added.stdout + added.stderr + removed.stdout + removed.stderr
