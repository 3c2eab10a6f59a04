"""Credentials in a real GNOME keyring over a D-Bus session, through the API and the CLI.

bash tests/run.sh starts that keyring. Under plain pytest with no Secret Service these tests are
skipped, unless BUDTENDER_REQUIRE_KEYRING=1 (tests/run.sh sets it): then they fail, so the run
that is meant to prove the real keyring path cannot pass by skipping it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import closing, suppress
from pathlib import Path

import pytest
import secretstorage

from budtender_app.services.credentials import Credentials, CredentialStore, KeyringUnavailable

pytestmark = pytest.mark.keyring

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KEY = "aiqTESTkey-" + uuid.uuid4().hex  # unique, so finding it in any output means a leak
XDG_VARS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


def _secret_service_problem() -> str | None:
    """Why the real keyring cannot be tested here, or None when it can."""
    try:
        with closing(secretstorage.dbus_init()) as bus:
            if not secretstorage.check_service_availability(bus):
                return "no Secret Service on the D-Bus session"
            # The default alias, without creating it: creating one would pop up a prompt.
            if secretstorage.Collection(bus).is_locked():
                return "the default keyring collection is locked"
    except secretstorage.exceptions.ItemNotFoundException:
        return "the Secret Service has no default collection (no unlocked login keyring)"
    except secretstorage.exceptions.SecretStorageException as exc:
        return f"no usable Secret Service ({type(exc).__name__}: {exc})"
    try:
        name = CredentialStore().backend_name
    except KeyringUnavailable as exc:
        return f"keyring cannot use the Secret Service: {exc.detail}"
    if name != "the Secret Service keyring":
        return f"keyring chose {name}, not the Secret Service"
    return None


@pytest.fixture
def secret_service() -> None:
    """Skip without a real Secret Service; fail instead when BUDTENDER_REQUIRE_KEYRING=1."""
    problem = _secret_service_problem()
    if problem is None:
        return
    hint = "run the tests with: bash tests/run.sh"
    if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
        pytest.fail(f"BUDTENDER_REQUIRE_KEYRING=1 but {problem}", pytrace=False)
    pytest.skip(f"real keyring not reachable: {problem} ({hint})")


def _unique_store() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def store_name(secret_service):
    """A store name no other test or person uses; its entries are removed afterwards."""
    # Needs the Secret Service first: cleaning up without one would make gnome-keyring ask, in a
    # window, to create a keyring.
    name = _unique_store()
    yield name
    with suppress(KeyringUnavailable):
        CredentialStore().clear(name)


def _items(store: str) -> dict[str, str]:
    """What the Secret Service itself holds for this store, as a keyring app would show it."""
    with closing(secretstorage.dbus_init()) as bus:
        found = secretstorage.search_items(bus, {"service": "budtender-app"})
        items = {item.get_attributes()["username"]: item for item in found}
        return {
            username: item.get_secret().decode()
            for username, item in items.items()
            if username.startswith(f"{store}:")
        }


def _cli(*argv: str, key: str = "", env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "budtender_app", "credentials", *argv],
        input=key,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=dict(os.environ) if env is None else env,
        timeout=30,
    )


def _files_under_xdg() -> list[Path]:
    return [p for var in XDG_VARS for p in Path(os.environ[var]).rglob("*") if p.is_file()]


def test_credentials_round_trip_through_the_real_keyring(store_name):
    store = CredentialStore()
    store.save(store_name, Credentials("1234", KEY))

    assert _items(store_name) == {f"{store_name}:uid": "1234", f"{store_name}:api-key": KEY}
    assert CredentialStore().load(store_name) == Credentials("1234", KEY)
    assert store.clear(store_name) is True
    assert _items(store_name) == {}
    assert store.load(store_name) is None
    assert store.clear(store_name) is False
    assert _files_under_xdg() == []


def test_cli_set_show_clear_with_the_real_keyring(store_name):
    saved = _cli("set", "--uid", "1234", "--store", store_name, key=f"  {KEY}\n")
    assert (saved.returncode, saved.stderr) == (0, "")
    assert saved.stdout == (
        f"Saved AIQ credentials for store '{store_name}' (UID 1234, key ****{KEY[-4:]}) "
        "in the Secret Service keyring.\n"
    )
    # Another process, the app, finds what IT saved.
    assert CredentialStore().load(store_name) == Credentials("1234", KEY)

    shown = _cli("show", "--store", store_name)
    assert shown.returncode == 0
    assert f"UID 1234, API key ****{KEY[-4:]}" in shown.stdout

    cleared = _cli("clear", "--store", store_name)
    assert cleared.returncode == 0 and "Removed the AIQ credentials" in cleared.stdout
    assert _items(store_name) == {}
    gone = _cli("show", "--store", store_name)
    assert gone.returncode == 1 and "No AIQ credentials are stored" in gone.stderr
    assert _cli("clear", "--store", store_name).returncode == 1

    for run in (saved, shown, cleared, gone):
        assert KEY not in run.stdout + run.stderr
    assert _files_under_xdg() == []


def test_cli_set_with_bad_input_exits_2_and_stores_nothing(store_name):
    run = _cli("set", "--uid", "1234", "--store", store_name, key=KEY[:6] + " " + KEY[6:])
    assert run.returncode == 2 and "inside it" in run.stderr and run.stdout == ""
    assert _items(store_name) == {}


def test_cli_without_a_real_keyring_exits_3_and_writes_no_file():
    # Needs no Secret Service: this is what a counter PC without one sees.
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    run = _cli("set", "--uid", "1234", "--store", _unique_store(), key=KEY, env=env)

    assert run.returncode == 3 and run.stdout == ""
    assert "GNOME Keyring" in run.stderr and "KWallet" in run.stderr
    assert "Nothing was saved anywhere else" in run.stderr
    assert KEY not in run.stderr
    assert _files_under_xdg() == []
