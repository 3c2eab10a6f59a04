"""Credentials in a keyring, with an in-memory keyring and keyring's own stand-ins for "none".

The real GNOME keyring is exercised in test_credentials_keyring.py.
"""

from __future__ import annotations

import io

import jeepney.wrappers
import keyring.core
import keyring.errors
import pytest
import secretstorage.exceptions
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from budtender_app.cli import build_parser
from budtender_app.cli.credentials import run_credentials
from budtender_app.services.credentials import (
    CredentialError,
    Credentials,
    CredentialStore,
    KeyringUnavailable,
    normalize_api_key,
)
from tests.helpers.faults import FailingKeyring
from tests.helpers.memory_keyring import MemoryKeyring

KEY = "s3cretKEY0123456789abcd"




class ForgetfulKeyring(MemoryKeyring):
    """Takes secrets and keeps none of them, without a word."""

    def set_password(self, service, username, password):
        pass


class LowPriorityKeyring(MemoryKeyring):
    priority = 0.5


class PlaintextKeyring(MemoryKeyring):
    """Named and placed like keyrings.alt's: a file of secrets, whatever its priority says."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


class FixedChain(chainer.ChainerBackend):
    """keyring's chain of backends, with its members given instead of discovered."""

    viable = False

    def __init__(self, members: list[KeyringBackend]) -> None:
        super().__init__()
        self.members = members

    @property
    def backends(self):
        return self.members


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


def _dbus_error(name: str, text: str) -> jeepney.wrappers.DBusErrorResponse:
    """The error jeepney raises when the Secret Service answers a call with a D-Bus error."""
    address = jeepney.wrappers.DBusAddress(
        "/org/freedesktop/secrets", bus_name="org.freedesktop.secrets",
        interface="org.freedesktop.Secret.Service",
    )
    call = jeepney.wrappers.new_method_call(address, "OpenSession")
    return jeepney.wrappers.DBusErrorResponse(jeepney.wrappers.new_error(call, name, "s", (text,)))


def _assert_manager_message(exc: KeyringUnavailable) -> None:
    text = str(exc)
    assert "no secure password store" in text
    assert "GNOME Keyring" in text and "KWallet" in text
    assert "Windows Credential Manager" in text and "macOS Keychain" in text
    assert "Nothing was saved anywhere else" in text


# --- Credentials and input checks --------------------------------------------------------------


def test_repr_and_str_never_show_the_key():
    credentials = Credentials("1234", KEY)
    assert repr(credentials) == "Credentials(uid='1234', api_key=***)"
    assert KEY not in str(credentials) and KEY not in f"{credentials!r} {[credentials]}"


def test_masked_key_shows_only_the_last_four_characters():
    assert Credentials("1234", KEY).masked_key == "****abcd"
    # Four of six characters would give most of a short key away.
    assert Credentials("1234", "abcdef").masked_key == "****"


def test_pasted_spaces_and_newlines_at_the_ends_are_trimmed():
    assert normalize_api_key("  \t" + KEY + "\r\n") == KEY
    assert Credentials(" 1234\n", KEY + "\n") == Credentials("1234", KEY)


@pytest.mark.parametrize(
    ("uid", "api_key", "says"),
    [
        ("", KEY, "UID is missing"),
        ("   ", KEY, "UID is missing"),
        ("12a4", KEY, "UID is a number"),
        ("١٢٣", KEY, "UID is a number"),  # Arabic-Indic digits: isdigit() but not an AIQ UID
        ("1234", "", "API key is empty"),
        ("1234", " \n ", "API key is empty"),
        ("1234", "s3cret KEY", "space, line break or invisible character inside"),
        ("1234", "s3cret\nKEY", "space, line break or invisible character inside"),
        ("1234", "s3cret\u200bKEY", "space, line break or invisible character inside"),
    ],
)
def test_bad_input_is_refused_with_a_message_for_a_person(uid, api_key, says):
    with pytest.raises(CredentialError, match=says) as caught:
        Credentials(uid, api_key)
    assert isinstance(caught.value, ValueError)
    if api_key.strip():
        assert api_key.strip() not in str(caught.value)


# --- CredentialStore with a working keyring ----------------------------------------------------


def test_saved_credentials_load_back_under_the_documented_entry_names(memory):
    store = CredentialStore(memory)
    store.save("downtown", Credentials("1234", KEY))
    assert store.load("downtown") == Credentials("1234", KEY)
    assert memory.entries == {
        ("budtender-app", "downtown:uid"): "1234",
        ("budtender-app", "downtown:api-key"): KEY,
    }


def test_each_store_has_its_own_credentials_and_save_replaces(memory):
    store = CredentialStore(memory)
    store.save("default", Credentials("1", KEY))
    store.save("uptown", Credentials("2", "other-key-9999"))
    store.save("default", Credentials("3", "newer-key-7777"))
    assert store.load() == Credentials("3", "newer-key-7777")
    assert store.load("uptown") == Credentials("2", "other-key-9999")


