"""Opening the journal at start: a journal that disappeared, was emptied, damaged, replaced or
lost its last events is refused with what IT does, never started afresh in silence; IT's
`accept-fresh` records what was accepted. The keyring is faked here, except in the test marked
``keyring``."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.journal import Journal, JournalLock, JournalLocked, Seal, State
from budtender_app.services.journal.guard import (
    ACCEPT_FRESH,
    JournalGuard,
    JournalRefused,
    MarkerFile,
    Problem,
    journal_name,
    marker_dir,
)
from tests.helpers.faults import FailingKeyring
from tests.helpers.memory_keyring import MemoryKeyring

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"ERROR budtender_app\.services\.journal_guard: journal at start: ",
    r"the journal marker .* is unreadable; ignoring it",
)

CASHIER = Actor("7", "Dana Cashier")

START = datetime(2024, 5, 31, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def keys():
    return CredentialStore(MemoryKeyring())


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "journal.sqlite3"


@pytest.fixture
def clock():
    return Clock()


def guard(path, keys, **kw) -> JournalGuard:
    return JournalGuard(path, keys, markers=path.parent.parent / "config", **kw)


def start(path, keys, clock, **kw) -> Journal:
    return guard(path, keys, **kw).open(store="Main St", terminal="till-1", clock=clock)


def day_of_work(path, keys, clock) -> None:
    """The app's day: an unknown redemption (a manager must look at it), then quit."""
    with start(path, keys, clock) as journal:
        (entry,) = journal.queue("T-1", [Discount(id="d1", name="$5 off", points=100,
                                                  redemption_url="https://x/r/1234/d1/tok3nSECRET")],
                                 staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-1")
        journal.mark_sending(entry.id)
        journal.mark_unknown(entry.id, "AIQ did not answer")


def refused(path, keys, clock, problem: Problem) -> str:
    with pytest.raises(JournalRefused) as caught:
        start(path, keys, clock)
    assert caught.value.problem is problem
    text = str(caught.value)
    assert "IT:" in text
    return text


def test_a_new_journal_is_sealed_in_the_keyring_and_reopens(path, keys, clock):
    day_of_work(path, keys, clock)
    stored = keys.journal_seal(journal_name(path))
    assert stored is not None and len(stored[1]) == 32
    with start(path, keys, clock) as journal:
        assert journal.seal == Seal(*stored) and journal.seal.keyed
        assert journal.verify_chain().ok
        assert [e.state for e in journal.pending()] == [State.UNKNOWN]


def test_a_deleted_journal_is_refused_not_started_afresh(path, keys, clock):
    day_of_work(path, keys, clock)
    path.unlink()
    text = refused(path, keys, clock, Problem.MISSING)
    assert "is missing" in text and ACCEPT_FRESH in text
    assert not path.exists(), "no fresh journal was made"


def test_a_journal_emptied_to_zero_bytes_is_refused(path, keys, clock):
    day_of_work(path, keys, clock)
    path.write_bytes(b"")
    assert "empty (0 bytes)" in refused(path, keys, clock, Problem.EMPTY)
    assert path.stat().st_size == 0


def test_a_file_that_is_not_a_journal_is_refused_as_damaged(path, keys, clock):
    day_of_work(path, keys, clock)
    path.write_bytes(b"this is not a database" * 500)
    assert "damaged" in refused(path, keys, clock, Problem.DAMAGED)


def test_a_journal_damaged_inside_fails_the_integrity_check(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        for n in range(300):
            db.execute("INSERT INTO journal_meta VALUES (?, ?)", (f"pad{n}", "x" * 200))
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page + 100:4 * page] = bytes(range(256)) * ((page - 100) // 256) + bytes((page - 100) % 256)
    path.write_bytes(bytes(data))
    refused(path, keys, clock, Problem.DAMAGED)


def test_a_journal_that_lost_its_last_events_is_refused(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:  # as a garbled -wal leaves it: the last commits gone
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id > 1")
    assert "has lost its last 2 event(s)" in refused(path, keys, clock, Problem.EVENTS_MISSING)


def test_an_older_copy_put_back_is_refused(path, keys, clock):
    day_of_work(path, keys, clock)
    old = path.read_bytes()
    with start(path, keys, clock) as journal:
        journal.record_event("pin_skipped", staff=CASHIER)
    path.write_bytes(old)
    refused(path, keys, clock, Problem.EVENTS_MISSING)


def test_another_journal_put_in_its_place_is_refused(path, keys, clock, tmp_path):
    day_of_work(path, keys, clock)
    other = tmp_path / "other" / "journal.sqlite3"
    day_of_work(other, keys, clock)
    path.write_bytes(other.read_bytes())
    assert "not the journal this terminal was using" in refused(path, keys, clock, Problem.FOREIGN)


def test_a_sealed_journal_whose_key_the_keyring_lost_is_refused(path, keys, clock):
    day_of_work(path, keys, clock)
    keys.forget_journal_seal(journal_name(path))
    assert "keyring does not hold" in refused(path, keys, clock, Problem.NO_KEY)


def test_an_unkeyed_schema_2_journal_with_no_keyring_entry_is_refused_too(path, keys, clock):
    Journal(path, store="s", terminal="t").close()
    refused(path, keys, clock, Problem.NO_KEY)


def test_no_keyring_in_real_mode_is_refused(path, clock):
    keys = CredentialStore(FailingKeyring(ConnectionError("no daemon")))
    text = refused(path, keys, clock, Problem.NO_KEYRING)
    assert "secure password store" in text


def test_a_folder_the_terminal_cannot_write_is_refused(tmp_path, keys, clock):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    path = blocker / "journal.sqlite3"
    text = refused(path, keys, clock, Problem.UNWRITABLE)
    assert "cannot write its redemption journal in" in text and "IT:" in text


def test_a_read_only_journal_file_is_refused(path, keys, clock, monkeypatch):
    day_of_work(path, keys, clock)

    def read_only(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr("budtender_app.services.journal.repository.migrate", read_only)
    refused(path, keys, clock, Problem.UNWRITABLE)


def test_a_second_copy_is_locked_out(path, keys, clock):
    with start(path, keys, clock), pytest.raises(JournalLocked):
        start(path, keys, clock)


def test_a_deleted_or_unreadable_marker_is_refused_then_accepted(path, keys, clock):
    day_of_work(path, keys, clock)
    marker = guard(path, keys).marker
    marker.path.unlink()
    assert "is missing" in refused(path, keys, clock, Problem.MARKER)
    marker.path.write_text("{not json")
    refused(path, keys, clock, Problem.MARKER)
    said = guard(path, keys).accept_fresh(clock=clock, terminal="t")
    assert "marker was reset" in said
    with start(path, keys, clock) as journal:
        assert journal.audit.rows()[-1].event == "marker_reset"
    assert marker.load().events == 4


def test_a_marker_edited_to_hide_a_cut_is_refused(path, keys, clock):
    """Cut the last events and write the marker to match: without the key its MAC is wrong."""
    day_of_work(path, keys, clock)
    marker = guard(path, keys).marker
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id > 1")
        (first_hash,) = db.execute("SELECT hash FROM audit WHERE id = 1").fetchone()
    old = marker.load()
    marker.path.write_text(json.dumps({"journal_id": old.journal_id, "events": 1, "last_hash": first_hash,
                                       "mac": old.mac}))
    assert "altered" in refused(path, keys, clock, Problem.MARKER)


def test_a_marker_folder_it_cannot_write_is_refused(path, keys, clock):
    (path.parent.parent / "config").mkdir(parents=True)
    (path.parent.parent / "config" / f"{journal_name(path)}.json").mkdir()  # a folder in the file's place
    text = refused(path, keys, clock, Problem.UNWRITABLE)
    assert "where it keeps what its redemption journal holds" in text
    JournalLock(path).acquire().release()  # the refusal let go of the lock (else JournalLocked)


def test_rows_edited_by_hand_are_told_at_start(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE redemptions SET state = 'queued'")
    g = guard(path, keys)
    with g.open(store="s", terminal="t", clock=clock) as journal:
        assert journal.recover_after_restart() == []  # not "sending them now"
    assert any("audit trail says 'unknown'" in n for n in g.notices)


def test_a_broken_chain_is_refused_and_accept_fresh_sets_it_aside(path, keys, clock):
    """Events deleted from the middle (to hide a row's later events) break the keyed chain."""
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id = 2")
    assert "audit trail was altered" in refused(path, keys, clock, Problem.CHAIN_BROKEN)
    said = guard(path, keys).accept_fresh(clock=clock, terminal="t")
    assert "set aside" in said
    with start(path, keys, clock) as journal:
        assert [r.event for r in journal.audit.rows()] == ["journal_replaced"]


def test_a_schema_1_break_from_before_the_key_is_only_told(path, keys, clock):
    from tests.services.test_journal_seal import v1_journal

    path.parent.mkdir(parents=True)
    v1_journal(path, break_chain=True)
    g = guard(path, keys)
    with g.open(store="Main St", terminal="t", clock=clock) as journal:
        assert len(journal.pending(all_stores=True)) == 2
    assert any("Audit trail broken at event #5" in n for n in g.notices)
    start(path, keys, clock).close()  # and again: its marker is there now


# -- IT: check and accept-fresh ----------------------------------------------------------------

def test_check_says_in_order_or_what_is_wrong_without_changing_anything(path, keys, clock):
    ok, text = guard(path, keys).check()
    assert ok and "redeemed nothing yet" in text
    day_of_work(path, keys, clock)
    ok, text = guard(path, keys).check()
    assert ok and "in order: 3 events" in text and "keyed" in text
    path.write_bytes(b"")
    ok, text = guard(path, keys).check()
    assert not ok and "empty" in text and path.stat().st_size == 0


def test_check_reports_damage_lost_events_and_edits(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE redemptions SET state = 'queued'")
    ok, text = guard(path, keys).check()
    assert not ok and "changed outside the app" in text
    path.write_bytes(b"garbage" * 1000)
    ok, text = guard(path, keys).check()
    assert not ok and "damaged" in text


def test_check_of_a_journal_that_lost_events(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id = 3")
    ok, text = guard(path, keys).check()
    assert not ok and "lost its last 1 event" in text


def test_accept_fresh_after_a_deletion_starts_a_journal_that_records_it(path, keys, clock):
    day_of_work(path, keys, clock)
    old_id = keys.journal_seal(journal_name(path))[0]
    path.unlink()
    said = guard(path, keys).accept_fresh(clock=clock, terminal="till-1")
    assert "new redemption journal" in said
    with start(path, keys, clock) as journal:
        (first,) = journal.audit.rows()
        assert first.event == "journal_replaced" and old_id in first.detail and "3 events" in first.detail
        assert journal.seal.journal_id != old_id


def test_accept_fresh_sets_a_damaged_journal_aside(path, keys, clock):
    day_of_work(path, keys, clock)
    path.write_bytes(b"garbage" * 1000)
    said = guard(path, keys).accept_fresh(clock=clock, terminal="till-1")
    aside = [p for p in path.parent.iterdir() if ".set-aside-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == b"garbage" * 1000 and aside[0].name in said
    start(path, keys, clock).close()


def test_accept_fresh_after_lost_events_goes_on_and_records_the_loss(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id > 1")
    said = guard(path, keys).accept_fresh(clock=clock, terminal="till-1")
    assert "events #2 to #3 were lost" in said
    with start(path, keys, clock) as journal:
        assert journal.audit.rows()[-1].event == "events_lost"
        assert len(journal.pending()) == 1  # the row is still there


def test_accept_fresh_on_a_journal_in_order_does_nothing(path, keys, clock):
    day_of_work(path, keys, clock)
    assert "nothing to accept" in guard(path, keys).accept_fresh(clock=clock, terminal="t")


def test_accept_fresh_needs_the_terminal_closed_and_a_keyring(path, keys, clock):
    with start(path, keys, clock), pytest.raises(JournalLocked):
        guard(path, keys).accept_fresh(clock=clock, terminal="t")
    with pytest.raises(JournalRefused):
        guard(path, CredentialStore(FailingKeyring(ConnectionError("gone")))).accept_fresh(clock=clock, terminal="t")


# -- training ----------------------------------------------------------------------------------

def test_training_sets_a_refused_journal_aside_and_says_so(path, keys, clock):
    day_of_work(path, keys, clock)
    path.write_bytes(b"")
    g = guard(path, keys, training=True)
    with g.open(store="training", terminal="t", clock=clock) as journal:
        assert journal.audit.rows() == []
    assert any("training journal could not be used" in n and "set aside" in n for n in g.notices)


def test_training_without_a_keyring_keeps_an_unkeyed_journal(path, clock):
    keys = CredentialStore(FailingKeyring(ConnectionError("no daemon")))
    for _ in range(2):
        g = guard(path, keys, training=True)
        with g.open(store="training", terminal="t", clock=clock) as journal:
            journal.record_event("pin_skipped", staff=CASHIER)
            assert not journal.seal.keyed and journal.verify_chain().ok
        assert g.notices == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="conftest redirects XDG folders only")
def test_the_marker_lives_in_the_state_folder_not_the_data_folder(tmp_path):
    assert marker_dir() == tmp_path / "state" / "budtender-app" / "journals"  # conftest's XDG folders
    assert MarkerFile(Path("/nonexistent/x.json")).load() is None


# -- the real keyring ----------------------------------------------------------------------------

@pytest.mark.keyring
def test_the_journal_seal_lives_in_the_real_keyring(path, clock):
    from keyring.backends import SecretService

    keys = CredentialStore(SecretService.Keyring())
    try:
        keys.ensure_usable()
    except KeyringUnavailable as exc:
        if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
            pytest.fail(f"no real keyring: {exc}")
        pytest.skip("no real keyring here")
    path = path.with_name(f"journal-{uuid.uuid4().hex[:8]}.sqlite3")
    try:
        day_of_work(path, keys, clock)
        assert keys.journal_seal(journal_name(path)) is not None
        path.unlink()
        refused(path, keys, clock, Problem.MISSING)
    finally:
        assert keys.forget_journal_seal(journal_name(path))
    assert keys.journal_seal(journal_name(path)) is None


def test_accept_fresh_puts_rows_edited_by_hand_back(path, keys, clock):
    day_of_work(path, keys, clock)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE redemptions SET state = 'queued'")
    said = guard(path, keys).accept_fresh(clock=clock, terminal="t")
    assert "put back as their audit trail says" in said and "'unknown'" in said
    g = guard(path, keys)
    with g.open(store="Main St", terminal="t", clock=clock) as journal:
        assert [e.state for e in journal.recover_after_restart()] == [State.UNKNOWN]
    assert g.notices == []
