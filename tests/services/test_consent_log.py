"""The local consent record: what it keeps, that no phone or email sits in it in clear, append-only."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import stat
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime

import keyring.core
import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.consent import CounterInfo, consent_hash, consent_text
from budtender_app.domain.phone import parse_phone
from budtender_app.services.consent_log import (
    CONSENT_KEY_NAME,
    ConsentLog,
    ConsentLogError,
    consent_key,
    default_consent_path,
)
from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from tests.helpers.memory_keyring import MemoryKeyring

WHERE = CounterInfo("Green Leaf", "CA", store="Main St", store_id="42", terminal="till-1")
PHONE = parse_phone("(555) 444-1212")
WHEN = datetime(2026, 11, 22, 18, 30, tzinfo=UTC)


KEY = bytes(range(32))


@pytest.fixture
def consent_log(tmp_path):
    log = ConsentLog(tmp_path / "consents.sqlite3", key=KEY, clock=lambda: WHEN)
    yield log
    log.close()


def record(log, phone=PHONE, **flags):
    text = consent_text(WHERE.brand, WHERE.country)
    opts = {"sms_opt_in": True, "email_opt_in": True, "email_given": True} | flags
    opts.setdefault("staff", Actor("3", "Sam Cashier"))
    return log.record_consent(text, where=WHERE, phone=phone, **opts)


def test_a_consent_and_its_sign_up_are_kept(consent_log):
    consent_id = record(consent_log)
    consent_log.record_sign_up(consent_id, "C1042")
    [row] = consent_log.consents_for(PHONE)
    text = consent_text("Green Leaf", "CA")
    assert row.consent_hash == consent_hash(text) and consent_log.text_of(row.consent_hash) == text
    assert (row.language, row.country, row.brand, row.store, row.store_id, row.terminal) == (
        "en-CA", "CA", "Green Leaf", "Main St", "42", "till-1")
    assert row.recorded_at == WHEN and row.key_id == consent_log.key_id and row.contact_id == "C1042"
    assert (row.sms_opt_in, row.email_opt_in, row.email_given) == (True, True, True)


def test_a_consent_before_its_sign_up_has_no_member_id_yet(consent_log):
    record(consent_log, sms_opt_in=False, email_opt_in=False, email_given=False)
    [row] = consent_log.all()
    assert row.contact_id == "" and not (row.sms_opt_in or row.email_opt_in or row.email_given)


def test_consents_are_found_by_phone_and_only_that_phone(consent_log):
    record(consent_log)
    record(consent_log, phone=parse_phone("5559990000"))
    assert [r.id for r in consent_log.consents_for(PHONE)] == [1]
    assert len(consent_log.all()) == 2


def file_bytes(folder, stem="consents"):
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith(stem))


def test_no_phone_nor_any_part_of_it_nor_a_salt_anywhere_in_the_files(tmp_path):
    path = tmp_path / "consents.sqlite3"
    log = ConsentLog(path, key=KEY)
    consent_id = record(log)
    log.record_sign_up(consent_id, "C1042")
    log.close()
    data = file_bytes(tmp_path)
    assert b"Green Leaf" in data  # the file is readable as such: the checks below mean something
    for form in ("5554441212", "555-444-1212", "(555) 444-1212", "4441212", "5554441", "***-***-1212", "-1212"):
        assert form.encode() not in data and form.encode("utf-16-le") not in data
    # Nothing to guess against without the key: no bare hash of the phone, no salt, no key.
    assert hashlib.sha256(b"5554441212").hexdigest().encode() not in data
    assert KEY not in data and KEY.hex().encode() not in data
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT key FROM meta").fetchall() == [("phone_hmac",)]  # how, not a salt
        assert [c[1] for c in db.execute("PRAGMA table_info(consents)") if "phone" in c[1]] == ["phone_hmac"]
        [(stored,)] = db.execute("SELECT phone_hmac FROM consents").fetchall()
    assert stored == hmac.new(KEY, b"budtender consent phone\x00" + PHONE.digits.encode(), hashlib.sha256).hexdigest()


def test_a_phone_is_found_only_with_the_key_it_was_recorded_under(tmp_path):
    first = ConsentLog(tmp_path / "a.sqlite3", key=KEY)
    record(first)
    assert first.phone_hmac(PHONE) == first.phone_hmac(parse_phone("+1 555 444 1212"))
    first.close()
    reopened = ConsentLog(tmp_path / "a.sqlite3", key=KEY)
    assert len(reopened.consents_for(PHONE)) == 1 and reopened.uncheckable_count() == 0
    reopened.close()
    other = ConsentLog(tmp_path / "a.sqlite3", key=bytes(32))  # a lost key, or a copy with a guessed one
    assert other.consents_for(PHONE) == [] and other.uncheckable_count() == 1
    assert len(other.all()) == 1  # the consent itself is still there
    other.close()


def test_without_a_key_each_session_has_a_throwaway_one(tmp_path):
    training = ConsentLog(tmp_path / "training.sqlite3")
    record(training)
    assert len(training.consents_for(PHONE)) == 1
    training.close()
    again = ConsentLog(tmp_path / "training.sqlite3")
    assert again.consents_for(PHONE) == [] and again.key_id != training.key_id
    again.close()


@pytest.mark.parametrize("statement", [
    "UPDATE consents SET store = 'Elsewhere'",
    "DELETE FROM consents",
    "UPDATE sign_ups SET contact_id = 'C1'",
    "DELETE FROM sign_ups",
    "UPDATE consent_texts SET text = 'something milder'",
    "DELETE FROM meta",
])
def test_the_record_is_append_only(consent_log, statement):
    consent_log.record_sign_up(record(consent_log), "C1042")
    conn = sqlite3.connect(consent_log.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    conn.close()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_file_is_the_owners_alone(consent_log):
    assert stat.S_IMODE(consent_log.path.stat().st_mode) == 0o600


def test_a_file_that_cannot_be_opened_says_so(tmp_path):
    (tmp_path / "not-a-db.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConsentLogError, match="cannot be opened"):
        ConsentLog(tmp_path / "not-a-db.sqlite3")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="conftest redirects XDG folders only")
def test_the_default_file_lives_in_the_apps_data_folder(tmp_path):
    assert default_consent_path() == tmp_path / "data" / "budtender-app" / "consents.sqlite3"


# -- schema 1 (last four digits + salted scrypt hash + its salt) is upgraded ---------------------

SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE consent_texts (hash TEXT PRIMARY KEY, language TEXT NOT NULL, country TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL,
    consent_hash TEXT NOT NULL REFERENCES consent_texts(hash), language TEXT NOT NULL, country TEXT NOT NULL,
    brand TEXT NOT NULL, store TEXT NOT NULL, store_id TEXT NOT NULL, terminal TEXT NOT NULL,
    phone_hash TEXT NOT NULL, phone_masked TEXT NOT NULL, sms_opt_in INTEGER NOT NULL,
    email_opt_in INTEGER NOT NULL, email_given INTEGER NOT NULL);
CREATE INDEX consents_by_phone ON consents(phone_hash);
CREATE TABLE sign_ups (id INTEGER PRIMARY KEY AUTOINCREMENT, consent_id INTEGER NOT NULL REFERENCES consents(id),
    recorded_at TEXT NOT NULL, contact_id TEXT NOT NULL);
""" + "".join(
    f"CREATE TRIGGER {t}_no_{v.lower()} BEFORE {v} ON {t} BEGIN SELECT RAISE(ABORT, 'the consent record is "
    f"append-only'); END;\n" for t in ("meta", "consent_texts", "consents", "sign_ups") for v in ("UPDATE", "DELETE"))
