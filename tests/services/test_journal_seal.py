"""The keyed audit chain and the state it carries: a journal edited by hand never redeems twice,
a chain cannot be rewritten without the key, old journals are upgraded in one transaction, and
an export shows where it joins the one before."""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from contextlib import closing
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import replay as _replay
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Journal,
    JournalKeyError,
    JournalLock,
    JournalTampered,
    JournalUnwritable,
    JournalWriteError,
    Seal,
    State,
)
from budtender_app.services.journal.audit import GENESIS_HASH, UNKEYED, row_hash
from budtender_app.services.journal.schema import statements as _statements
from budtender_app.services.redemption_sender import RedemptionSender
from tests.helpers.fake_aiq import ScriptedAiq
from tests.helpers.faults import FullDisk

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(
    r"ERROR budtender_app\.services\.journal: (journal row refused|no journal row is sent): ",
)

CASHIER = Actor("7", "Dana Cashier")

START = datetime(2024, 5, 31, 18, 0, tzinfo=UTC)
KEY = bytes(range(32))
TOKEN = "tok3nSECRETvalue99"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def discount(n: int) -> Discount:
    return Discount(id=f"d{n}", name=f"Discount {n}", points=100 * n, pos_discount_id=f"POS-{n}",
                    redemption_url=f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d{n}/{TOKEN}{n}")


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def seal():
    return Seal("journal-1", KEY)


def open_journal(path, seal, **kw) -> Journal:
    return Journal(path, store="Main St", terminal="till-1", clock=kw.pop("clock", Clock()), seal=seal, **kw)


@pytest.fixture
def journal(path, seal):
    j = open_journal(path, seal, lock=JournalLock(path).acquire())
    yield j
    j.close()


def an_unknown_and_a_queued(journal):
    unknown, queued = journal.queue("T-1", [discount(1), discount(2)], staff=CASHIER,
                                    shopper_masked="***-***-4567", contact_id="C-1")
    journal.mark_sending(unknown.id)
    journal.mark_unknown(unknown.id, "AIQ did not answer")
    return journal.get(unknown.id), queued


def edit(path, sql: str, *params) -> None:
    """What someone with the file (and not the keyring) does."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        db.execute(sql, params)


# -- a hand-edited state ---------------------------------------------------------------------

@pytest.mark.asyncio
async def test_an_unknown_redemption_edited_back_to_queued_is_never_sent(journal, path):
    unknown, _ = an_unknown_and_a_queued(journal)
    edit(path, "UPDATE redemptions SET state = 'queued' WHERE state = 'unknown'")

    assert [e.id for e in journal.queued_to_send()] == [unknown.id + 1]  # only the real queued one
    with pytest.raises(JournalTampered, match="audit trail says 'unknown'"):
        journal.mark_sending(unknown.id)
    api = ScriptedAiq(then="R-1")
    await RedemptionSender(api, journal).send_queued()
    assert [url for url, _ in api.redeems] == [discount(2).redemption_url], "the edited row was not sent"
    ((entry_id, problem),) = journal.tampered()
    assert entry_id == unknown.id
    assert "is 'queued' in the journal, but its audit trail says 'unknown'" in problem
    assert "T-1" in problem and "Discount 1" in problem


def test_a_restart_neither_sends_nor_counts_an_edited_row(journal, path):
    unknown, _ = an_unknown_and_a_queued(journal)
    journal.mark_sending(unknown.id + 1)
    edit(path, "UPDATE redemptions SET state = 'sending' WHERE id = ?", unknown.id)  # unknown -> 'sending'
    found = journal.recover_after_restart()
    assert [e.id for e in found] == [unknown.id + 1]  # the genuine in-flight row became unknown
    assert journal.get(unknown.id).state is State.SENDING, "left as found, for IT"
    assert len(journal.tampered()) == 1


def test_editing_the_state_in_the_audit_trail_too_is_caught_by_the_key(journal, path):
    unknown, _ = an_unknown_and_a_queued(journal)
    edit(path, "UPDATE redemptions SET state = 'queued' WHERE id = ?", unknown.id)
    edit(path, "UPDATE audit SET state = 'queued' WHERE entry_id = ? AND event = 'unknown'", unknown.id)
    with pytest.raises(JournalTampered, match=r"last audit event .* was changed outside the app"):
        journal.mark_sending(unknown.id)
    assert journal.verify_chain().problem == "edited"


def test_a_row_added_by_hand_has_no_event_and_is_not_sent(journal, path):
    edit(path, "INSERT INTO redemptions (store, terminal, transaction_id, discount_id, discount_name, points, "
               "state, created_at, updated_at, redemption_url) VALUES ('Main St', 't', 'T-9', 'd9', 'Nine', 5, "
               "'queued', '2024-05-31T18:00:00.000000+00:00', '2024-05-31T18:00:00.000000+00:00', 'https://x/y')")
    assert journal.queued_to_send() == []
    assert "has no audit event" in journal.tampered()[0][1]


def test_a_manager_cannot_resolve_an_edited_row_either(journal, path):
    unknown, _ = an_unknown_and_a_queued(journal)
    edit(path, "UPDATE redemptions SET state = 'queued' WHERE id = ?", unknown.id)
    with pytest.raises(JournalTampered):
        journal.resolve(unknown.id, "abandoned", "looks odd", Actor.typed("Dana"))


# -- the key -------------------------------------------------------------------------------------

def test_a_chain_recomputed_without_the_key_does_not_verify(journal, path):
    an_unknown_and_a_queued(journal)
    rows = journal.audit.rows()
    prev = GENESIS_HASH
    for row in rows:  # the attacker re-chains everything with the public algorithm
        fields = {**asdict(row), "prev_hash": prev, "points": 1}
        prev = row_hash(fields, UNKEYED)
        edit(path, "UPDATE audit SET points = 1, prev_hash = ?, hash = ? WHERE id = ?",
             fields["prev_hash"], prev, row.id)
    report = journal.verify_chain()
    assert (report.ok, report.bad_id, report.problem) == (False, 1, "edited")
    assert report.keyed


def test_the_journal_refuses_another_key_or_another_journals_seal(journal, path):
    an_unknown_and_a_queued(journal)
    with pytest.raises(JournalKeyError, match="key"):
        open_journal(path, Seal("journal-1", b"another key"))
    with pytest.raises(JournalKeyError, match="not journal-2"):
        open_journal(path, Seal("journal-2", KEY))
    with pytest.raises(JournalKeyError):
        open_journal(path, None)


def test_read_only_without_the_key_reads_but_says_it_cannot_check(journal, path, seal):
    an_unknown_and_a_queued(journal)
    with Journal.open_read_only(path) as reader:
        assert len(reader.pending(all_stores=True)) == 2
        report = reader.verify_chain()
        assert (report.ok, report.problem) == (False, "no key") and "keyring" in str(report)
    with Journal.open_read_only(path, Seal("journal-2", KEY)) as reader:
        assert reader.verify_chain().problem == "no key"
    with Journal.open_read_only(path, seal) as reader:
        assert reader.verify_chain().ok


def test_an_unkeyed_journal_says_so(tmp_path):
    with Journal(tmp_path / "t.sqlite3", store="s", terminal="t", clock=Clock()) as j:
        j.record_event("pin_skipped", staff=CASHIER)
        report = j.verify_chain()
        assert report.ok and not report.keyed and "not keyed" in str(report)
        assert not j.seal.keyed


# -- writes that fail ----------------------------------------------------------------------------


def test_a_write_that_fails_changes_nothing_and_says_why(path, seal):
    class Disk(FullDisk):
        pass

    with open_journal(path, seal, connection_class=Disk) as j:
        (entry,) = j.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
        Disk.full = True
        with pytest.raises(JournalWriteError, match="disk is full"):
            j.mark_sending(entry.id)
        Disk.full = False
        assert j.get(entry.id).state is State.QUEUED
        assert [r.event for r in j.audit.rows()] == ["queued"]
        j.mark_sending(entry.id)  # once there is room, it works
        assert j.verify_chain().ok


def test_a_failed_commit_is_rolled_back(path, seal):
    class Disk(FullDisk):
        def execute(self, sql, *args):
            if type(self).full and sql == "COMMIT":
                raise sqlite3.OperationalError("disk I/O error")
            return sqlite3.Connection.execute(self, sql, *args)

    with open_journal(path, seal, connection_class=Disk) as j:
        (entry,) = j.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
        Disk.full = True
        with pytest.raises(JournalWriteError, match="I/O"):
            j.mark_sending(entry.id)
        Disk.full = False
        assert j.get(entry.id).state is State.QUEUED


def test_a_marker_that_cannot_be_written_does_not_undo_the_commit(path, seal, caplog):
    def broken(events, last_hash):
        raise OSError("read-only config folder")

    with open_journal(path, seal, on_commit=broken) as j:
        j.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
        assert len(j.pending()) == 1
    assert "start-up marker" in caplog.text


def test_a_bug_in_a_write_is_not_called_a_full_disk(journal):
    with pytest.raises(sqlite3.IntegrityError):
        journal.queue("T-1", [Discount(id="x", name="x", points=-1, redemption_url="https://x/y")],
                      staff=CASHIER, shopper_masked="", contact_id="")


# -- upgrading a schema-1 journal ------------------------------------------------------------------

V1_FIELDS = ("id", "at", "event", "store", "terminal", "transaction_id", "discount_id", "discount_name",
             "pos_discount_id", "points", "detail", "prev_hash")


def v1_journal(path, *, edit_state: bool = False, break_chain: bool = False) -> None:
    """A journal as schema 1 wrote it: an unknown redemption, a resolved one and a queued one."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN")
        for statement in _statements(MIGRATIONS[1]):
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        moment = "2024-05-31T18:00:00.000000+00:00"
        for n, state in ((1, "unknown"), (2, "redeemed"), (3, "queued")):
            db.execute("INSERT INTO redemptions (id, store, terminal, transaction_id, discount_id, discount_name, "
                       "points, state, created_at, updated_at, redemption_url) VALUES (?, 'Main St', 't', 'T-1', ?, ?, "
                       "100, ?, ?, ?, ?)", (n, f"d{n}", f"D{n}", state, moment, moment,
                                            "" if state == "redeemed" else f"https://x/{TOKEN}{n}"))
        events = [(1, "queued", ""), (2, "queued", ""), (3, "queued", ""), (1, "sent", "attempt 1"),
                  (1, "unknown", "no answer"), (2, "sent", "attempt 1"), (2, "unknown", "no answer"),
                  (2, "resolved", "redeemed by Dana: in AIQ's report")]
        prev = GENESIS_HASH
        for number, (n, event, detail) in enumerate(events, start=1):
            fields = dict(zip(V1_FIELDS, (number, moment, event, "Main St", "t", "T-1", f"d{n}", f"D{n}", "", 100,
                                          detail, prev), strict=True))
            fields["hash"] = row_hash(fields, None)
            db.execute(f"INSERT INTO audit ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                       list(fields.values()))
            prev = fields["hash"]
        db.execute("COMMIT")
    if edit_state:
        edit(path, "UPDATE redemptions SET state = 'queued' WHERE id = 1")
    if break_chain:
        edit(path, "UPDATE audit SET detail = 'changed' WHERE id = 5")


def test_a_schema_1_journal_is_re_keyed_when_its_chain_verifies(path, seal):
    v1_journal(path)
    with open_journal(path, seal) as j:
        report = j.verify_chain()
        assert report.ok and report.keyed and report.rows == 8
        assert j.tampered() == []
        assert [(r.entry_id, r.state) for r in j.audit.rows()][-3:] == [(2, "sending"), (2, "unknown"), (2, "redeemed")]
        assert [e.id for e in j.queued_to_send()] == [3]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_state_edited_before_the_upgrade_shows_after_it(path, seal):
    v1_journal(path, edit_state=True)
    with open_journal(path, seal) as j:
        assert [e.id for e in j.queued_to_send()] == [3], "the edited unknown row is not sent"
        assert "audit trail says 'unknown'" in j.tampered()[0][1]


def test_a_broken_schema_1_chain_is_not_re_keyed_and_still_shows(path, seal):
    v1_journal(path, break_chain=True)
    with open_journal(path, seal) as j:
        report = j.verify_chain()
        assert (report.ok, report.bad_id, report.problem) == (False, 5, "edited")
        # the queued row's last event comes before the break: nothing proves none came after it
        assert j.queued_to_send() == []
        with pytest.raises(JournalTampered):
            j.mark_sending(3)
        j.record_event("pin_skipped", staff=CASHIER)  # new events chain on, keyed
        assert j.audit.rows()[-1].prev_hash == j.audit.rows()[-2].hash
        last = j.audit.rows()[-1]
        assert j.audit.hash_of(last) == row_hash(asdict(last), KEY)


def test_the_upgrade_is_one_transaction(path, seal):
    v1_journal(path)

    class Disk(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql.startswith("UPDATE audit SET prev_hash"):
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, *args)

    with pytest.raises(JournalUnwritable):
        open_journal(path, seal, connection_class=Disk)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        assert "entry_id" not in [c[1] for c in db.execute("PRAGMA table_info(audit)")]
    with open_journal(path, seal) as j:  # and it upgrades fine next time
        assert j.verify_chain().ok


def test_an_unexpected_history_replays_to_a_state_nobody_sends(path, seal):
    v1_journal(path)
    edit(path, "INSERT INTO audit (id, at, event, store, terminal, transaction_id, discount_id, discount_name, "
               "pos_discount_id, points, detail, prev_hash, hash) VALUES (9, 'x', 'reversed', 'Main St', 't', 'T-1', "
               "'d3', 'D3', '', 100, '', 'p', 'h')")
    with open_journal(path, seal) as j:
        assert j.queued_to_send() == []
        assert "Redemption #3" in j.tampered()[0][1]
    assert _replay(("queued", ""), "reversed", "") == ("?", "")
    assert _replay(None, "sent", "") == ("?", "")
    assert _replay(("unknown", ""), "resolved", "retry by Dana: x") == ("queued", "")


# -- the export joins the one before -----------------------------------------------------------------

def export(journal) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    journal.export_csv(out, date(2024, 5, 1), tz=UTC)
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def test_each_export_shows_where_it_joins_the_one_before(journal):
    an_unknown_and_a_queued(journal)
    first = export(journal)
    assert [r["event_number"] for r in first] == ["1", "2", "3", "4"]
    assert first[0]["prev_hash"] == GENESIS_HASH
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(first))
    journal.mark_sending(2)
    second = export(journal)
    assert second[len(first)]["prev_hash"] == first[-1]["hash"]


