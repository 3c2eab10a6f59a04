"""A keyring in a dict, for unit tests (the real GNOME keyring is what the keyring-marked tests use)."""

from __future__ import annotations

import keyring.errors
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict, ranked like a real one (priority 1)."""

    priority = 1
    # Not viable for discovery: keyring registers every backend class it sees, and this one must
    # never be picked by keyring.get_keyring() in the tests that use the real keyring.
    viable = False

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("No such password!")
