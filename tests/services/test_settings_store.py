"""The settings file: where it lives, what it holds, and what a damaged one does."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest

from budtender_app.domain.settings import StoreProfile, validate_profile
from budtender_app.services import settings_store
from budtender_app.services.settings_store import (
    ManagerPinRecord,
    PinLockout,
    Settings,
    SettingsStore,
    SettingsUnreadable,
    SettingsWriteError,
    default_settings_path,
)

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"WARNING budtender_app\.services\.settings_store: The settings file .* could not be read",
    r"WARNING budtender_app\.services\.settings_store: IT reset the unreadable settings file",
)

MAIN = StoreProfile("Main St", "4411", "1234", brand="Green Leaf")
AIRPORT = StoreProfile("Airport", "4412", "1234", base_url="http://127.0.0.1:8765", brand="Green Leaf",
                       country="CA", skip_pin=True)
PIN = ManagerPinRecord(salt="c2FsdA==", hash="aGFzaA==", n=2**14, r=8, p=1,
                       lockout=PinLockout(failures=2, locked_until=1000.5, level=1, last_lockout=970.5))


@pytest.fixture
def store(tmp_path):
    return SettingsStore()


def test_the_file_lives_in_the_users_config_folder(tmp_path):
    assert default_settings_path() == tmp_path / "config" / "budtender-app" / "settings.json"
    assert SettingsStore().path == default_settings_path()


def test_training_keeps_its_own_settings_file_beside_the_real_one(tmp_path):
    training = default_settings_path(training=True)
    assert training == tmp_path / "config" / "budtender-app" / "training-settings.json"
    SettingsStore(training).save(Settings().with_profile(StoreProfile(name="Practice", store_id="1", uid="1",
                                                                      brand="Training")))
    assert SettingsStore().load() == Settings() and not default_settings_path().exists()


def test_no_file_means_empty_settings_and_nothing_written(store):
    assert store.load() == Settings()
    assert not store.path.exists()


def test_what_is_saved_is_what_is_loaded(store):
    settings = Settings().with_profile(MAIN).with_profile(AIRPORT).with_active("airport").with_manager_pin(PIN)
    store.save(settings)
    again = SettingsStore(store.path).load()
    assert again == settings
    assert again.active == "Airport" and again.active_profile == AIRPORT


def test_the_file_is_versioned_json_a_person_can_read(store):
    store.save(Settings().with_profile(MAIN).with_manager_pin(PIN))
    data = json.loads(store.path.read_text("utf-8"))
    assert data["version"] == 1 and data["active"] == "Main St"
    assert data["profiles"] == [{"name": "Main St", "store_id": "4411", "uid": "1234",
                                 "base_url": "https://lab.alpineiq.com", "brand": "Green Leaf",
                                 "country": "US", "skip_pin": False, "signup_url": "", "wallet_url": "",
                                 "idle_minutes": 10, "transaction_pattern": "", "send_sales": False}]
    assert data["manager_pin"]["n"] == 2**14 and data["manager_pin"]["lockout"]["failures"] == 2


def test_a_file_from_before_transaction_id_shapes_reads_as_any_id(store):
    store.save(Settings().with_profile(MAIN))
    data = json.loads(store.path.read_text("utf-8"))
    del data["profiles"][0]["transaction_pattern"]
    store.path.write_text(json.dumps(data), "utf-8")
    assert SettingsStore(store.path).load().profile("Main St").transaction_pattern == ""


def test_a_file_from_before_the_sales_feed_sends_no_sales(store):
    store.save(Settings().with_profile(MAIN))
    data = json.loads(store.path.read_text("utf-8"))
    del data["profiles"][0]["send_sales"]
    store.path.write_text(json.dumps(data), "utf-8")
    assert SettingsStore(store.path).load().profile("Main St").send_sales is False


def test_a_store_transaction_id_shape_is_saved_in_its_canonical_words(store):
    fields = {**MAIN.as_fields(), "transaction_pattern": "  Starts with POS-   THEN 6 to 8 digits "}
    profile, errors = validate_profile(fields)
    assert not errors and profile is not None
    store.save(Settings().with_profile(profile))
    assert SettingsStore(store.path).load().profile("Main St").transaction_pattern == "starts with POS- then 6-8 digits"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_only_the_user_can_read_the_file(store):
    store.save(Settings().with_profile(MAIN))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.path.chmod(0o644)
    store.save(Settings().with_profile(AIRPORT))  # a rewrite makes it private again
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_save_leaves_no_temp_files_behind(store):
    for profile in (MAIN, AIRPORT):
        store.save(Settings().with_profile(profile))
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["settings.json", "settings.json.lock"]


def test_a_failed_write_keeps_the_old_file_whole(store, monkeypatch):
    store.save(Settings().with_profile(MAIN))
    before = store.path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_store.os, "fsync", full_disk)
    with pytest.raises(SettingsWriteError, match=r"No space left on device\. Nothing was changed"):
        store.save(Settings().with_profile(AIRPORT))
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["settings.json", "settings.json.lock"]


@pytest.mark.parametrize("content", [
    b"{not json",
    b"\xff\xfe garbage",
    b"[]",
    b'{"version": 2, "profiles": []}',
    b'{"version": 1, "profiles": [{"name": "", "store_id": "1", "uid": "1", "brand": "b", "country": "US"}]}',
    b'{"version": 1, "profiles": [{"name": "A", "store_id": "x", "uid": "1", "brand": "b", "country": "US"}]}',
    (b'{"version": 1, "profiles": [{"name": "A", "store_id": "1", "uid": "1", "brand": "b", "country": "US",'
     b' "skip_pin": "yes"}]}'),
    b'{"version": 1, "profiles": ["A"]}',
    b'{"version": 1, "profiles": [], "manager_pin": {"salt": "", "hash": "x", "n": 1, "r": 1, "p": 1}}',
    b'{"version": 1, "profiles": [], "manager_pin": {"salt": "a", "hash": "b", "n": "16384", "r": 8, "p": 1}}',
])
def test_a_damaged_file_is_kept_and_never_written_over(store, content, caplog):
    """It may hold the manager PIN and its lockout: starting empty would hand the PIN to anyone."""
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    with pytest.raises(SettingsUnreadable) as raised:
        store.read()
    assert "budtender-app settings reset" in str(raised.value) and str(store.path) in str(raised.value)
    with caplog.at_level(logging.WARNING, logger="budtender_app.services.settings_store"):
        assert store.load() == Settings()  # start-up still picks a mode
    [record] = caplog.records
    assert "could not be read" in record.getMessage()
    for write in (lambda: store.save(Settings().with_profile(MAIN)),
                  lambda: store.update(lambda s: s.with_manager_pin(PIN))):
        with pytest.raises(SettingsUnreadable):
            write()
    assert store.path.read_bytes() == content  # in place, untouched
    assert not list(store.path.parent.glob("settings.json.corrupt-*"))


def test_the_warning_about_a_damaged_file_does_not_quote_it(store, caplog):
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"version": 1, "profiles": [], "api_key": "sk_live_SECRET', "utf-8")
    with caplog.at_level(logging.DEBUG):
        store.load()
    assert "SECRET" not in caplog.text


def test_an_unknown_active_store_falls_back_to_the_first(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"version": 1, "active": "Gone", "profiles": [
        {"name": "Main St", "store_id": "4411", "uid": "1234", "brand": "Green Leaf", "country": "US"}]}))
    assert store.load().active == "Main St"


def test_the_first_store_added_is_the_active_one_and_stays_so():
    settings = Settings().with_profile(MAIN).with_profile(AIRPORT)
    assert settings.active == "Main St"
    assert settings.with_active("AIRPORT").active == "Airport"
    with pytest.raises(KeyError):
        settings.with_active("Nowhere")


def test_a_profile_is_replaced_by_name_whatever_its_case():
    renamed = StoreProfile("MAIN ST", "9", "9", brand="x")
    settings = Settings().with_profile(MAIN).with_profile(AIRPORT).with_profile(renamed)
    assert settings.profiles == (renamed, AIRPORT)
    assert settings.active == "MAIN ST"  # the active name follows


def test_removing_the_active_store_hands_over_to_the_next():
    settings = Settings().with_profile(MAIN).with_profile(AIRPORT)
    assert settings.without_profile("main st").active == "Airport"
    assert settings.without_profile("Main St").without_profile("Airport") == Settings()
    assert settings.without_profile("Airport").active == "Main St"


def test_no_key_pin_or_phone_can_reach_the_file(store):
    """Only the dataclasses' fields are written, and none of them is for a secret."""
    settings = Settings().with_profile(MAIN).with_manager_pin(PIN)
    store.save(settings)
    text = store.path.read_text("utf-8")
    for word in ("api_key", "apikey", "password", "phone", '"pin"'):
        assert word not in text.lower()


