"""Storage and keyring that fail on demand, for the fault tests."""

from __future__ import annotations

import sqlite3

from tests.helpers.memory_keyring import MemoryKeyring


class FullDisk(sqlite3.Connection):
    """Writes fail while the class's ``full`` is set (each test makes its own subclass)."""

    full = False

    def execute(self, sql, *args):
        if type(self).full and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "COMMIT")):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


class FailingKeyring(MemoryKeyring):
    """A real-looking keyring whose every call fails with the given error (a locked daemon...)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service, username, *password):
        raise self.error

    set_password = delete_password = get_password
