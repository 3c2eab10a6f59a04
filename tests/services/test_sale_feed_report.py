"""The shift report counts the sales this terminal fed to AIQ (issue 16): sent, waiting, refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.shift_report import day_range
from budtender_app.domain.shift_text import report_text
from budtender_app.services.sale_feed.outbox import SaleOutbox
from budtender_app.services.shift_report import csv_rows, make_report
from tests.helpers import make_journal

CASHIER = Actor("7", "Dana Cashier")
AT = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def test_the_report_counts_fed_sales_by_their_last_word(tmp_path):
    with make_journal(tmp_path, "Main St", clock=Clock.fixed(AT)) as journal:
        outbox = SaleOutbox(journal)
        with journal.atomic() as conn:
            rows = [outbox.hold_sale(conn, f"POS-{n}", Decimal(10), location="Main St", contact_id="C1",
                                     shopper_masked="", staff=CASHIER) for n in range(4)]
        for row in rows[:2]:
            outbox.start(row.id)
            outbox.sent(row.id)
        outbox.start(rows[2].id)
        outbox.refused(rows[2].id, "AIQ did not accept this sale: no")
        outbox.hold_refund("POS-0", staff=CASHIER)  # waiting
        report = make_report(journal.path, day_range(AT.date(), UTC), store="Main St")
    assert (report.feed.sent, report.feed.waiting, report.feed.refused) == (2, 2, 1)
    line = "Sales sent to AIQ from this terminal (the store's sales feed): 2 sent, 2 waiting, 1 refused by AIQ."
    assert line in report_text(report) and ["note", line] in csv_rows(report)


def test_a_store_that_feeds_nothing_gets_no_line(tmp_path):
    with make_journal(tmp_path, "Main St", clock=Clock.fixed(AT)) as journal:
        report = make_report(journal.path, day_range(AT.date(), UTC), store="Main St")
    assert not report.feed.any and not any("sales feed" in n for n in report.notes)