SALT = "5a17" * 16
OLD_HASH = "0ldh45h" + "ab" * 28  # what scrypt left: its value does not matter, only that it goes


def schema_1_file(path):
    text = consent_text(WHERE.brand, WHERE.country)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA_1)
        db.execute("INSERT INTO meta VALUES ('salt', ?)", (SALT,))
        db.execute("INSERT INTO consent_texts VALUES (?, 'en-CA', 'CA', ?)", (consent_hash(text), text))
        for n in (1, 2):
            db.execute("INSERT INTO consents(recorded_at, consent_hash, language, country, brand, store, store_id, "
                       "terminal, phone_hash, phone_masked, sms_opt_in, email_opt_in, email_given) VALUES "
                       "(?, ?, 'en-CA', 'CA', 'Green Leaf', 'Main St', '42', 'till-1', ?, '***-***-1212', 1, 0, 1)",
                       (WHEN.isoformat(), consent_hash(text), f"{OLD_HASH}{n}"))
        db.execute("INSERT INTO sign_ups(consent_id, recorded_at, contact_id) VALUES (1, ?, 'C1042')",
                   (WHEN.isoformat(),))
        db.execute("PRAGMA user_version=1")


def test_a_schema_1_file_loses_its_guessable_phone_fields_and_keeps_the_consents(tmp_path):
    path = tmp_path / "consents.sqlite3"
    schema_1_file(path)
    assert SALT.encode() in file_bytes(tmp_path)  # the check below means something
    log = ConsentLog(path, key=KEY, clock=lambda: WHEN)
    rows = log.all()
    assert [(r.id, r.consent_hash, r.recorded_at, r.store, r.sms_opt_in, r.email_given, r.key_id, r.contact_id)
            for r in rows] == [
                (1, consent_hash(consent_text("Green Leaf", "CA")), WHEN, "Main St", True, True, "", "C1042"),
                (2, rows[0].consent_hash, WHEN, "Main St", True, True, "", "")]
    assert log.consents_for(PHONE) == [] and log.uncheckable_count() == 2
    assert record(log) == 3 and [r.id for r in log.consents_for(PHONE)] == [3]  # new rows: keyed, numbered on
    log.close()
    data = file_bytes(tmp_path)
    for gone in (SALT, OLD_HASH, "***-***-1212", "-1212"):
        assert gone.encode() not in data, gone  # not even in a free page or the WAL
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        assert dict(db.execute("SELECT key, value FROM meta"))["schema 1 rows kept without their phone"] == "2"
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE consents SET store = 'Elsewhere'")


