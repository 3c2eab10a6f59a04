"""AIQ credentials (account UID + API key) in the OS keyring, and nowhere else.

One credential set per retail store, as AIQ hands them out. The keyring holds two entries per
store under the service "budtender-app": "<store>:uid" and "<store>:api-key"; and one per
redemption journal, "<name>:journal" (its id and audit-chain key, see
``services/journal/guard.py``). When no real keyring is usable this module says so
(KeyringUnavailable) instead of falling back to a file: a plaintext API key on a shared counter
PC is exactly what the keyring is there to prevent.
No message, log line or repr built here carries the API key.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# isort: split
from budtender_app.services import keyring_probe  # noqa: F401 - before keyring: its macOS probe

# isort: split
import keyring.core
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

log = logging.getLogger(__name__)

SERVICE = "budtender-app"
DEFAULT_STORE = "default"
_MASK = "****"
_WHERE_IN_AIQ = "the AIQ dashboard under Settings > API & Tracking"

# Libraries under keyring's Secret Service and KWallet backends. keyring lets some of their errors
# through (e.g. no session bus, daemon gone mid-call); for us they all mean "no usable keyring".
_DBUS_LIBRARIES = frozenset({"secretstorage", "jeepney", "dbus", "dbus_next"})

# keyrings.alt is keyring's home for the non-recommended backends (plaintext and encrypted files,
# the Windows registry, ...): none of them is a real OS keyring.
_FILE_BACKEND_PACKAGES = ("keyrings.alt",)

_FRIENDLY_BACKEND_NAMES = {
    "keyring.backends.SecretService": "the Secret Service keyring",
    "keyring.backends.libsecret": "the Secret Service keyring (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.macOS": "the macOS Keychain",
}


class CredentialError(ValueError):
    """A UID, API key or store name that cannot be right; the message tells a person why."""


class KeyringUnavailable(Exception):
    """No secure password store is usable on this computer. Nothing was saved anywhere else."""

    MESSAGE = (
        "This computer has no secure password store that the app can use, so the AIQ credentials "
        "cannot be saved or read. Nothing was saved anywhere else. "
        "On Linux, install a Secret Service such as GNOME Keyring (package gnome-keyring) or "
        "KWallet, and make sure it is running and unlocked (logging in to the desktop usually "
        "unlocks it). Windows Credential Manager and the macOS Keychain are built in."
    )

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        text = f"{self.MESSAGE}\n(Detail for IT: {detail})" if detail else self.MESSAGE
        super().__init__(text)


def normalize_uid(text: str) -> str:
    """The AIQ account UID without surrounding spaces; CredentialError unless it is all digits."""
    uid = text.strip()
    if not uid:
        raise CredentialError(f"The AIQ UID is missing. You find it in {_WHERE_IN_AIQ}.")
    if not (uid.isascii() and uid.isdigit()):
        raise CredentialError(
            f"The AIQ UID is a number (for example 1234). Copy it from {_WHERE_IN_AIQ}."
        )
    return uid


def normalize_api_key(text: str) -> str:
    """The pasted API key without spaces or line breaks at its ends.

    Raises CredentialError when it is empty or has a space, line break or invisible character
    inside: that is a bad paste, and guessing which part is the key would save a wrong one.
    """
    api_key = text.strip()
    if not api_key:
        raise CredentialError(f"The AIQ API key is empty. Paste it from {_WHERE_IN_AIQ}.")
    if any(ch.isspace() or not ch.isprintable() for ch in api_key):
        raise CredentialError(
            "The AIQ API key has a space, line break or invisible character inside it. "
            f"Copy it again, in one piece, from {_WHERE_IN_AIQ}."
        )
    return api_key


def normalize_store_name(text: str) -> str:
    """The store profile name without surrounding spaces; CredentialError when it is empty."""
    store = text.strip()
    if not store:
        raise CredentialError(
            f"The store name is empty. Give the store's name, or use {DEFAULT_STORE!r}."
        )
    return store


@dataclass(frozen=True, repr=False)
class Credentials:
    """One store's AIQ UID and API key, normalized and checked when built.

    repr() and str() hide the key, so a Credentials in a log line or a traceback gives nothing away.
    """

    uid: str
    api_key: str

    def __post_init__(self) -> None:
        # Frozen, so the normalized values go in through object.__setattr__ (dataclasses' idiom).
        object.__setattr__(self, "uid", normalize_uid(self.uid))
        object.__setattr__(self, "api_key", normalize_api_key(self.api_key))

    @property
    def masked_key(self) -> str:
        """The key as people may see it: its last 4 characters behind a mask ("****abcd")."""
        # The last 4 of a short key would give most of it away: show none of it then.
        if len(self.api_key) < 8:
            return _MASK
        return _MASK + self.api_key[-4:]

    def __repr__(self) -> str:
        return f"Credentials(uid={self.uid!r}, api_key=***)"

    __str__ = __repr__


class CredentialStore:
    """AIQ credentials per store, kept in the OS keyring only.

    backend: a keyring backend instance (tests); None means keyring's choice for this computer.
    Every method raises KeyringUnavailable when that backend is not a real, working OS keyring.
    """

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._backend = backend
        self._service = service

    @property
    def backend_name(self) -> str:
        """The keyring as a person knows it, e.g. "Windows Credential Manager"."""
        backend = self._usable_backend()
        module = type(backend).__module__
        return _FRIENDLY_BACKEND_NAMES.get(module, backend.name)

    def ensure_usable(self) -> None:
        """Raise KeyringUnavailable unless the keyring is a real OS keyring that is reachable now.

        A locked or vanished Secret Service can still fail on first real use: load, save and
        clear map that to KeyringUnavailable too.
        """
        self._usable_backend()

    def load(self, store: str = DEFAULT_STORE) -> Credentials | None:
        """The store's credentials, or None when none (or only half of them) are stored."""
        store = normalize_store_name(store)
        backend = self._usable_backend()
        with _keyring_failures():
            uid = backend.get_password(self._service, _username(store, "uid"))
            api_key = backend.get_password(self._service, _username(store, "api-key"))
        # Half a set is what an interrupted save leaves: as good as nothing, and set fixes it.
        if uid is None or api_key is None:
            return None
        try:
            return Credentials(uid, api_key)
        except CredentialError as exc:
            raise CredentialError(
                f"The credentials stored for store {store!r} are damaged: {exc}"
            ) from None

    def save(self, store: str, credentials: Credentials) -> None:
        """Put the store's credentials in the keyring, replacing any it had."""
        store = normalize_store_name(store)
        backend = self._usable_backend()
        key_name, uid_name = _username(store, "api-key"), _username(store, "uid")
        with _keyring_failures():
            # Key first: a save cut short leaves no UID, which load() reports as nothing stored.
            backend.set_password(self._service, key_name, credentials.api_key)
            backend.set_password(self._service, uid_name, credentials.uid)
            kept = backend.get_password(self._service, key_name) == credentials.api_key
        # Some backends take a secret and drop it without a word; never say "saved" then.
        if not kept:
            raise KeyringUnavailable(f"{backend.name} did not keep the API key it was given")
        log.info(
            "Saved AIQ credentials for store %r (UID %s) in %s", store, credentials.uid, backend.name
        )

    def clear(self, store: str = DEFAULT_STORE) -> bool:
        """Remove the store's credentials; True when there was something to remove."""
        store = normalize_store_name(store)
        backend = self._usable_backend()
        removed = False
        with _keyring_failures():
            for part in ("uid", "api-key"):
                removed |= _delete(backend, self._service, _username(store, part))
        if removed:
            log.info("Removed the AIQ credentials for store %r from %s", store, backend.name)
        return removed

    def app_secret(self, name: str, make: Callable[[], str]) -> str:
        """One of the app's own keys (not a store's: e.g. the consent record's hash key), kept in
        the keyring under "<name>", made with ``make`` the first time it is asked for.

        What the keyring holds after the write is what is returned: two processes creating it at
        once both get the one that stayed. Raises KeyringUnavailable like the other methods.
        """
        backend = self._usable_backend()
        with _keyring_failures():
            value = backend.get_password(self._service, name)
            if value is None:
                backend.set_password(self._service, name, make())
                value = backend.get_password(self._service, name)
        if value is None:  # a keyring that drops what it is given: no key is better than a new one each run
            raise KeyringUnavailable(f"{backend.name} did not keep the key {name!r} it was given")
        return value

    def app_key(self, name: str, size: int) -> bytes | None:
        """One of the app's own random keys of ``size`` bytes (``app_secret``, kept as hex), made on
        first use; None when what the keyring holds under ``name`` is not such a key (damaged: the
        caller says what IT does, and never replaces it, which would orphan what it keyed)."""
        text = self.app_secret(name, lambda: secrets.token_hex(size))
        try:
            key = bytes.fromhex(text)
        except ValueError:
            return None
        return key if len(key) == size else None

    def journal_seal(self, name: str, *, create: bool = False) -> tuple[str, bytes] | None:
        """The id and audit-chain key of the redemption journal ``name`` (named by
        ``services/journal/guard.py``), kept here so that someone with the journal file cannot re-seal it. None when
        none is stored; with ``create``, a new random one is saved first and returned."""
        backend = self._usable_backend()
        username = _username(name, "journal")
        with _keyring_failures():
            stored = backend.get_password(self._service, username)
            if stored is None and create:
                stored = f"{uuid.uuid4().hex}:{secrets.token_hex(32)}"
                backend.set_password(self._service, username, stored)
                if backend.get_password(self._service, username) != stored:
                    raise KeyringUnavailable(f"{backend.name} did not keep the journal key it was given")
        if stored is None:
            return None
        journal_id, _, key = stored.partition(":")
        return journal_id, bytes.fromhex(key)

    def forget_journal_seal(self, name: str) -> bool:
        """Remove journal ``name``'s id and key (IT accepted a fresh journal); True when removed."""
        backend = self._usable_backend()
        with _keyring_failures():
            return _delete(backend, self._service, _username(name, "journal"))

    def secret(self, name: str) -> str | None:
        """One of the app's own secrets stored under "<name>" (the store hub's password), or None."""
        backend = self._usable_backend()
        with _keyring_failures():
            return backend.get_password(self._service, name)

    def save_secret(self, name: str, value: str) -> None:
        """Keep ``value`` under "<name>", replacing what was there; never logged."""
        backend = self._usable_backend()
        with _keyring_failures():
            backend.set_password(self._service, name, value)
            kept = backend.get_password(self._service, name) == value
        if not kept:
            raise KeyringUnavailable(f"{backend.name} did not keep the secret {name!r} it was given")

    def forget_secret(self, name: str) -> bool:
        """Remove "<name>"; True when there was one."""
        backend = self._usable_backend()
        with _keyring_failures():
            return _delete(backend, self._service, name)

    def _usable_backend(self) -> KeyringBackend:
        backend = self._resolve()
        if isinstance(backend, chainer.ChainerBackend):
            return _usable_member(backend)
        reason = _unusable_reason(backend)
        if reason:
            raise KeyringUnavailable(reason)
        return backend

    def _resolve(self) -> KeyringBackend:
        if self._backend is not None:
            return self._backend
        try:
            return keyring.core.get_keyring()
        # A backend named in PYTHON_KEYRING_BACKEND or keyringrc.cfg that cannot load raises
        # ImportError, or RuntimeError from its priority check; either way there is no keyring.
        except (ImportError, RuntimeError, keyring.errors.KeyringError) as exc:
            raise KeyringUnavailable(f"{type(exc).__name__}: {exc}") from exc


