"""The local consent record: which consent text each shopper signed up under, when and where.

Its own SQLite file (``consents.sqlite3`` in the app's data folder), append-only: triggers refuse
any UPDATE or DELETE. Two tables of facts, both written at the counter:

- ``consents``: written *before* the sign-up is sent, so nothing leaves for AIQ without a record
  that the shopper agreed. Which text (its SHA-256; the text itself sits once in
  ``consent_texts``), its language and country, the brand, store, terminal, time (UTC), the
  opt-ins, and whether an email was given (never the email).
- ``sign_ups``: AIQ's contactID once AIQ created the member (or said it already had one).

The phone is kept only as an HMAC-SHA256 of its ten digits under a key that lives in the OS
keyring (``consent-record:hmac-key`` under the app's keyring service), never in the file: with
the phone in hand and this computer's keyring, "did this phone consent, and when?" has an
answer; with a copy of the file alone, no phone can be guessed (a hash whose salt sits beside
it can: ten digits, fewer once the area code is known). Not even the last four digits are kept:
with them and the store's area code only 1,000 phones are left to try against a leaked key.
Each row names its key (``key_id``), so rows written under a lost or throwaway key show as such.

Schema 1 kept the last four digits and a salted scrypt hash with its salt. Those cannot be
re-keyed without the phone, so opening a schema-1 file drops them (and the salt), then vacuums
the file so the old bytes are gone: the old rows keep what they prove without the phone (the
text, time, store, terminal, opt-ins and AIQ's contactID) and can no longer be found by phone.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.consent import (
    CONSENT_LANGUAGE,
    CounterInfo,
    consent_hash,
    key_id,
    phone_hmac,
)
from budtender_app.domain.phone import Phone
from budtender_app.services.credentials import (
    SERVICE,
    CredentialStore,
    KeyringUnavailable,
)
from budtender_app.services.paths import folders

SCHEMA_VERSION = 3
#: The key's entry in the OS keyring, under the app's service (credentials.SERVICE).
CONSENT_KEY_NAME = "consent-record:hmac-key"
KEY_BYTES = 32

_CONSENTS = """
CREATE TABLE {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    consent_hash TEXT NOT NULL REFERENCES consent_texts(hash),
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    brand TEXT NOT NULL,
    store TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal TEXT NOT NULL,
    phone_hmac TEXT,  -- NULL: recorded under schema 1, whose brute-forceable phone fields were dropped
    key_id TEXT,
    sms_opt_in INTEGER NOT NULL,
    email_opt_in INTEGER NOT NULL,
    email_given INTEGER NOT NULL
);
"""
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE consent_texts (
    hash TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    text TEXT NOT NULL
);
""" + _CONSENTS.format(name="consents") + """
CREATE INDEX consents_by_phone ON consents(phone_hmac);
CREATE TABLE sign_ups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consent_id INTEGER NOT NULL REFERENCES consents(id),
    recorded_at TEXT NOT NULL,
    contact_id TEXT NOT NULL
);
"""
_HOW = ("INSERT INTO meta(key, value) VALUES ('phone_hmac', 'HMAC-SHA256 of the ten digits; the key is in the "
        f"OS keyring only ({SERVICE} / {CONSENT_KEY_NAME}); key_id names it')")
_TABLES = ("meta", "consent_texts", "consents", "sign_ups")
_APPEND_ONLY = "".join(
    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'the consent record is append-only'); END;\n"
    for table in _TABLES for verb in ("UPDATE", "DELETE")
)
#: Schema 1 to 2: every column but the phone's, which no key can be put on without the phone.
_KEPT = ("id, recorded_at, consent_hash, language, country, brand, store, store_id, terminal, "
         "sms_opt_in, email_opt_in, email_given")
