"""Who did it (issue 13): every kind of audit event names the staff member and the approving
manager; journals from before (schema 3) upgrade and still verify; an edited name breaks the chain."""

from __future__ import annotations

import csv
import io
import sqlite3
from contextlib import closing
from datetime import date
from decimal import Decimal

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import Action
from budtender_app.domain.wallet import Discount
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.services.journal import Journal, JournalLock, migrate
from budtender_app.services.journal import schema as journal_schema
from budtender_app.services.journal.audit import EVENTS
from budtender_app.staff_signin import shift_recorder
from tests.helpers import make_journal

CASHIER = Actor("7", "Dana Cashier")
MANAGER = Actor("2", "Mo Manager")
#: IT's accept-fresh (guard.py) writes these with Actor.command_line; tests/services/test_journal_guard.py
#: drives that path, and every record_event call must name its staff (a required keyword).
GUARD_EVENTS = {"journal_replaced", "events_lost", "marker_reset"}


def discount(n: int) -> Discount:
    return Discount(id=f"d{n}", name=f"Discount {n}", points=100, pos_discount_id=f"POS-{n}",
                    redemption_url=f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1/d{n}/tok3nSECRETvalue99")


def every_event(journal: Journal) -> None:
    """Drive each writer path once: the counter's, the sender's moves, a manager's decisions."""
    applied = AppliedSales(journal)
    sale = AppliedSale(cart_total=journal_schema_decimal(), discounts=(discount(1),), shopper_masked="***-***-4567")
    applied.save(sale, staff=CASHIER, approver=MANAGER)
    applied.cancel("cashier cancelled", staff=CASHIER)
    applied.save(sale, staff=CASHIER, approver=MANAGER)
    journal.record_event("pin_skipped", staff=CASHIER, approver=MANAGER, detail="no phone")
    a, b, c, d, e = applied.checkout("T-1", [discount(n) for n in range(1, 6)], shopper_masked="***-***-4567",
                                     contact_id="C-1", staff=CASHIER, approver=MANAGER)
    for row, end in ((a, Action.REDEEMED), (b, Action.REJECTED), (c, Action.NOT_SENT), (d, Action.UNKNOWN)):
        journal.mark_sending(row.id)
        journal.mark_redeemed(row.id, "R-1") if end is Action.REDEEMED else journal.mark_failed(row.id, end, "x")
    journal.resolve(d.id, "redeemed", "AIQ's report shows it", MANAGER, staff=CASHIER)
    journal.record_event("manager_retry", staff=CASHIER, approver=MANAGER, detail="sent again")
    journal.record_event("refund_requested", staff=CASHIER, approver=MANAGER, detail="give back")
    # What app.py hands the settings view model (tests/viewmodels/test_settings_vm.py drives a save).
    journal.record_event("settings_changed", staff=CASHIER, approver=MANAGER, detail="store 'Main St': uid changed")
    # What feed_wiring's audit writes after an import (tests/ui/manager/test_feed_import_tab.py drives one).
    journal.record_event("feed_import", staff=CASHIER, approver=MANAGER,
                         detail="inventory import of items.csv: done, 250 sent, 0 batches refused")
    # What the Whole store tab writes when a manager releases a silent register's claim
    # (tests/services/hub/test_hub_release.py drives it against a real hub).
    journal.record_event("claim_released", staff=CASHIER, approver=MANAGER, transaction_id="T-9",
                         detail="store hub claim of discount D-1 held by Register 4 released: voided in the POS")
    # What staff_signin.shift_recorder writes (tests/viewmodels/test_staff_session.py drives the session).
    record = shift_recorder(journal)
    record("signed_in", CASHIER, "passcode")
    record("signed_out", CASHIER, "switched")
    for row, end in ((a, Action.REVERSED), (d, Action.REVERSAL_REJECTED)):
        journal.queue_reversal(row.id, staff=CASHIER, approver=MANAGER)
        journal.mark_reversal_sending(row.id)
        journal.mark_reversed(row.id) if end is Action.REVERSED else journal.mark_failed(row.id, end, "no")
    journal.queue_reversal(d.id, staff=CASHIER, approver=MANAGER)
    journal.mark_reversal_sending(d.id)
    journal.mark_failed(d.id, Action.REVERSAL_NOT_SENT, "down")
    journal.mark_reversal_sending(d.id)
    journal.mark_failed(d.id, Action.REVERSAL_UNKNOWN, "timeout")
    journal.resolve_reversal(d.id, "reversed", "points back in AIQ", MANAGER, staff=CASHIER)
    with journal.atomic() as conn:  # a hand edit, put back by IT
        conn.execute("UPDATE redemptions SET state = 'queued' WHERE id = ?", (b.id,))
    journal.restore_states()
    assert e.state.value == "queued"


def journal_schema_decimal() -> Decimal:
    return Decimal("50.00")


@pytest.fixture
def journal(tmp_path):
    with make_journal(tmp_path) as j:
        yield j


@pytest.mark.parametrize("event", sorted(EVENTS - GUARD_EVENTS))
def test_every_event_kind_names_who_did_it(journal, event):
    every_event(journal)
    rows = [r for r in journal.audit.rows() if r.event == event]
    assert rows, f"no writer path wrote {event!r}"
    for row in rows:
        assert row.fields_version == 4
        if event == "state_restored":
            assert row.staff == Actor.command_line
        else:  # the terminal's own sends carry out the cashier's checkout (or the manager-approved refund)
            assert row.staff == CASHIER, (event, row.staff)
            no_approver = event in ("applied_cancelled", "signed_in", "signed_out")
            assert row.approver == (None if no_approver else MANAGER), (event, row.approver)
    assert journal.verify_chain().ok


def test_restart_recovery_is_the_terminals_and_the_row_remembers_its_cashier(tmp_path):
    file = tmp_path / "journal.sqlite3"
    lock = JournalLock(file).acquire()
    j = Journal(file, store="s", terminal="till-1", lock=lock)
    (entry,) = j.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    j.mark_sending(entry.id)
    j.recover_after_restart()
    assert j.audit.rows()[-1].staff == Actor.terminal
    assert j.get(entry.id).staff == CASHIER
    j.resolve(entry.id, "abandoned", "not in AIQ's report", Actor.typed("  Mo   M. "))
    assert j.get(entry.id).approver == Actor("", "Mo M.") and j.get(entry.id).resolved_by == "Mo M."
    j.close()


def test_the_export_has_staff_and_approved_by_and_a_removed_account_keeps_its_name(journal):
    journal.queue("T-1", [discount(1)], staff=CASHIER, shopper_masked="", contact_id="")
    journal.record_event("pin_skipped", staff=Actor("9", "=Gone Person"), approver=MANAGER)
    out = io.StringIO()
    journal.export_csv(out, date(2000, 1, 1))
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["staff"], r["approved_by"]) for r in rows] == [("Dana Cashier", ""), ("'=Gone Person", "Mo Manager")]