# -- every write starts from the file on disk -------------------------------------------------

def test_an_update_starts_from_the_file_not_from_a_copy_read_earlier(store):
    """Two writers in one app: the settings screen read the file before the PIN was chosen."""
    early = SettingsStore(store.path)
    early.read()
    SettingsStore(store.path).update(lambda s: s.with_manager_pin(PIN))
    after = early.update(lambda s: s.with_profile(MAIN))
    assert after.manager_pin == PIN and after.profiles == (MAIN,)
    assert store.read() == after


def test_a_change_that_raises_writes_nothing(store):
    store.save(Settings().with_profile(MAIN))
    before = store.path.read_bytes()

    def refuse(_settings):
        raise KeyError("gone")

    with pytest.raises(KeyError):
        store.update(refuse)
    assert store.path.read_bytes() == before
    store.update(lambda s: s.with_profile(AIRPORT))  # and the lock was let go
    assert store.read().names == ("Main St", "Airport")


HOLDER = """
import sys
from pathlib import Path
from budtender_app.domain.settings import StoreProfile
from budtender_app.services.settings_store import SettingsStore

def change(settings):
    print("holding", flush=True)
    sys.stdin.readline()  # the test lets go
    return settings.with_profile(StoreProfile("Airport", "4412", "1234", brand="Green Leaf"))

SettingsStore(Path(sys.argv[1])).update(change)
"""