def test_nothing_or_half_a_set_stored_loads_as_none(memory):
    store = CredentialStore(memory)
    assert store.load("default") is None
    memory.set_password("budtender-app", "default:api-key", KEY)  # a save cut short
    assert store.load("default") is None


def test_clear_says_whether_anything_was_removed(memory):
    store = CredentialStore(memory)
    store.save("default", Credentials("1234", KEY))
    assert store.clear("default") is True
    assert store.load("default") is None and memory.entries == {}
    assert store.clear("default") is False


def test_damaged_entries_are_reported_without_the_key(memory):
    memory.set_password("budtender-app", "default:uid", "1234")
    memory.set_password("budtender-app", "default:api-key", "half a key")
    with pytest.raises(CredentialError, match="stored for store 'default' are damaged") as caught:
        CredentialStore(memory).load()
    assert "half a key" not in str(caught.value)


def test_an_empty_store_name_is_bad_input(memory):
    with pytest.raises(CredentialError, match="store name is empty"):
        CredentialStore(memory).load("  ")


def test_backend_name_is_what_a_person_knows_it_by(memory):
    class WinVaultKeyring(MemoryKeyring):
        pass

    WinVaultKeyring.__module__ = "keyring.backends.Windows"
    assert CredentialStore(WinVaultKeyring()).backend_name == "Windows Credential Manager"
    # A keyring it has no name for goes by keyring's own display name.
    assert CredentialStore(memory).backend_name == memory.name


# --- No usable keyring -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring(), LowPriorityKeyring(), PlaintextKeyring(), FixedChain([])],
    ids=["fail", "null", "priority-below-1", "plaintext-file", "empty-chain"],
)
def test_no_real_keyring_is_refused_with_the_managers_message(backend):
    store = CredentialStore(backend)
    with pytest.raises(KeyringUnavailable) as caught:
        store.ensure_usable()
    _assert_manager_message(caught.value)
    for call in (store.load, store.clear, lambda: store.save("default", Credentials("1", KEY))):
        with pytest.raises(KeyringUnavailable):
            call()


def test_a_chain_writes_only_to_its_real_keyring(memory):
    plaintext = PlaintextKeyring()
    store = CredentialStore(FixedChain([LowPriorityKeyring(), plaintext, memory]))
    store.save("default", Credentials("1234", KEY))
    assert memory.entries and not plaintext.entries
    assert store.load() == Credentials("1234", KEY)


def test_a_chain_with_no_real_keyring_is_refused():
    with pytest.raises(KeyringUnavailable, match="no usable member"):
        CredentialStore(FixedChain([null.Keyring(), PlaintextKeyring()])).ensure_usable()


@pytest.mark.parametrize(
    "error",
    [
        keyring.errors.KeyringLocked("Failed to unlock the collection!"),
        keyring.errors.InitError("Failed to create the collection: Prompt dismissed.."),
        keyring.errors.NoKeyringError("No recommended backend was available."),
        secretstorage.exceptions.SecretServiceNotAvailableException("no session bus"),
        _dbus_error("org.freedesktop.DBus.Error.ServiceUnknown", "The name is not activatable"),
        ConnectionResetError("bus went away"),
    ],
    ids=["locked", "no-collection", "no-keyring", "no-secret-service", "dbus-error", "bus-gone"],
)
def test_keyring_failures_on_first_use_become_keyring_unavailable(error):
    store = CredentialStore(FailingKeyring(error))
    store.ensure_usable()  # it looks fine until it is used
    for call in (store.load, store.clear, lambda: store.save("default", Credentials("1", KEY))):
        with pytest.raises(KeyringUnavailable) as caught:
            call()
        _assert_manager_message(caught.value)
        assert type(error).__name__ in caught.value.detail


def test_a_bug_is_not_disguised_as_a_missing_keyring():
    with pytest.raises(ZeroDivisionError):
        CredentialStore(FailingKeyring(ZeroDivisionError())).load()


def test_a_keyring_that_drops_secrets_is_never_reported_as_saved():
    with pytest.raises(KeyringUnavailable, match="did not keep the API key"):
        CredentialStore(ForgetfulKeyring()).save("default", Credentials("1234", KEY))


def test_a_default_keyring_that_cannot_load_is_unavailable(monkeypatch):
    def broken():
        raise RuntimeError("The Secret Service daemon is neither running nor activatable")

    monkeypatch.setattr(keyring.core, "get_keyring", broken)
    with pytest.raises(KeyringUnavailable, match="neither running"):
        CredentialStore().ensure_usable()


# --- The command line, in-process --------------------------------------------------------------


