"""How the terminal decides between training and a real store, and what it says about it."""

from __future__ import annotations

import argparse
import logging

import keyring
import keyring.core
import pytest

from budtender_app.services.credentials import Credentials, CredentialStore
from budtender_app.services.logs import RedactingFilter
from budtender_app.startup import choose_mode
from tests.helpers.memory_keyring import MemoryKeyring


def args(**kw):
    base = {"demo": False, "store": None, "base_url": None, "debug": False}
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "get_keyring", lambda: backend)
    return backend


def test_nothing_configured_means_training_with_the_reason(memory_keyring):
    mode = choose_mode(args())
    assert mode.training and "No store is set up" in mode.notice and "Settings (F12)" in mode.notice


def test_demo_flag_means_training_even_with_credentials(memory_keyring):
    CredentialStore(memory_keyring).save("default", Credentials("1234", "real-key-abcd"))
    assert choose_mode(args(demo=True)).training


def test_stored_credentials_mean_the_real_store(memory_keyring):
    CredentialStore(memory_keyring).save("north", Credentials("1234", "real-key-abcd"))
    mode = choose_mode(args(store="north", base_url="https://aiq.example.com"))
    assert not mode.training and mode.config.base_url == "https://aiq.example.com"
    assert mode.config.uid == "1234" and "real-key-abcd" not in repr(mode.config)
    assert "Store north" in mode.location


def test_no_usable_keyring_says_what_to_install_and_stays_in_training(monkeypatch):
    from keyring.backends import fail

    monkeypatch.setattr(keyring.core, "get_keyring", lambda: fail.Keyring())
    mode = choose_mode(args())
    assert mode.training and "training mode" in mode.notice
    assert "GNOME Keyring" in mode.notice or "Secret Service" in mode.notice


def test_logs_mask_phones_and_registered_secrets(tmp_path):
    redactor = RedactingFilter()
    redactor.add_secret("sk_live_abcdef123456")
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "key %s phone %s and (555) 123-4567", ("sk_live_abcdef123456", "5551234567"), None)
    redactor.filter(record)
    text = record.getMessage()
    assert "sk_live" not in text and "5551234567" not in text and "123-4567" not in text
    assert text.count("***4567") == 2


def profile_store(tmp_path, **kw):
    from budtender_app.domain.settings import StoreProfile
    from budtender_app.services.settings_store import SettingsStore

    store = SettingsStore(tmp_path / "settings.json")
    fields = {"name": "Main St", "store_id": "77", "uid": "1234", "brand": "Green Leaf"}
    fields.update(kw)
    store.save(store.load().with_profile(StoreProfile(**fields)))
    return store


def test_the_active_store_profile_is_used_with_its_key(memory_keyring, tmp_path):
    settings = profile_store(tmp_path, base_url="https://aiq.example.com", skip_pin=True)
    CredentialStore(memory_keyring).save("Main St", Credentials("1234", "real-key-abcd"))
    mode = choose_mode(args(), settings, CredentialStore(memory_keyring))
    assert not mode.training and mode.store == "Main St" and mode.skip_pin
    assert mode.config.base_url == "https://aiq.example.com" and mode.location.startswith("Store Main St")


def test_a_store_without_its_key_trains_and_says_which_store(memory_keyring, tmp_path):
    mode = choose_mode(args(), profile_store(tmp_path), CredentialStore(memory_keyring))
    assert mode.training and "Store Main St has no AIQ API key" in mode.notice


def test_a_plain_http_base_url_is_refused_for_a_real_host(memory_keyring):
    from budtender_app.startup import StartupError

    CredentialStore(memory_keyring).save("default", Credentials("1234", "real-key-abcd"))
    with pytest.raises(StartupError, match="https://"):
        choose_mode(args(base_url="http://lab.alpineiq.com"))
    assert not choose_mode(args(base_url="http://127.0.0.1:8765")).training