def test_each_consent_names_who_took_it_and_older_rows_say_nobody(tmp_path):
    path = tmp_path / "consents.sqlite3"
    log = ConsentLog(path, key=KEY, clock=lambda: WHEN)
    record(log)
    log.close()
    with closing(sqlite3.connect(path)) as db:  # back to schema 2, as the app before staff wrote it
        for verb in ("update", "delete"):
            db.execute(f"DROP TRIGGER consents_no_{verb}")
        db.execute("ALTER TABLE consents DROP COLUMN staff_id")
        db.execute("ALTER TABLE consents DROP COLUMN staff_name")
        for verb in ("UPDATE", "DELETE"):  # append-only again, as schema 2 was
            db.execute(f"CREATE TRIGGER consents_no_{verb.lower()} BEFORE {verb} ON consents "
                       "BEGIN SELECT RAISE(ABORT, 'the consent record is append-only'); END")
        db.execute("PRAGMA user_version=2")
        db.commit()
    log = ConsentLog(path, key=KEY, clock=lambda: WHEN)
    record(log, staff=Actor("7", "Dana Cashier"))
    assert [(r.staff_id, r.staff_name) for r in log.all()] == [("", ""), ("7", "Dana Cashier")]
    log.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE consents SET staff_name = 'Someone else'")


def test_a_file_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "consents.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version=4")
    with pytest.raises(ConsentLogError, match="newer app"):
        ConsentLog(path, key=KEY)


# -- the key lives in the OS keyring ----------------------------------------------------------

def test_the_key_is_made_once_in_the_keyring_and_never_in_the_file(tmp_path):
    memory = MemoryKeyring()
    store = CredentialStore(memory)
    key = consent_key(store)
    assert len(key) == 32 and consent_key(CredentialStore(memory)) == key
    assert memory.entries == {("budtender-app", CONSENT_KEY_NAME): key.hex()}
    log = ConsentLog(tmp_path / "consents.sqlite3", key=key)
    record(log)
    log.close()
    assert key not in file_bytes(tmp_path) and key.hex().encode() not in file_bytes(tmp_path)


def test_no_keyring_or_a_damaged_key_means_no_consent_record(tmp_path):
    from keyring.backends import fail

    with pytest.raises(ConsentLogError, match="keyring"):
        consent_key(CredentialStore(fail.Keyring()))
    memory = MemoryKeyring()
    memory.set_password("budtender-app", CONSENT_KEY_NAME, "not hex")
    with pytest.raises(ConsentLogError, match="damaged"):
        consent_key(CredentialStore(memory))
    assert memory.get_password("budtender-app", CONSENT_KEY_NAME) == "not hex"  # never replaced
    dropping = MemoryKeyring()
    dropping.set_password = lambda *args: None  # takes the key and keeps nothing
    with pytest.raises(ConsentLogError, match="keyring"):  # never a new throwaway key on each start
        consent_key(CredentialStore(dropping))


@pytest.mark.keyring
def test_the_key_survives_in_the_real_keyring(tmp_path):
    service = f"budtender-test-{uuid.uuid4().hex}"  # the app's own entries stay untouched
    store = CredentialStore(service=service)
    try:
        store.ensure_usable()
    except KeyringUnavailable as exc:
        if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
            pytest.fail(f"BUDTENDER_REQUIRE_KEYRING=1 but {exc.detail}", pytrace=False)
        pytest.skip(f"real keyring not reachable: {exc.detail}")
    try:
        key = consent_key(store)
        log = ConsentLog(tmp_path / "consents.sqlite3", key=key)
        record(log)
        log.close()
        again = ConsentLog(tmp_path / "consents.sqlite3", key=consent_key(store))
        assert len(again.consents_for(PHONE)) == 1  # the next start finds it: same key from the keyring
        again.close()
    finally:
        keyring.core.get_keyring().delete_password(service, CONSENT_KEY_NAME)