def test_a_trail_cut_at_its_end_shows_in_the_next_export(journal, path):
    an_unknown_and_a_queued(journal)
    before = export(journal)
    edit(path, "DELETE FROM audit WHERE id >= 3")  # the last events, cut (the chain stays valid)
    assert journal.verify_chain().ok
    journal.record_event("pin_skipped", staff=CASHIER)
    after = export(journal)
    new = after[-1]
    assert new["event_number"] == "3" and new["prev_hash"] != before[-1]["hash"]


def test_a_row_deleted_by_hand_is_told(journal, path):
    unknown, _ = an_unknown_and_a_queued(journal)
    edit(path, "DELETE FROM redemptions WHERE id = ?", unknown.id)
    ((entry_id, problem),) = journal.tampered()
    assert entry_id == unknown.id and "'unknown' but its row was deleted" in problem


def test_deleting_a_rows_later_events_to_match_a_hand_edit_is_caught_before_sending(journal, path):
    """Events #3 and #4 (row 1 sent, unknown) deleted and the row set back to 'queued': its last
    event left is a genuine 'queued', but the chain after it is broken, so it is not sent."""
    unknown, queued = an_unknown_and_a_queued(journal)
    journal.mark_sending(queued.id)
    journal.mark_redeemed(queued.id, "R-2")
    assert [r.event for r in journal.audit.rows()] == ["queued", "queued", "sent", "unknown", "sent", "redeemed"]
    edit(path, "DELETE FROM audit WHERE id IN (3, 4)")
    edit(path, "UPDATE redemptions SET state = 'queued' WHERE id = ?", unknown.id)
    assert journal.queued_to_send() == []
    with pytest.raises(JournalTampered, match="audit trail after its last event was altered"):
        journal.mark_sending(unknown.id)
    assert [i for i, _ in journal.tampered()] == [unknown.id]