_UPGRADE_FROM_1 = "".join(
    f"DROP TRIGGER IF EXISTS {table}_no_{verb.lower()};\n" for table in _TABLES for verb in ("UPDATE", "DELETE")
) + _CONSENTS.format(name="consents_v2") + f"""
INSERT INTO consents_v2 ({_KEPT}) SELECT {_KEPT} FROM consents;
DROP TABLE consents;
ALTER TABLE consents_v2 RENAME TO consents;
CREATE INDEX consents_by_phone ON consents(phone_hmac);
DELETE FROM meta WHERE key = 'salt';
INSERT INTO meta(key, value) SELECT 'schema 1 rows kept without their phone', COUNT(*) FROM consents;
"""
_SCHEMA += _HOW + ";\n"
_UPGRADE_FROM_1 += _HOW + ";\n"
#: Schema 3 (issue 13): who took the consent at the counter, as text (a removed account keeps its
#: name here). Rows from before say nobody ("" and "").
_ADD_STAFF = """
ALTER TABLE consents ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN staff_name TEXT NOT NULL DEFAULT '';
"""


class ConsentLogError(Exception):
    """The consent record could not be read or written; the message is for the cashier."""


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One consent as recorded, with AIQ's contactID once the sign-up went through ("" before).

    ``key_id`` names the key its phone was hashed under ("" for a schema-1 row kept without it).
    """

    id: int
    recorded_at: datetime
    consent_hash: str
    language: str
    country: str
    brand: str
    store: str
    store_id: str
    terminal: str
    key_id: str
    sms_opt_in: bool
    email_opt_in: bool
    email_given: bool
    contact_id: str
    staff_id: str = ""  # who took the consent (schema 3; "" for rows recorded before)
    staff_name: str = ""


def default_consent_path() -> Path:
    """Where the consent record lives: the user's data folder for this app."""
    return folders().consents()


def consent_key(credentials: CredentialStore) -> bytes:
    """This computer's consent key from the OS keyring, made (32 random bytes) on first use.

    Raises ConsentLogError when the keyring cannot give it: sign-ups wait, nothing is hashed
    under a key that would be lost. A damaged key is never replaced: that would orphan every row.
    """
    try:
        key = credentials.app_key(CONSENT_KEY_NAME, KEY_BYTES)
    except KeyringUnavailable as exc:
        raise ConsentLogError("The consent record's key cannot be read from this computer's keyring, so "
                              f"sign-ups cannot be recorded. Ask IT to check the keyring ({exc.detail}).") from None
    if key is None:
        raise ConsentLogError(f"The consent record's key in the keyring ({CONSENT_KEY_NAME}) is damaged. "
                              "Ask IT: restore it from a backup of the keyring; do not delete it.")
    return key