class FakeStdin(io.StringIO):
    def __init__(self, text: str = "", tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _cli(argv, backend, monkeypatch, stdin="") -> int:
    monkeypatch.setattr("sys.stdin", stdin if isinstance(stdin, FakeStdin) else FakeStdin(stdin))
    args = build_parser().parse_args(argv)
    return run_credentials(args, credential_store=CredentialStore(backend))


def test_cli_set_show_clear(memory, monkeypatch, capsys):
    assert _cli(["credentials", "set", "--uid", "1234"], memory, monkeypatch, f"  {KEY}\n") == 0
    out, err = capsys.readouterr()
    assert out == (
        f"Saved AIQ credentials for store 'default' (UID 1234, key ****abcd) in {memory.name}.\n"
    )
    assert _cli(["credentials", "show"], memory, monkeypatch) == 0
    out, err = capsys.readouterr()
    assert "UID 1234, API key ****abcd" in out and KEY not in out + err
    assert _cli(["credentials", "clear"], memory, monkeypatch) == 0
    assert "Removed the AIQ credentials for store 'default'" in capsys.readouterr().out
    assert _cli(["credentials", "show"], memory, monkeypatch) == 1
    assert "No AIQ credentials are stored for store 'default'" in capsys.readouterr().err
    assert _cli(["credentials", "clear"], memory, monkeypatch) == 1
    assert "nothing to clear" in capsys.readouterr().err


def test_cli_reads_the_key_from_a_hidden_prompt_at_a_terminal(memory, monkeypatch, capsys):
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or KEY)
    argv = ["credentials", "set", "--uid", "1234", "--store", "uptown"]
    assert _cli(argv, memory, monkeypatch, FakeStdin(tty=True)) == 0
    assert prompts == ["AIQ API key: "]
    assert CredentialStore(memory).load("uptown") == Credentials("1234", KEY)
    assert KEY not in "".join(capsys.readouterr())


def test_cli_takes_the_store_from_the_global_option_too(memory, monkeypatch, capsys):
    assert _cli(["--store", "uptown", "credentials", "set", "--uid", "7"], memory, monkeypatch, KEY) == 0
    assert CredentialStore(memory).load("uptown") == Credentials("7", KEY)
    assert "store 'uptown'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("uid", "key", "says"),
    [("abc", KEY, "UID is a number"), ("1234", "", "API key is empty"), ("1234", "a b", "inside it")],
)
def test_cli_bad_input_exits_2_and_saves_nothing(memory, monkeypatch, capsys, uid, key, says):
    assert _cli(["credentials", "set", "--uid", uid], memory, monkeypatch, key) == 2
    out, err = capsys.readouterr()
    assert says in err and out == ""
    assert memory.entries == {}


def test_cli_without_a_keyring_exits_3_before_asking_for_the_key(monkeypatch, capsys):
    stdin = FakeStdin(KEY)
    assert _cli(["credentials", "set", "--uid", "1234"], fail.Keyring(), monkeypatch, stdin) == 3
    out, err = capsys.readouterr()
    assert "GNOME Keyring" in err and "Nothing was saved anywhere else" in err and out == ""
    assert stdin.tell() == 0  # the key was never read


# --- One rule for store names: the command line's and the settings form's -----------------------

NAMES = ["a:b", "x" * 300, "Main\tSt", "Main St", "  Uptown  (2) ", "O'Hare & Co.", "caf\u00e9 #1", "a/b", "a" * 40]


@pytest.mark.parametrize("name", NAMES, ids=lambda n: repr(n[:12]))
def test_cli_set_takes_exactly_the_store_names_the_settings_form_takes(memory, monkeypatch, capsys, name):
    from budtender_app.domain.settings import validate_profile

    _, form_errors = validate_profile({"name": name})
    stdin = FakeStdin(KEY)
    code = _cli(["credentials", "set", "--uid", "1234", "--store", name], memory, monkeypatch, stdin)
    out, err = capsys.readouterr()
    if "name" in form_errors:
        assert code == 2 and out == "" and memory.entries == {}
        assert err == f"--store: {form_errors['name']} Nothing was saved.\n"
        assert stdin.tell() == 0, "no key is asked for a name that cannot be used"
    else:
        assert code == 0 and len(memory.entries) == 2
        stored = " ".join(name.split())  # as the form keeps it
        assert CredentialStore(memory).load(stored) == Credentials("1234", KEY)


def test_cli_set_for_a_store_profile_in_another_case_is_that_profile(memory, monkeypatch, capsys):
    """The form calls "main st" the same store as "Main St"; so does the CLI, and the app finds the key."""
    from budtender_app.domain.settings import StoreProfile
    from budtender_app.services.settings_store import Settings, SettingsStore

    SettingsStore().save(Settings().with_profile(StoreProfile("Main St", "4411", "1234", brand="Green Leaf")))
    assert _cli(["credentials", "set", "--uid", "1234", "--store", "main  st"], memory, monkeypatch, KEY) == 0
    assert "store 'Main St'" in capsys.readouterr().out
    assert CredentialStore(memory).load("Main St") == Credentials("1234", KEY)


def test_cli_can_still_clear_what_an_older_version_stored_under_a_bad_name(memory, monkeypatch, capsys):
    CredentialStore(memory).save("a:b", Credentials("1234", KEY))
    assert _cli(["credentials", "clear", "--store", "a:b"], memory, monkeypatch) == 0
    assert memory.entries == {}