def _schema3_journal(path) -> None:
    """A journal as the previous version wrote it: its migrations up to 3, then events by its code
    (the v2 field list and hash), through the real Audit of that time (FIELDS without attribution)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        saved = journal_schema.SCHEMA_VERSION
        journal_schema.SCHEMA_VERSION = 3
        try:
            migrate(db)
        finally:
            journal_schema.SCHEMA_VERSION = saved
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        from budtender_app.services.journal.audit import GENESIS_HASH, UNKEYED, V2_FIELDS, row_hash
        prev = GENESIS_HASH
        for n, event in enumerate(["queued", "sent", "redeemed"], start=1):
            fields = {"id": n, "at": f"2026-11-0{n}T10:00:00.000000+00:00", "event": event, "store": "s",
                      "terminal": "t", "transaction_id": "T-1", "discount_id": "d1", "discount_name": "Ten off",
                      "pos_discount_id": "", "points": 100, "detail": "", "prev_hash": prev, "entry_id": 0,
                      "state": "", "phase": ""}
            fields["hash"] = prev = row_hash(fields, UNKEYED)
            db.execute(f"INSERT INTO audit ({', '.join(V2_FIELDS)}) VALUES ({', '.join('?' * len(V2_FIELDS))})",
                       [fields[k] for k in V2_FIELDS])


def test_a_schema_3_journal_upgrades_its_old_events_verify_and_new_ones_are_attributed(tmp_path):
    path = tmp_path / "journal.sqlite3"
    _schema3_journal(path)
    with Journal(path, store="s", terminal="t") as j:
        assert j.verify_chain().ok
        old = j.audit.rows()
        assert {r.fields_version for r in old} == {2} and {r.staff for r in old} == {Actor.unknown}
        j.record_event("pin_skipped", staff=CASHIER, approver=MANAGER)
        assert j.verify_chain().ok and j.audit.rows()[-1].staff == CASHIER
        out = io.StringIO()
        j.export_csv(out, date(2000, 1, 1))
        assert next(csv.DictReader(io.StringIO(out.getvalue())))["staff"] == "Not signed in"
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == journal_schema.SCHEMA_VERSION


@pytest.mark.parametrize("edit", [
    "staff_name = 'Someone Else'",
    "approver_name = ''",
    "staff_name = 'Someone Else', fields_version = 2",  # turned back to the old list: still caught
])
def test_editing_who_did_it_breaks_the_chain(journal, edit):
    journal.record_event("pin_skipped", staff=CASHIER, approver=MANAGER)
    journal.record_event("applied", staff=CASHIER)
    with journal.atomic() as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute(f"UPDATE audit SET {edit} WHERE id = 1")
    report = journal.verify_chain()
    assert not report.ok and report.bad_id == 1 and report.problem == "edited"