def test_an_unreadable_settings_file_says_so_instead_of_asking_for_a_set_up(memory_keyring):
    from budtender_app.services.settings_store import default_settings_path

    path = default_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"profiles": [', encoding="utf-8")  # cut short
    mode = choose_mode(args())
    assert mode.training and "No store is set up" not in mode.notice and "settings" in mode.notice.lower()
    assert path.read_text(encoding="utf-8") == '{"profiles": [', "never written over"


# -- training's own settings, manager PIN and keyring entries (build_services) ---------------

STORE_FORM = {"name": "Main St", "store_id": "77", "uid": "1234", "base_url": "https://lab.alpineiq.com",
              "brand": "Green Leaf", "country": "US", "skip_pin": False}


@pytest.fixture
def built(memory_keyring):
    """build_services as app.py calls it; every journal and client it opened is closed after."""
    import asyncio

    from budtender_app.app import build_services
    from budtender_app.domain.clock import Clock
    from budtender_app.services.paths import folders

    made = []

    def build(**kw):
        services = build_services(args(**kw), folders(), Clock.system(), RedactingFilter())
        made.append(services)
        return services

    yield build
    for services in made:
        services.close_journals()
        asyncio.run(services.http.aclose())


def real_store(memory_keyring, pin="135790"):
    """A real store set up on this computer: a profile, its key, a manager PIN."""
    from budtender_app.domain.settings import StoreProfile
    from budtender_app.services.manager_pin import ManagerPinGuard
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore

    store = SettingsStore(folders().settings)
    store.save(store.load().with_profile(StoreProfile(
        name="Main St", store_id="77", uid="1234", base_url="https://aiq.example.com", brand="Green Leaf")))
    ManagerPinGuard(store).set_pin(pin)
    CredentialStore(memory_keyring).save("Main St", Credentials("1234", "real-key-abcd"))
    return store


async def _no_test(profile, credentials):
    raise AssertionError("no connection test in these tests")


def test_f12_in_training_saves_to_training_settings_and_never_touches_the_real_store(built, memory_keyring):
    from budtender_app.services.credentials import SERVICE
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsStore
    from budtender_app.training_mode import TRAINING_KEYRING_SERVICE
    from budtender_app.viewmodels.settings import SettingsViewModel

    real = real_store(memory_keyring)
    before = real.path.read_bytes()
    services = built(demo=True)
    assert services.mode.training and services.settings.path == folders().settings_file(training=True)
    vm = SettingsViewModel(services.settings, services.profile_keys, _no_test)
    assert vm.profiles == (), "the real store's profiles are not shown in training"
    assert vm.save(STORE_FORM, "trainee-key-wxyz") is True
    assert real.path.read_bytes() == before, "the real settings file is byte for byte as it was"
    assert memory_keyring.entries[(SERVICE, "Main St:api-key")] == "real-key-abcd"
    assert memory_keyring.entries[(TRAINING_KEYRING_SERVICE, "Main St:api-key")] == "trainee-key-wxyz"
    [saved] = SettingsStore(folders().settings_file(training=True)).read().profiles
    assert saved.name == "Main St" and saved.base_url == "https://lab.alpineiq.com"


def test_a_manager_pin_set_in_training_does_not_unlock_the_real_settings(built, memory_keyring):
    from budtender_app.services.manager_pin import ManagerPinGuard

    real = real_store(memory_keyring, pin="135790")
    before = real.path.read_bytes()
    services = built(demo=True)
    assert not services.manager_pin.is_set(), "training does not read the real manager PIN"
    services.manager_pin.set_pin("246802")
    assert services.manager_pin.check("246802").ok
    assert real.path.read_bytes() == before
    real_guard = ManagerPinGuard(real)
    assert not real_guard.check("246802").ok and real_guard.check("135790").ok


@pytest.mark.logs_expected(r"The settings file .* could not be read")
def test_training_forced_by_an_unreadable_settings_file_keeps_manager_actions_refused(built, memory_keyring):
    """The start-up notice says manager actions are off: F12 must not open training's settings,
    where a manager would set the store up in a file the real terminal never reads."""
    from budtender_app.services.paths import folders
    from budtender_app.services.settings_store import SettingsUnreadable

    path = folders().settings
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"{not json")
    services = built()
    assert services.mode.training and services.settings.path == path
    with pytest.raises(SettingsUnreadable):
        services.settings.read()
    assert path.read_bytes() == b"{not json"


def test_a_real_store_uses_its_own_settings_and_keys(built, memory_keyring):
    from budtender_app.services.paths import folders

    real_store(memory_keyring)
    services = built()
    assert not services.mode.training and services.simulator is None
    assert services.settings.path == folders().settings
    assert services.profile_keys is services.credentials
    assert not folders().settings_file(training=True).exists()


def test_the_trainers_problems_exist_only_in_training(built, memory_keyring, qtbot):
    from PySide6.QtWidgets import QPushButton

    from budtender_app.app import build_window
    from budtender_app.viewmodels.training import TrainingViewModel

    real_store(memory_keyring)
    for training in (False, True):
        services = built(demo=training)
        window, _vm, pending = build_window(services)
        qtbot.addWidget(window)
        button = window.findChild(QPushButton, "practise_button")
        has_vm = window.findChild(TrainingViewModel) is not None
        assert (button is not None, has_vm, services.simulator is not None, pending.training) == (training,) * 4
        window.close_without_asking()
