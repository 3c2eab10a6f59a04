"""The local consent record: which consent text each shopper signed up under, when and where.

Its own SQLite file (``consents.sqlite3`` in the app's data folder), append-only: triggers refuse
any UPDATE or DELETE. Two tables of facts, both written at the counter:

- ``consents``: written *before* the sign-up is sent, so nothing leaves for AIQ without a record
  that the shopper agreed. Which text (its SHA-256; the text itself sits once in
  ``consent_texts``), its language and country, the brand, store, terminal, time (UTC), the
  opt-ins, and whether an email was given (never the email).
- ``sign_ups``: AIQ's contactID once AIQ created the member (or said it already had one).

The phone is never stored in clear: only the masked phone (``***-***-4567``) and a salted scrypt
hash of its ten digits, so "did this phone consent, and when?" can be answered for a phone in
hand. The salt is made once per file and kept in it; scrypt's cost is what makes guessing all
ten-digit numbers against a copied file slow, since the salt travels with it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import platformdirs

from budtender_app.domain.consent import CONSENT_LANGUAGE, CounterInfo, consent_hash
from budtender_app.domain.phone import Phone

CONSENT_FILE = "consents.sqlite3"
SCHEMA_VERSION = 1
#: scrypt's cost for the phone hash: 16 MiB and ~50 ms a hash; guessing 10^10 phones costs years.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE consent_texts (
    hash TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    consent_hash TEXT NOT NULL REFERENCES consent_texts(hash),
    language TEXT NOT NULL,
    country TEXT NOT NULL,
    brand TEXT NOT NULL,
    store TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal TEXT NOT NULL,
    phone_hash TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    sms_opt_in INTEGER NOT NULL,
    email_opt_in INTEGER NOT NULL,
    email_given INTEGER NOT NULL
);
CREATE INDEX consents_by_phone ON consents(phone_hash);
CREATE TABLE sign_ups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consent_id INTEGER NOT NULL REFERENCES consents(id),
    recorded_at TEXT NOT NULL,
    contact_id TEXT NOT NULL
);
"""
_APPEND_ONLY = "".join(
    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'the consent record is append-only'); END;\n"
    for table in ("meta", "consent_texts", "consents", "sign_ups") for verb in ("UPDATE", "DELETE")
)


class ConsentLogError(Exception):
    """The consent record could not be read or written; the message is for the cashier."""


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One consent as recorded, with AIQ's contactID once the sign-up went through ("" before)."""

    id: int
    recorded_at: datetime
    consent_hash: str
    language: str
    country: str
    brand: str
    store: str
    store_id: str
    terminal: str
    phone_masked: str
    sms_opt_in: bool
    email_opt_in: bool
    email_given: bool
    contact_id: str


def default_consent_path() -> Path:
    """Where the consent record lives: the user's data folder for this app."""
    return Path(platformdirs.user_data_dir("budtender-app", appauthor=False)) / CONSENT_FILE


class ConsentLog:
    """The append-only consent record of one computer. Thread-safe (one lock, one connection)."""

    def __init__(self, path: str | os.PathLike, *, clock=lambda: datetime.now(timezone.utc)) -> None:
        self.path = Path(path)
        self._clock = clock
        self._mutex = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only, like the journal: masked phones and hashes are still personal data.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")  # a consent must survive a power cut
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self._salt = self._get_salt()
        except (OSError, sqlite3.Error) as exc:
            raise ConsentLogError(f"The consent record at {self.path} cannot be opened ({exc}).") from None

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    # -- writing -------------------------------------------------------------------------------

    def record_consent(self, text: str, *, where: CounterInfo, phone: Phone, sms_opt_in: bool,
                       email_opt_in: bool, email_given: bool) -> int:
        """Write down that the shopper agreed to ``text`` (the exact text shown); its row id.

        Call it before sending the sign-up. Raises ConsentLogError when it cannot be written.
        """
        digest = consent_hash(text)
        country = where.country.upper()
        language = CONSENT_LANGUAGE.get(country, "en")
        phone_hash = self.phone_hash(phone)  # outside the lock: scrypt takes a while
        row = (self._now(), digest, language, country, where.brand, where.store, where.store_id,
               where.terminal, phone_hash, phone.masked, int(sms_opt_in), int(email_opt_in), int(email_given))
        try:
            with self._mutex, self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute(
                    "INSERT OR IGNORE INTO consent_texts(hash, language, country, text) VALUES (?, ?, ?, ?)",
                    (digest, language, country, text))
                cursor = self._conn.execute(
                    "INSERT INTO consents(recorded_at, consent_hash, language, country, brand, store, store_id, "
                    "terminal, phone_hash, phone_masked, sms_opt_in, email_opt_in, email_given) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                return int(cursor.lastrowid)
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

    def phone_hash(self, phone: Phone) -> str:
        """The salted scrypt hash this file keeps for ``phone`` (hex)."""
        return hashlib.scrypt(phone.digits.encode("ascii"), salt=self._salt, **SCRYPT).hex()

    def consents_for(self, phone: Phone) -> list[ConsentRow]:
        """Every consent recorded for ``phone``, oldest first."""
        return self._rows("WHERE c.phone_hash = ?", (self.phone_hash(phone),))

    def all(self) -> list[ConsentRow]:
        """Every consent recorded here, oldest first."""
        return self._rows("", ())

    def text_of(self, digest: str) -> str:
        """The consent text a hash names ("" when unknown): what the shopper read."""
        with self._mutex:
            row = self._conn.execute("SELECT text FROM consent_texts WHERE hash = ?", (digest,)).fetchone()
        return row[0] if row else ""

    # -- plumbing ------------------------------------------------------------------------------

    def _rows(self, where: str, args: tuple) -> list[ConsentRow]:
        query = (
            "SELECT c.id, c.recorded_at, c.consent_hash, c.language, c.country, c.brand, c.store, c.store_id, "
            "c.terminal, c.phone_masked, c.sms_opt_in, c.email_opt_in, c.email_given, "
            "COALESCE((SELECT s.contact_id FROM sign_ups s WHERE s.consent_id = c.id ORDER BY s.id DESC LIMIT 1), '') "
            f"FROM consents c {where} ORDER BY c.id")
        with self._mutex:
            rows = self._conn.execute(query, args).fetchall()
        return [ConsentRow(r[0], datetime.fromisoformat(r[1]), *r[2:10], bool(r[10]), bool(r[11]), bool(r[12]), r[13])
                for r in rows]

    def _now(self) -> str:
        return self._clock().astimezone(timezone.utc).isoformat(timespec="seconds")

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version != 0:
            raise ConsentLogError(f"The consent record at {self.path} is from a newer app (schema {version}).")
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            for statement in (_SCHEMA + _APPEND_ONLY).split(";\n"):
                if statement.strip():
                    self._conn.execute(statement)
            self._conn.execute("INSERT INTO meta(key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _get_salt(self) -> bytes:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row is None:
            raise ConsentLogError(f"The consent record at {self.path} has lost its salt.")
        return bytes.fromhex(row[0])