def test_start_up_walks_the_chain_from_its_keyed_checkpoint(journal, path):
    an_unknown_and_a_queued(journal)
    assert journal.verify_recent().ok  # the first walk: everything, then a checkpoint at #4
    journal.record_event("pin_skipped", staff=CASHIER)
    assert journal.verify_recent().ok  # from #4 on
    edit(path, "UPDATE audit SET detail = 'x' WHERE id = 5")
    report = journal.verify_recent()
    assert (report.ok, report.bad_id) == (False, 5)


def test_a_forged_checkpoint_is_not_trusted(journal, path):
    an_unknown_and_a_queued(journal)
    edit(path, "UPDATE audit SET detail = 'x' WHERE id = 1")
    last = journal.audit.rows()[-1]
    edit(path, "INSERT OR REPLACE INTO journal_meta VALUES ('verified', ?)", f"4:{last.hash}:{'0' * 64}")
    assert journal.verify_recent().bad_id == 1
    edit(path, "INSERT OR REPLACE INTO journal_meta VALUES ('verified', 'garbage')")
    assert journal.verify_recent().bad_id == 1


def test_it_puts_edited_rows_back_as_their_trail_says(journal, path):
    unknown, queued = an_unknown_and_a_queued(journal)
    edit(path, "UPDATE redemptions SET state = 'queued' WHERE id = ?", unknown.id)
    edit(path, "UPDATE redemptions SET state = 'redeemed' WHERE id = ?", queued.id)  # hides nothing sent
    done = journal.restore_states()
    assert len(done) == 2 and "put it back to 'unknown'" in done[0]
    assert journal.tampered() == []
    assert [e.state for e in journal.pending()] == [State.UNKNOWN, State.QUEUED]
    assert journal.audit.rows()[-1].event == "state_restored" and journal.verify_chain().ok
    journal.resolve(unknown.id, "abandoned", "not in AIQ's report", Actor.typed("Dana"))  # a manager can now decide


def test_rows_the_trail_cannot_vouch_for_are_left_alone(journal, path):
    unknown, _ = an_unknown_and_a_queued(journal)
    edit(path, "UPDATE redemptions SET state = 'queued' WHERE id = ?", unknown.id)
    edit(path, "UPDATE audit SET state = 'queued' WHERE id = 4")  # its event edited too: HMAC fails
    assert journal.restore_states() == []
    # and the queued row too: the chain after its last event is broken now, so it is not sent either
    assert [i for i, _ in journal.tampered()] == [unknown.id, unknown.id + 1]
