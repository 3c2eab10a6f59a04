"""Finding whose passcode was typed without an scrypt per account: the keyed lookup tag.

Sign-in is by passcode alone, so the passcode has to be checked against every active account.
With only the per-account salted scrypt hash that is one scrypt (about 32 ms here) per account:
measured, 30 bare scrypts took 0.97 s on this 2-core machine: too slow for a sign-in at the counter
(and every add or reset, which must refuse a passcode another account has, pays the same).

So each account also keeps a lookup tag::

    tag = HMAC-SHA256(lookup key, scrypt(passcode, salt of this file))

- The lookup key is 32 random bytes in the OS keyring (``staff:lookup-key``), never in the file.
  With a copy of the file alone a tag checks nothing; the salted per-account hash is then the
  only way in, at one scrypt per guess per account. On a store hub (issue 15) it is the store's:
  IT carries it from register to register (``budtender-app hub staff-key [--set]``), and the
  file's salt becomes the store's, so a tag made at one register finds its account at every one
  (services/hub/staff_sync.py).
- The inner scrypt, under one salt for the whole file, keeps even someone who has both the file
  and the keyring at one scrypt per guess (for all accounts at once) instead of one HMAC.
- A sign-in costs one scrypt for the tag, an index lookup, and one scrypt to confirm against the
  account's own hash, whatever the number of accounts. Measured with 30 accounts (this 2-core
  machine, 2026-12-01): a right passcode 64 ms (median of 10; 61-66 ms), a wrong one about 32 ms;
  the same 30 accounts without tags took 942 ms. tests/services/test_staff_store.py holds it to
  two scrypts per sign-in and to a generous time.
- An account without a tag (the manager PIN carried over by the upgrade, whose digits nobody knows,
  or every account after the keyring lost the key: the file's ``key_id`` no longer matches) is
  checked by its scrypt hash, and tagged at its first right sign-in; so a lost key slows sign-in
  down until everyone has signed in once, it never locks anyone out.

Badges use the same tag, under their own label, in their own column.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import Enum

from budtender_app.services import slow_hash
from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.staff.schema import StaffStoreError

#: The key's entry in the OS keyring, under the app's keyring service.
LOOKUP_KEY_NAME = "staff:lookup-key"
KEY_BYTES = 32
#: Training's staff file uses a key everyone can read: its passcodes are printed on the banner.
TRAINING_LOOKUP_KEY = b"budtender training staff list: its passcodes are shown on the training banner"


class Secret(Enum):
    PASSCODE = b"passcode"
    BADGE = b"badge"


class Tagger:
    """Makes the lookup tags of one staff file (its salt) under one lookup key."""

    def __init__(self, key: bytes, salt: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a lookup key has at least 16 bytes")
        self._key = key
        self._salt = salt

    @property
    def key_id(self) -> str:
        """A name for the key (reveals nothing of it): tags made under another key are dropped."""
        return hmac.new(self._key, b"budtender staff lookup key id", hashlib.sha256).hexdigest()[:16]

    def tag(self, kind: Secret, secret: str) -> str:
        """The tag of ``secret`` (one scrypt: slow on purpose)."""
        stretched = slow_hash.scrypt(secret, self._salt + b"\x00" + kind.value)
        return hmac.new(self._key, kind.value + b"\x00" + stretched, hashlib.sha256).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def keyring_lookup_key(credentials: CredentialStore) -> bytes:
    """This computer's lookup key from the OS keyring, made on first use; StaffStoreError when
    the keyring cannot give it (a key that would be lost with the process must not tag anything)."""
    try:
        key = credentials.app_key(LOOKUP_KEY_NAME, KEY_BYTES)
    except KeyringUnavailable as exc:
        raise StaffStoreError("The staff sign-in key cannot be read from this computer's keyring, so nobody can "
                              f"sign in. Ask IT to check the keyring ({exc.detail}).") from None
    if key is None:
        raise StaffStoreError(f"The staff sign-in key in the keyring ({LOOKUP_KEY_NAME}) is damaged. Ask IT: restore "
                              "it from a backup of the keyring, or delete it (everyone then signs in once slowly).")
    return key