def test_another_process_writing_holds_the_lock_and_nothing_is_clobbered(store):
    """The CLI and the app are two processes: the lock is the OS's, not a Python one."""
    import subprocess
    import sys
    from pathlib import Path

    store.save(Settings().with_profile(MAIN))
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(store.path)], cwd=root, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == "holding"  # it has read the file, lock held
        impatient = SettingsStore(store.path, lock_timeout=0)
        with pytest.raises(SettingsWriteError, match=r"locked by another program.*Nothing was changed"):
            impatient.update(lambda s: s.with_manager_pin(PIN))
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        child.wait()
    SettingsStore(store.path).update(lambda s: s.with_manager_pin(PIN))
    saved = store.read()
    assert saved.names == ("Main St", "Airport") and saved.manager_pin == PIN


# -- an unreadable file: kept, never written over, and IT's reset ------------------------------

def unreadable(store, kind: str) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "garbled":
        store.path.write_bytes(b'{"version": 1, "profiles": [], "manager_pin": {"salt"\x00\xff')
    elif kind == "folder":
        store.path.mkdir()
    elif kind == "no permission":
        store.path.write_text("{}", "utf-8")
        store.path.chmod(0)


KINDS = ["garbled", "folder", pytest.param("no permission", marks=pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root reads whatever the mode says"))]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unreadable_file_refuses_every_write_and_says_what_it_does(store, kind):
    unreadable(store, kind)
    with pytest.raises(SettingsUnreadable) as raised:
        store.update(lambda s: s.with_manager_pin(PIN))
    message = str(raised.value)
    assert "could not be read" in message and "manager actions are off" in message
    assert f"IT: put back {store.path} from a backup, or run `budtender-app settings reset`" in message
    assert store.load() == Settings()  # start-up carries on, in whatever mode it picks
    store.path.chmod(0o600) if kind == "no permission" else None
    assert store.path.exists() and not list(store.path.parent.glob("settings.json.*-*"))


@pytest.mark.parametrize("kind", ["garbled", "folder"])
def test_it_resets_an_unreadable_file_by_moving_it_aside(store, kind):
    from datetime import UTC, datetime

    unreadable(store, kind)
    when = datetime(2026, 3, 8, 10, 30, 5, tzinfo=UTC)
    aside = store.reset_unreadable(lambda: when)
    assert aside == store.path.with_name("settings.json.unreadable-20260308T103005Z") and aside.exists()
    assert not store.path.exists() and store.read() == Settings()
    store.update(lambda s: s.with_manager_pin(PIN))  # the terminal can be set up again
    assert store.read().manager_pin == PIN


def test_it_cannot_reset_a_file_that_reads(store):
    store.save(Settings().with_manager_pin(PIN))
    assert store.reset_unreadable() is None
    assert store.read().manager_pin == PIN


def test_a_file_the_os_will_not_let_us_read_is_unreadable_too(store, monkeypatch):
    """As root the mode bits do not stop a read, so the OS's refusal is played here."""
    from pathlib import Path

    store.save(Settings().with_manager_pin(PIN))

    def denied(self):
        raise PermissionError(13, "Permission denied")

    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(SettingsUnreadable, match=r"could not be read \(Permission denied\)"):
        store.update(lambda s: s.with_manager_pin(None))
    monkeypatch.setattr(Path, "read_bytes", real_read)
    assert store.read().manager_pin == PIN


# -- property: writers holding stale copies never undo each other's changes ----------------------

def test_interleaved_writers_never_lose_a_change(tmp_path_factory):
    """Several writers (each a store object that read the file at some point) take turns in any
    order: every PIN change and every profile change lands, exactly as a single writer would."""
    from hypothesis import given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    names = ("Main St", "Airport", "Uptown")
    step = st.tuples(st.integers(0, 2), st.sampled_from(["pin", "nopin", "add", "drop", "active"]),
                     st.sampled_from(names))

    @hsettings(max_examples=25, deadline=None)
    @given(st.lists(step, max_size=12))
    def run(steps):
        path = tmp_path_factory.mktemp("writers") / "settings.json"
        writers = [SettingsStore(path) for _ in range(3)]
        stale = [w.read() for w in writers]  # what each screen showed when it opened
        expected = Settings()
        for who, op, name in steps:
            change = _change(op, name)
            expected = change(expected)
            stale[who] = writers[who].update(change)
        assert SettingsStore(path).read() == expected

    run()


def _change(op: str, name: str):
    profile = StoreProfile(name, "1", "2", brand="b")

    def change(settings: Settings) -> Settings:
        if op == "pin":
            return settings.with_manager_pin(PIN)
        if op == "nopin":
            return settings.with_manager_pin(None)
        if op == "add":
            return settings.with_profile(profile)
        if op == "drop":
            return settings.without_profile(name)
        return settings.with_active(name) if settings.profile(name) else settings

    return change
