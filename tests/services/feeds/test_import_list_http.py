"""What was sent, imports too (issue 16): each import of a POS file is listed (when, who, the file's
name, kind, batches sent / refused with AIQ's reasons / not yet sent; never a dry run), and the
shift report counts the day's imports. Imports run against the simulator over real HTTP."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.feed_imports import NAME_LIMIT, shown_file_name
from budtender_app.domain.feed_mapping import FeedKind
from budtender_app.domain.receipt import SlipHeader
from budtender_app.domain.shift_report import day_range
from budtender_app.domain.shift_text import report_slip, report_text
from budtender_app.domain.shifts import Shift
from budtender_app.services.aiq_config import AiqConfig
from budtender_app.services.feeds.client import FeedClient
from budtender_app.services.feeds.import_list import LIST_LIMIT, count_imports, list_imports
from budtender_app.services.feeds.importer import FeedImporter, Outcome
from budtender_app.services.feeds.progress import ProgressStore
from budtender_app.services.shift_report import csv_rows, make_report
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from tests.helpers import make_journal

AT = datetime(2026, 12, 2, 12, tzinfo=UTC)
CLOCK = Clock.fixed(AT)
MAX = Actor("2", "Max Manager")
DANA = Actor("7", "Dana Cashier")
INVENTORY = "/api/v1.1/createUpdateInventory"


def items(folder, count, name="items.csv"):
    path = folder / name
    path.write_text("sku,name\n" + "".join(f"S{n:05d},Item {n}\n" for n in range(count)), encoding="utf-8")
    return path


@pytest_asyncio.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def progress(tmp_path):
    store = ProgressStore(tmp_path / "feed-imports.sqlite3", CLOCK)
    yield store
    store.close()


def importer(http, server, progress, who=MAX, store="Main St"):
    client = FeedClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
    return FeedImporter(client, progress, store=store, clock=CLOCK, pause=lambda n: 0.0, who=who)


@pytest.mark.asyncio
async def test_each_import_is_listed_with_who_and_its_batches_state(http, server, progress, tmp_path):
    path = progress.path
    assert list_imports(path.parent / "none.sqlite3", "Main St") == []  # no import yet: no file made
    assert not (path.parent / "none.sqlite3").exists()
    mine = importer(http, server, progress)
    dry = mine.check(FeedKind.INVENTORY, items(tmp_path, 50, "dry.csv"))  # a dry run is a check alone
    assert dry.problem_count == 0
    server.inject(400, path_prefix=INVENTORY, body={"success": False, "message": "Inventory locked"})
    refused = await mine.run(mine.check(FeedKind.INVENTORY, items(tmp_path, 250)))
    assert refused.outcome is Outcome.REFUSED
    cancel = threading.Event()
    cancel.set()
    stopped = await importer(http, server, progress, who=DANA).run(
        mine.check(FeedKind.INVENTORY, items(tmp_path, 150, "later.csv")), cancel=cancel)
    assert stopped.outcome is Outcome.CANCELLED
    listed = list_imports(path, "Main St")
    assert [(r.file_name, r.who, r.kind, r.batches, r.sent, r.refused, r.waiting) for r in listed] == [
        ("later.csv", "Dana Cashier", FeedKind.INVENTORY, 2, 0, 0, 2),
        ("items.csv", "Max Manager", FeedKind.INVENTORY, 3, 2, 1, 0)]
    assert listed[1].state_text() == ("2 of 3 batches sent · 1 refused by AIQ: batch 1 (lines 2-101): AIQ did not "
                                      "accept this inventory batch: Inventory locked")
    assert listed[0].state_text() == "0 of 2 batches sent · 2 not sent yet (import the same file again to go on)"
    assert list_imports(path, "Other St") == []  # another store's list is its own


@pytest.mark.asyncio
async def test_a_file_named_with_odd_characters_is_listed_safely(http, server, progress, tmp_path):
    odd = "sales\u202e\u200bvsc.exe\t–ünïcode 'quotes' \"and\" ; DROP TABLE imports;--.csv"
    mine = importer(http, server, progress)
    result = await mine.run(mine.check(FeedKind.INVENTORY, items(tmp_path, 3, odd)))
    assert result.outcome is Outcome.DONE
    (row,) = list_imports(progress.path, "Main St")
    assert row.file_name == "sales??vsc.exe?–ünïcode 'quotes' \"and\" ; DROP TABLE imports;--.csv"
    assert str(tmp_path) not in row.file_name  # the name only, never the folder


@given(st.text(max_size=400))
def test_a_shown_name_has_no_control_or_bidi_characters_and_is_bounded(name):
    import unicodedata

    shown = shown_file_name(name)
    assert len(shown) <= NAME_LIMIT
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in shown)


def test_a_huge_listing_is_bounded_and_quick(tmp_path):
    store = ProgressStore(tmp_path / "feed-imports.sqlite3", CLOCK)
    try:
        for n in range(1000):
            import_id = store.begin("Main St", FeedKind.INVENTORY, f"{n:064x}", f"file-{n}.csv", 50, MAX)
            for b in range(1, 21):  # every batch refused: the reasons listed are bounded too
                store.record(import_id, b, (b * 100, b * 100 + 99), 100, f"d{n}-{b}", "AIQ said no " * 20)
    finally:
        store.close()
    began = time.perf_counter()
    listed = list_imports(tmp_path / "feed-imports.sqlite3", "Main St")
    took = time.perf_counter() - began
    assert len(listed) == LIST_LIMIT and all(len(r.reasons) == 3 and r.refused == 20 for r in listed)
    assert "; and 17 more" in listed[0].state_text()
    assert took < 2.0, took


def test_a_progress_file_from_before_who_was_kept_still_lists_and_counts(tmp_path):
    path = tmp_path / "feed-imports.sqlite3"
    with sqlite3.connect(path) as conn:  # the schema as the first release wrote it
        conn.executescript("""
            CREATE TABLE imports (id INTEGER PRIMARY KEY, store TEXT NOT NULL, kind TEXT NOT NULL,
                file_hash TEXT NOT NULL, file_name TEXT NOT NULL, batches INTEGER NOT NULL, started_at TEXT NOT NULL,
                updated_at TEXT NOT NULL, UNIQUE (store, kind, file_hash));
            CREATE TABLE batches (import_id INTEGER NOT NULL, number INTEGER NOT NULL, first_line INTEGER NOT NULL,
                last_line INTEGER NOT NULL, items INTEGER NOT NULL, digest TEXT NOT NULL, state TEXT NOT NULL,
                reason TEXT NOT NULL DEFAULT '', at TEXT NOT NULL, PRIMARY KEY (import_id, number));""")
        conn.execute("INSERT INTO imports VALUES (1, 'Main St', 'members', 'h', 'm.csv', 1, ?, ?)",
                     (AT.isoformat(), AT.isoformat()))
        conn.execute("INSERT INTO batches VALUES (1, 1, 2, 3, 2, 'd', 'sent', '', ?)", (AT.isoformat(),))
    conn.close()
    (row,) = list_imports(path, "Main St")
    assert (row.file_name, row.who, row.sent) == ("m.csv", "", 1)
    span = day_range(AT.date(), UTC)
    assert count_imports(path, "Main St", span.start, span.end).imports == 1
    assert count_imports(path, "Main St", span.start, span.end, who_id="7").imports == 0
    ProgressStore(path, CLOCK).close()  # opened by the app: the columns are added, the rows kept
    assert list_imports(path, "Main St")[0].sent == 1


@pytest.mark.asyncio
async def test_the_shift_report_counts_the_days_imports(http, server, progress, tmp_path):
    server.inject(400, path_prefix=INVENTORY, body={"success": False, "message": "Inventory locked"})
    mine = importer(http, server, progress)
    await mine.run(mine.check(FeedKind.INVENTORY, items(tmp_path, 250)))
    theirs = importer(http, server, progress, who=DANA)
    await theirs.run(theirs.check(FeedKind.INVENTORY, items(tmp_path, 20, "dana.csv")))
    with make_journal(tmp_path, "Main St", clock=CLOCK) as journal:
        day = day_range(AT.date(), UTC)
        report = make_report(journal.path, day, store="Main St", imports=progress.path)
        line = ("Files imported into AIQ's feeds (sales, members, inventory): 2 files, 3 batches sent, "
                "1 refused by AIQ.")
        assert line in report.notes and line in report_text(report) and ["note", line] in csv_rows(report)
        slip = report_slip(report, SlipHeader("Main St", "till-1", AT))
        assert any(line in text or text in line for text in slip.lines if "Files imported" in text)
        shift = Shift(1, DANA, AT - timedelta(hours=1), AT + timedelta(hours=1), "signed out")
        theirs_only = make_report(journal.path, shift.span(UTC), store="Main St", imports=progress.path, shift=shift)
        assert ("Files imported into AIQ's feeds (sales, members, inventory): 1 file, 1 batch sent, "
                "0 refused by AIQ.") in theirs_only.notes
        tomorrow = make_report(journal.path, day_range(AT.date() + timedelta(days=1), UTC), store="Main St",
                               imports=progress.path)
        assert not any("Files imported" in n for n in tomorrow.notes)