def _username(store: str, part: str) -> str:
    return f"{store}:{part}"


def _delete(backend: KeyringBackend, service: str, username: str) -> bool:
    if backend.get_password(service, username) is None:
        return False
    try:
        backend.delete_password(service, username)
    except keyring.errors.PasswordDeleteError:
        # Gone between the look and the delete: nothing of ours is left either way.
        return False
    return True


def _usable_member(chain: chainer.ChainerBackend) -> KeyringBackend:
    # The chain reads from every member and writes to the first that takes it; use its best
    # real keyring directly so a file backend further down the chain never sees the key.
    members = list(chain.backends)
    for member in members:
        if _unusable_reason(member) is None:
            return member
    names = ", ".join(member.name for member in members) or "none"
    raise KeyringUnavailable(f"keyring's chain of backends has no usable member (members: {names})")


def _unusable_reason(backend: KeyringBackend) -> str | None:
    """Why this backend must not hold an API key, or None when it may."""
    cls = type(backend)
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return f"{backend.name} is keyring's stand-in for 'no keyring'"
    if _keeps_files(cls):
        return f"{backend.name} ({cls.__module__}) keeps secrets in files, not in an OS keyring"
    try:
        recommended = keyring.core.recommended(backend)
    # Backends say "not on this computer" by raising from priority (e.g. no Secret Service).
    except Exception as exc:  # noqa: BLE001 - any failure there means the same: unusable
        return f"{backend.name} is not available: {exc}"
    if not recommended:
        return f"{backend.name} has priority {backend.priority:g}; keyring recommends only 1 and up"
    return None


def _keeps_files(cls: type) -> bool:
    module = cls.__module__
    if "plaintext" in module.lower().split(".") or "plaintext" in cls.__name__.lower():
        return True
    return any(module == pkg or module.startswith(pkg + ".") for pkg in _FILE_BACKEND_PACKAGES)


def _is_keyring_failure(exc: Exception) -> bool:
    if isinstance(exc, (keyring.errors.KeyringError, ConnectionError)):
        return True
    return type(exc).__module__.partition(".")[0] in _DBUS_LIBRARIES


@contextmanager
def _keyring_failures() -> Iterator[None]:
    """Turn the keyring's and D-Bus's own errors into KeyringUnavailable; let bugs through."""
    try:
        yield
    except Exception as exc:
        if not _is_keyring_failure(exc):
            raise
        raise KeyringUnavailable(f"{type(exc).__name__}: {exc}") from exc