class ConsentLog:
    """The append-only consent record of one computer. Thread-safe (one lock, one connection).

    ``key`` is the HMAC key for phones (``consent_key``). None makes a throwaway key for this
    session only, for training and tests: its consents cannot be looked up by phone later.
    """

    def __init__(self, path: str | os.PathLike, *, key: bytes | None = None,
                 clock: Callable[[], datetime] = SYSTEM_CLOCK) -> None:
        self.path = Path(path)
        self._key = key if key is not None else secrets.token_bytes(KEY_BYTES)
        if len(self._key) < 16:
            raise ValueError("a consent key has at least 16 bytes")
        self.key_id = key_id(self._key)
        self._clock = clock
        self._mutex = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only, like the journal: hashes and opt-ins are still personal data.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")  # a consent must survive a power cut
            self._conn.execute("PRAGMA secure_delete=ON")  # what the upgrade drops is overwritten
            self._migrate()
            self._conn.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise ConsentLogError(f"The consent record at {self.path} cannot be opened ({exc}).") from None

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    # -- writing -------------------------------------------------------------------------------

    def record_consent(self, text: str, *, where: CounterInfo, phone: Phone, sms_opt_in: bool,
                       email_opt_in: bool, email_given: bool, staff: Actor) -> int:
        """Write down that the shopper agreed to ``text`` (the exact text shown); its row id.

        Call it before sending the sign-up. Raises ConsentLogError when it cannot be written.
        """
        digest = consent_hash(text)
        country = where.country.upper()
        language = CONSENT_LANGUAGE.get(country, "en")
        row = (self._now(), digest, language, country, where.brand, where.store, where.store_id,
               where.terminal, self.phone_hmac(phone), self.key_id, int(sms_opt_in), int(email_opt_in),
               int(email_given), staff.staff_id, staff.name)
        try:
            with self._mutex, self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute(
                    "INSERT OR IGNORE INTO consent_texts(hash, language, country, text) VALUES (?, ?, ?, ?)",
                    (digest, language, country, text))
                cursor = self._conn.execute(
                    "INSERT INTO consents(recorded_at, consent_hash, language, country, brand, store, store_id, "
                    "terminal, phone_hmac, key_id, sms_opt_in, email_opt_in, email_given, staff_id, staff_name) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                assert cursor.lastrowid is not None  # an INSERT just ran
                return cursor.lastrowid
        except sqlite3.Error as exc:
            raise ConsentLogError(f"The consent could not be written down ({exc}).") from None

    def record_sign_up(self, consent_id: int, contact_id: str) -> None:
        """AIQ created (or already had) the member: keep its contactID next to the consent."""
        try:
            with self._mutex, self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("INSERT INTO sign_ups(consent_id, recorded_at, contact_id) VALUES (?, ?, ?)",
                                   (consent_id, self._now(), contact_id))
        except sqlite3.Error as exc:
            raise ConsentLogError(f"The sign-up could not be written down ({exc}).") from None

    # -- reading -------------------------------------------------------------------------------

    def phone_hmac(self, phone: Phone) -> str:
        """What this record keeps for ``phone`` under this log's key (hex)."""
        return phone_hmac(self._key, phone.digits)

    def consents_for(self, phone: Phone) -> list[ConsentRow]:
        """Every consent recorded for ``phone`` under this log's key, oldest first."""
        return self._rows("WHERE c.phone_hmac = ? AND c.key_id = ?", (self.phone_hmac(phone), self.key_id))

    def all(self) -> list[ConsentRow]:
        """Every consent recorded here, oldest first."""
        return self._rows("", ())

    def uncheckable_count(self) -> int:
        """How many consents no phone can be checked against with this log's key (schema-1 rows,
        rows under a lost key or a training session's): say so rather than "no consent found"."""
        with self._mutex:
            row = self._conn.execute("SELECT COUNT(*) FROM consents WHERE key_id IS NOT ?", (self.key_id,)).fetchone()
        return int(row[0])

    def text_of(self, digest: str) -> str:
        """The consent text a hash names ("" when unknown): what the shopper read."""
        with self._mutex:
            row = self._conn.execute("SELECT text FROM consent_texts WHERE hash = ?", (digest,)).fetchone()
        return row[0] if row else ""

    # -- plumbing ------------------------------------------------------------------------------

    def _rows(self, where: str, args: tuple) -> list[ConsentRow]:
        query = (
            "SELECT c.id, c.recorded_at, c.consent_hash, c.language, c.country, c.brand, c.store, c.store_id, "
            "c.terminal, COALESCE(c.key_id, ''), c.sms_opt_in, c.email_opt_in, c.email_given, "
            "COALESCE((SELECT s.contact_id FROM sign_ups s WHERE s.consent_id = c.id ORDER BY s.id DESC LIMIT 1), ''), "
            "c.staff_id, c.staff_name "
            f"FROM consents c {where} ORDER BY c.id")
        with self._mutex:
            rows = self._conn.execute(query, args).fetchall()
        return [ConsentRow(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                           bool(r[10]), bool(r[11]), bool(r[12]), r[13], r[14], r[15]) for r in rows]

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version not in (0, 1, 2):
            raise ConsentLogError(f"The consent record at {self.path} is from a newer app (schema {version}).")
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            steps = {0: _SCHEMA + _APPEND_ONLY, 1: _UPGRADE_FROM_1 + _APPEND_ONLY, 2: ""}[version] + _ADD_STAFF
            for statement in steps.split(";\n"):
                if statement.strip():
                    self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        if version == 1:
            # The dropped hashes, salt and last digits sit in free pages and the WAL until the
            # file is rebuilt: rebuild it and empty the WAL, so a copy of the file holds none of them.
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
