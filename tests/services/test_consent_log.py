"""The local consent record: what it keeps, that no phone or email sits in it in clear, append-only."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import sys
from datetime import datetime, timezone

import pytest

from budtender_app.domain.consent import CounterInfo, consent_hash, consent_text
from budtender_app.domain.phone import parse_phone
from budtender_app.services.consent_log import ConsentLog, ConsentLogError, default_consent_path

WHERE = CounterInfo("Green Leaf", "CA", store="Main St", store_id="42", terminal="till-1")
PHONE = parse_phone("(555) 444-1212")
WHEN = datetime(2026, 11, 22, 18, 30, tzinfo=timezone.utc)


@pytest.fixture
def consent_log(tmp_path):
    log = ConsentLog(tmp_path / "consents.sqlite3", clock=lambda: WHEN)
    yield log
    log.close()


def record(log, phone=PHONE, **flags):
    text = consent_text(WHERE.brand, WHERE.country)
    opts = {"sms_opt_in": True, "email_opt_in": True, "email_given": True} | flags
    return log.record_consent(text, where=WHERE, phone=phone, **opts)


def test_a_consent_and_its_sign_up_are_kept(consent_log):
    consent_id = record(consent_log)
    consent_log.record_sign_up(consent_id, "C1042")
    [row] = consent_log.consents_for(PHONE)
    text = consent_text("Green Leaf", "CA")
    assert row.consent_hash == consent_hash(text) and consent_log.text_of(row.consent_hash) == text
    assert (row.language, row.country, row.brand, row.store, row.store_id, row.terminal) == (
        "en-CA", "CA", "Green Leaf", "Main St", "42", "till-1")
    assert row.recorded_at == WHEN and row.phone_masked == "***-***-1212" and row.contact_id == "C1042"
    assert (row.sms_opt_in, row.email_opt_in, row.email_given) == (True, True, True)


def test_a_consent_before_its_sign_up_has_no_member_id_yet(consent_log):
    record(consent_log, sms_opt_in=False, email_opt_in=False, email_given=False)
    [row] = consent_log.all()
    assert row.contact_id == "" and not (row.sms_opt_in or row.email_opt_in or row.email_given)


def test_consents_are_found_by_phone_and_only_that_phone(consent_log):
    record(consent_log)
    record(consent_log, phone=parse_phone("5559990000"))
    assert [r.phone_masked for r in consent_log.consents_for(PHONE)] == ["***-***-1212"]
    assert len(consent_log.all()) == 2


def test_no_phone_in_clear_anywhere_in_the_files(tmp_path):
    path = tmp_path / "consents.sqlite3"
    log = ConsentLog(path)
    consent_id = record(log)
    log.record_sign_up(consent_id, "C1042")
    log.close()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("consents"))
    assert b"Green Leaf" in data  # the file is readable as such: the check below means something
    for form in ("5554441212", "555-444-1212", "(555) 444-1212", "4441212", "5554441"):
        assert form.encode() not in data and form.encode("utf-16-le") not in data
    # The hash is salted: the bare SHA-256 of the phone (a rainbow-table look-up) is not in it either.
    assert hashlib.sha256(b"5554441212").hexdigest().encode() not in data


def test_the_phone_hash_is_salted_per_file(tmp_path):
    first, second = ConsentLog(tmp_path / "a.sqlite3"), ConsentLog(tmp_path / "b.sqlite3")
    assert first.phone_hash(PHONE) != second.phone_hash(PHONE)
    assert first.phone_hash(PHONE) == first.phone_hash(parse_phone("+1 555 444 1212"))
    first.close()
    second.close()
    reopened = ConsentLog(tmp_path / "a.sqlite3")
    assert reopened.phone_hash(PHONE) == ConsentLog(tmp_path / "a.sqlite3").phone_hash(PHONE)
    reopened.close()


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
