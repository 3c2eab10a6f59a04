"""`budtender-app hub staff-key [--set]` (issue 15): IT carries the store's staff sign-in key from
one register to the next; a bad key is refused with nothing saved; the key is never in a file."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.cli import build_parser
from budtender_app.cli.hub import run_hub
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.staff.lookup import LOOKUP_KEY_NAME, keyring_lookup_key
from tests.helpers.memory_keyring import MemoryKeyring


def staff_key(keys: CredentialStore, *words: str, stdin: str = "") -> int:
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return run_hub(build_parser().parse_args(["hub", "staff-key", *words]), keys=keys)
    finally:
        sys.stdin = old


def test_the_key_shown_at_register_1_set_at_register_2_makes_them_one_store(capsys, tmp_path):
    one, two = CredentialStore(MemoryKeyring()), CredentialStore(MemoryKeyring())
    assert staff_key(one) == 0
    shown = capsys.readouterr()
    key = shown.out.strip()
    assert len(key) == 64 and "pipe it" in shown.err and key not in shown.err
    assert staff_key(two, "--set", stdin=key.upper() + "\n") == 0
    assert "Restart the app" in capsys.readouterr().out
    assert keyring_lookup_key(one) == keyring_lookup_key(two) == bytes.fromhex(key)
    assert not any(key in p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())


@pytest.mark.parametrize("text", ["", "abc", "z" * 64, "0" * 63, "0" * 65, "0" * 32 + " " + "0" * 31])
def test_a_key_that_is_not_64_hex_digits_is_refused_and_nothing_saved(capsys, text):
    keys = CredentialStore(MemoryKeyring())
    assert staff_key(keys, "--set", stdin=text + "\n") == 2
    err = capsys.readouterr().err
    assert "64 hex digits" in err and "Nothing was saved" in err
    assert keys.secret(LOOKUP_KEY_NAME) is None


@given(st.text(max_size=80))
def test_any_typed_line_is_taken_only_when_it_is_a_key(text):
    keys = CredentialStore(MemoryKeyring())
    line = text.replace("\n", "").replace("\r", "")
    code = staff_key(keys, "--set", stdin=line + "\n")
    clean = line.strip().lower()
    is_key = len(clean) == 64 and all(c in "0123456789abcdef" for c in clean)
    assert code == (0 if is_key else 2)
    assert (keys.secret(LOOKUP_KEY_NAME) == clean) if is_key else keys.secret(LOOKUP_KEY_NAME) is None
