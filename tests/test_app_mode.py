"""How the terminal decides between training and a real store, and what it says about it."""

from __future__ import annotations

import argparse
import logging

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend

from budtender_app.app import choose_mode
from budtender_app.services.credentials import CredentialStore, Credentials
from budtender_app.services.logs import RedactingFilter, setup_logging


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


def args(**kw):
    base = dict(demo=False, store=None, base_url=None, debug=False)
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "get_keyring", lambda: backend)
    return backend


def test_nothing_configured_means_training_with_the_reason(memory_keyring):
    mode = choose_mode(args())
    assert mode.training and "No AIQ credentials" in mode.notice


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
    assert text.count("***-***-4567") == 2
