"""The redemption journal: written before the network, one row per (transaction, discount), and
what a crash or a second copy of the app leaves behind. No Qt here."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import Action
from budtender_app.domain.redemption import Status
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import (
    SCHEMA_VERSION,
    STOPPED_WHILE_SENDING,
    Journal,
    JournalError,
    JournalLock,
    JournalLocked,
    JournalStateError,
    ReversalPhase,
    State,
    default_journal_path,
    reversal_note,
)

CASHIER = Actor("7", "Dana Cashier")

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok3nSECRETvalue99"
START = datetime(2024, 5, 31, 18, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand: one second per reading, so events keep their order."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def discount(n: int = 1, points: int = 100, **kw) -> Discount:
    return Discount(
        id=f"d{n}", name=kw.pop("name", f"Discount {n}"), points=points,
        redemption_url=f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d{n}/{TOKEN}{n}",
        pos_discount_id=kw.pop("pos", f"POS-{n}"), **kw,
    )


def open_journal(path, *, store="Main St", terminal="till-1", lock=None, clock=None) -> Journal:
    return Journal(path, store=store, terminal=terminal, clock=clock or Clock(), lock=lock)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def journal(path):
    lock = JournalLock(path).acquire()
    j = open_journal(path, lock=lock)
    yield j
    j.close()


def queue(journal, *discounts, txid="T-1001"):
    return journal.queue(txid, list(discounts) or [discount(1), discount(2)],
                         staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-77")


@contextmanager
def raw(path) -> Iterator[sqlite3.Connection]:
    """A second connection, as another process (or the next start of the app) would see the file."""
    with closing(sqlite3.connect(path)) as conn, conn:
        yield conn


# -- queue --------------------------------------------------------------------------------------

def test_queue_writes_every_discount_in_order_before_anything_is_sent(journal, path):
    entries = queue(journal, discount(1, 100, dollar_value=Decimal(10)), discount(2, 250, percentage_value=Decimal(15)))
    assert [(e.discount_id, e.points, e.state, e.attempts) for e in entries] == [
        ("d1", 100, State.QUEUED, 0), ("d2", 250, State.QUEUED, 0)]
    assert [e.value_text for e in entries] == ["$10.00 off", "15% off"]
    assert entries[0].as_discount().dollar_value == Decimal(10)
    assert entries[0].redemption_url.endswith(TOKEN + "1")  # needed to send
    with raw(path) as other:
        assert other.execute("SELECT count(*) FROM redemptions WHERE state = 'queued'").fetchone() == (2,)


def test_confirming_the_same_transaction_twice_returns_the_first_rows_untouched(journal, path):
    first = queue(journal)
    journal.mark_sending(first[0].id)
    journal.mark_redeemed(first[0].id, "R-1")
    again = queue(journal, discount(1), discount(2), discount(3))
    assert [e.id for e in again[:2]] == [e.id for e in first]
    assert [e.state for e in again] == [State.REDEEMED, State.QUEUED, State.QUEUED]
    with raw(path) as other:
        assert other.execute("SELECT count(*) FROM redemptions").fetchone() == (3,)
        assert other.execute("SELECT count(*) FROM audit WHERE event = 'queued'").fetchone() == (3,)


def test_the_same_discount_in_another_transaction_or_store_is_its_own_row(journal, path):
    a = queue(journal, discount(1), txid="T-1")
    b = queue(journal, discount(1), txid="T-2")
    other_store = open_journal(path, store="Elm St")
    c = queue(other_store, discount(1), txid="T-1")
    other_store.close()
    assert len({a[0].id, b[0].id, c[0].id}) == 3


def test_queue_is_all_or_nothing(journal, path):
    with pytest.raises(sqlite3.IntegrityError):
        queue(journal, discount(1), discount(2, points=-5))  # the table refuses negative points
    with raw(path) as other:
        assert other.execute("SELECT count(*) FROM redemptions").fetchone() == (0,)
        assert other.execute("SELECT count(*) FROM audit").fetchone() == (0,)


def test_a_full_phone_number_is_refused(journal):
    with pytest.raises(ValueError, match="masked"):
        journal.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="5551234567", contact_id="C-1")


# -- sending and its outcomes -------------------------------------------------------------------

def test_mark_sending_is_on_disk_before_it_returns(journal, path):
    entry = queue(journal)[0]
    journal.mark_sending(entry.id)
    with raw(path) as other:  # no commit of ours in between: it was committed inside mark_sending
        row = other.execute("SELECT state, attempts FROM redemptions WHERE id = ?", (entry.id,)).fetchone()
        assert row == ("sending", 1)


def test_a_row_can_be_sent_only_once_at_a_time(journal):
    entry = queue(journal)[0]
    journal.mark_sending(entry.id)
    with pytest.raises(JournalStateError, match="sending"):
        journal.mark_sending(entry.id)


@pytest.mark.parametrize(("steps", "state", "attempts"), [
    (["redeemed"], State.REDEEMED, 1),
    (["rejected"], State.REJECTED, 1),
    (["unknown"], State.UNKNOWN, 1),
    (["not_sent"], State.QUEUED, 1),
    (["not_sent", "not_sent", "redeemed"], State.REDEEMED, 3),
])
def test_outcomes_of_sending(journal, steps, state, attempts):
    entry = queue(journal)[0]
    for step in steps:
        journal.mark_sending(entry.id)
        entry = {
            "redeemed": lambda i: journal.mark_redeemed(i, "R-9"),
            "rejected": lambda i: journal.mark_rejected(i, "Discount expired"),
            "unknown": lambda i: journal.mark_unknown(i, "AIQ did not answer in time"),
            "not_sent": lambda i: journal.mark_not_sent(i, "Cannot reach AIQ"),
        }[step](entry.id)
    assert (entry.state, entry.attempts) == (state, attempts)


@pytest.mark.parametrize("mark", ["mark_redeemed", "mark_rejected", "mark_unknown", "mark_not_sent"])
def test_an_answer_needs_a_request_in_flight(journal, mark):
    entry = queue(journal)[0]
    with pytest.raises(JournalStateError):
        getattr(journal, mark)(entry.id, "x")
    assert journal.get(entry.id).state is State.QUEUED


def test_the_token_is_kept_until_final_then_wiped_and_never_in_a_repr(journal, path):
    entry = queue(journal)[0]
    assert TOKEN not in repr(entry)
    journal.mark_sending(entry.id)
    journal.mark_not_sent(entry.id, f"could not connect to {entry.redemption_url}/T-1001 ({TOKEN}1) "
                                    "via http://proxy.example/x?t=abc")
    queued = journal.get(entry.id)
    assert queued.redemption_url  # may be sent again
    assert queued.message == "could not connect to ***/T-1001 (***) via [link]"
    journal.mark_sending(entry.id)
    journal.mark_redeemed(entry.id, "R-1")
    with raw(path) as other:
        assert other.execute("SELECT redemption_url FROM redemptions WHERE id = ?", (entry.id,)).fetchone() == ("",)


def test_outcome_for_the_screen_and_the_record(journal):
    a, b, c = queue(journal, discount(1), discount(2), discount(3))
    for e in (a, b):
        journal.mark_sending(e.id)
    assert journal.mark_redeemed(a.id, "R-1").outcome().status is Status.REDEEMED
    assert journal.mark_unknown(b.id, "timeout").outcome().status is Status.UNKNOWN
    assert journal.get(c.id).outcome().status is Status.NOT_SENT
    assert journal.get(a.id).outcome().redemption_id == "R-1"
    assert journal.get(a.id).outcome().points_deducted == 100


# -- restart and manager resolution -------------------------------------------------------------

def test_recover_after_restart_turns_sending_into_unknown_and_lists_what_is_pending(journal):
    a, b, c = queue(journal, discount(1), discount(2), discount(3))
    journal.mark_sending(a.id)
    journal.mark_sending(b.id)
    journal.mark_redeemed(b.id, "")
    pending = journal.recover_after_restart()
    assert [(e.id, e.state) for e in pending] == [(a.id, State.UNKNOWN), (c.id, State.QUEUED)]
    assert pending[0].message == STOPPED_WHILE_SENDING and pending[0].needs_manager
    assert [e.id for e in journal.queued_to_send()] == [c.id]  # the unknown one is never sent by itself


def test_recover_needs_this_apps_lock(path):
    j = open_journal(path)
    with pytest.raises(JournalError, match="JournalLock"):
        j.recover_after_restart()
    j.close()


@pytest.mark.parametrize(("start", "action", "state"), [
    ("unknown", "redeemed", State.REDEEMED),
    ("unknown", "abandoned", State.ABANDONED),
    ("unknown", "retry", State.QUEUED),
    ("queued", "abandoned", State.ABANDONED),
    ("rejected", "retry", State.QUEUED),
])
def test_a_manager_resolves(journal, path, start, action, state):
    entry = queue(journal)[0]
    if start != "queued":
        journal.mark_sending(entry.id)
        getattr(journal, f"mark_{start}")(entry.id, "no answer")
    done = journal.resolve(entry.id, action, "Checked AIQ's redemption report", Actor.typed("Dana"))
    assert (done.state, done.resolved_by, done.resolution_reason) == (state, "Dana", "Checked AIQ's redemption report")
    with raw(path) as other:
        assert other.execute("SELECT event, detail FROM audit ORDER BY id DESC LIMIT 1").fetchone() == (
            "resolved", f"{action} by Dana: Checked AIQ's redemption report")


@pytest.mark.parametrize(("start", "action"), [
    ("queued", "redeemed"), ("queued", "retry"), ("redeemed", "abandoned"), ("redeemed", "retry"),
    ("rejected", "redeemed"),
])
def test_a_manager_cannot_resolve_what_is_not_open(journal, start, action):
    entry = queue(journal)[0]
    if start != "queued":
        journal.mark_sending(entry.id)
        getattr(journal, f"mark_{start}")(entry.id, "x")
    before = journal.get(entry.id)
    with pytest.raises(JournalStateError):
        journal.resolve(entry.id, action, "reason", Actor.typed("Dana"))
    assert journal.get(entry.id) == before


def test_a_resolution_needs_a_reason_and_a_manager(journal):
    entry = queue(journal)[0]
    for reason, manager in (("", "Dana"), ("why", "  ")):
        with pytest.raises(ValueError):
            journal.resolve(entry.id, "abandoned", reason, Actor.typed(manager))


# -- reversals ----------------------------------------------------------------------------------

@pytest.fixture
def redeemed(journal):
    entry = queue(journal)[0]
    journal.mark_sending(entry.id)
    return journal.mark_redeemed(entry.id, "R-1")


def test_a_reversal_is_queued_once(journal, redeemed):
    first = journal.queue_reversal(redeemed.id, staff=CASHIER)
    second = journal.queue_reversal(redeemed.id, staff=CASHIER)
    assert first == second
    assert (first.state, first.reversal_phase) == (State.REVERSING, ReversalPhase.QUEUED)
    assert journal.reversals_to_send() == [first]
    journal.mark_reversal_sending(redeemed.id)
    with pytest.raises(JournalStateError):
        journal.mark_reversal_sending(redeemed.id)
    done = journal.mark_reversed(redeemed.id, reversal_note(first))
    assert (done.state, done.reversal_phase, done.reversal_attempts) == (State.REVERSED, None, 1)
    assert journal.queue_reversal(redeemed.id, staff=CASHIER) == done  # reversing a reversed one does nothing
    assert journal.reversals_to_send() == []


def test_only_a_redeemed_discount_can_be_reversed(journal):
    entry = queue(journal)[0]
    with pytest.raises(JournalStateError):
        journal.queue_reversal(entry.id, staff=CASHIER)


def test_a_refused_reversal_leaves_the_points_taken(journal, redeemed):
    journal.queue_reversal(redeemed.id, staff=CASHIER)
    journal.mark_reversal_sending(redeemed.id)
    back = journal.mark_failed(redeemed.id, Action.REVERSAL_REJECTED, "Contact not found")
    assert (back.state, back.reversal_phase, back.message) == (State.REDEEMED, None, "Contact not found")


def test_an_unknown_reversal_waits_for_a_manager(journal, redeemed):
    journal.queue_reversal(redeemed.id, staff=CASHIER)
    journal.mark_reversal_sending(redeemed.id)
    journal.mark_failed(redeemed.id, Action.REVERSAL_NOT_SENT, "Cannot reach AIQ")
    assert journal.reversals_to_send()[0].reversal_phase is ReversalPhase.QUEUED
    journal.mark_reversal_sending(redeemed.id)
    unknown = journal.mark_failed(redeemed.id, Action.REVERSAL_UNKNOWN, "timeout")
    assert unknown.needs_manager and unknown in journal.pending()
    assert journal.reversals_to_send() == []
    assert journal.resolve_reversal(redeemed.id, "reversed", "Seen in AIQ", Actor.typed("Dana")).state is State.REVERSED


def test_a_reversal_in_flight_at_a_crash_becomes_unknown(path):
    lock = JournalLock(path).acquire()
    j = open_journal(path, lock=lock)
    entry = queue(j, discount(1))[0]
    j.mark_sending(entry.id)
    j.mark_redeemed(entry.id)
    j.queue_reversal(entry.id, staff=CASHIER)
    j.mark_reversal_sending(entry.id)
    pending = j.recover_after_restart()
    assert [(e.state, e.reversal_phase, e.message) for e in pending] == [
        (State.REVERSING, ReversalPhase.UNKNOWN, STOPPED_WHILE_SENDING)]
    j.close()


def test_reversal_note_names_transaction_and_discount(redeemed):
    note = reversal_note(redeemed)
    assert "T-1001" in note and "Discount 1" in note and "POS-1" in note


# -- reading ------------------------------------------------------------------------------------

def test_pending_and_sending_are_per_store_unless_asked(journal, path):
    queue(journal, discount(1), txid="T-1")
    elm = open_journal(path, store="Elm St")
    queue(elm, discount(2), txid="T-2")
    assert [e.store for e in journal.pending()] == ["Main St"]
    assert [e.store for e in journal.queued_to_send()] == ["Main St"]  # never send with another store's key
    assert sorted(e.store for e in journal.pending(all_stores=True)) == ["Elm St", "Main St"]
    elm.close()


def test_for_transaction_and_between(path):
    clock = Clock()
    lock = JournalLock(path).acquire()
    j = open_journal(path, lock=lock, clock=clock)
    queue(j, discount(1), txid="T-1")
    clock.now += timedelta(days=1)
    queue(j, discount(1), discount(2), txid="T-2")
    assert [e.discount_id for e in j.for_transaction("T-2")] == ["d1", "d2"]
    assert j.for_transaction("nope") == []
    day_two = j.between(START + timedelta(hours=12), START + timedelta(days=2))
    assert [e.transaction_id for e in day_two] == ["T-2", "T-2"]
    j.close()


def test_the_journal_can_be_used_from_a_worker_thread(journal):
    entries = asyncio.run(asyncio.to_thread(queue, journal))
    assert journal.get(entries[0].id).state is State.QUEUED


# -- the file -----------------------------------------------------------------------------------

def test_the_file_is_durable_and_versioned(journal, path):
    assert journal._conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL: tills lose power
    with raw(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert other.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_only_the_user_can_read_the_file(journal, path):
    queue(journal)
    for name in (path, Path(str(path) + "-wal")):
        assert name.stat().st_mode & 0o077 == 0, name


def test_a_journal_from_a_newer_app_is_refused(path):
    open_journal(path).close()
    with raw(path) as other:
        other.execute("PRAGMA user_version = 99")
    with pytest.raises(JournalError, match="newer version"):
        open_journal(path)


def test_reopening_keeps_everything(path):
    j = open_journal(path)
    queue(j)
    j.close()
    j = open_journal(path)
    assert len(j.pending()) == 2 and j.verify_chain().ok
    j.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="conftest redirects XDG folders only")
def test_the_default_file_is_in_the_users_data_folder(tmp_path):
    # conftest points XDG_DATA_HOME at the test's own folder
    assert default_journal_path() == tmp_path / "data" / "budtender-app" / "journal.sqlite3"


# -- real processes: a crash, and a second copy of the app ------------------------------------

def _python(script: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env, text=True, **kw)


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_a_process_killed_right_after_mark_sending_leaves_an_unknown_redemption(path):
    child = _python(f"""
        import os, signal
        from budtender_app.domain.actor import Actor
        from budtender_app.domain.wallet import Discount
        from budtender_app.services.journal import Journal, JournalLock
        lock = JournalLock({str(path)!r}).acquire()
        j = Journal({str(path)!r}, store="Main St", terminal="till-1", lock=lock)
        d = Discount("d1", "Ten off", "https://lab.alpineiq.com/api/v1.1/discount/redeem/1/d1/{TOKEN}", 100)
        entry = j.queue("T-9", [d], staff=Actor.counter, shopper_masked="***-***-4567", contact_id="C-1")[0]
        j.mark_sending(entry.id)
        os.kill(os.getpid(), signal.SIGKILL)  # the PUT would go out now
    """)
    assert child.wait(timeout=30) == -signal.SIGKILL
    lock = JournalLock(path).acquire()  # the dead process's lock is gone
    j = open_journal(path, lock=lock)
    assert [e.state for e in j.for_transaction("T-9")] == [State.SENDING]
    pending = j.recover_after_restart()
    assert [(e.transaction_id, e.state, e.message) for e in pending] == [("T-9", State.UNKNOWN, STOPPED_WHILE_SENDING)]
    assert j.queued_to_send() == []
    assert j.verify_chain().ok
    j.close()


def test_a_second_copy_cannot_take_the_lock_until_the_first_is_closed(path):
    first = JournalLock(path).acquire()
    with pytest.raises(JournalLocked, match="Another copy of the terminal is already running"):
        JournalLock(path).acquire()
    first.release()
    with JournalLock(path) as second:
        assert second.held
    assert not second.held


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_the_lock_of_a_killed_process_is_free(path):
    child = _python(f"""
        import sys
        from budtender_app.services.journal import JournalLock
        JournalLock({str(path)!r}).acquire()
        print("locked", flush=True)
        sys.stdin.read()  # hold it until killed
    """, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == "locked\n"
        with pytest.raises(JournalLocked):
            JournalLock(path).acquire()
        assert Path(str(path) + ".lock").read_text().strip() == str(child.pid)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdin.close()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    lock = JournalLock(path).acquire()
    assert lock.held
    lock.release()


def test_closing_the_journal_releases_its_lock(path):
    j = open_journal(path, lock=JournalLock(path).acquire())
    j.close()
    JournalLock(path).acquire().release()


# -- a journal edited by hand ---------------------------------------------------------------------

@pytest.mark.asyncio
async def test_an_unknown_row_edited_back_to_queued_is_not_sent_at_the_next_start(path):
    """`UPDATE redemptions SET state='queued' WHERE state='unknown'` must not make the next start
    send it again: its audit trail still says unknown."""
    from budtender_app.services.redemption_sender import RedemptionSender

    j = open_journal(path, lock=JournalLock(path).acquire())
    (entry,) = queue(j, discount(1))
    j.mark_sending(entry.id)
    j.mark_unknown(entry.id, "AIQ did not answer")
    j.close()
    with raw(path) as other:
        other.execute("UPDATE redemptions SET state = 'queued' WHERE state = 'unknown'")

    class Api:
        sent: ClassVar[list[str]] = []

        async def redeem(self, url, transaction_id):
            self.sent.append(url)
            return "R-1"

    j = open_journal(path, lock=JournalLock(path).acquire())
    j.recover_after_restart()
    await RedemptionSender(Api(), j).send_queued()
    j.close()
    assert Api.sent == [], "sent again"
