"""The store-wide shift report from a real PostgreSQL hub: per staff member across registers, per
register aggregated on the hub, by the same counting rules as a register's own report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.shift_report import shift_range
from budtender_app.domain.wallet import Discount
from budtender_app.services import shift_report as local_report
from budtender_app.services.hub import schema
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.hub.shift_report import SIGN_UPS_NOTE, make_hub_report, values
from budtender_app.services.journal import Journal, JournalLock, Seal
from tests.helpers.hub_journal import url_of

pytestmark = pytest.mark.hub

DENVER = ZoneInfo("America/Denver")
ROBIN, SAM, MANAGER = Actor("s-1", "Robin"), Actor("s-2", "Sam"), Actor("m-1", "Morgan")


@pytest.fixture
def conn(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password, connect_timeout=5) as c:
        schema.migrate(c)
        yield c


def discount(n: int, dollars: str | None) -> Discount:
    return Discount(id=f"d{n}", name=f"deal {n}", points=100 * n, redemption_url=url_of(n),
                    pos_discount_id=f"POS-{n}", dollar_value=Decimal(dollars) if dollars else None,
                    percentage_value=None if dollars else Decimal(15))


def a_day(path: Path, seal: Seal, terminal: str, staff: Actor, sales: int, *, refused: int = 0) -> None:
    """``sales`` sales of two discounts ($5 fixed and 15 %), redeemed; ``refused`` more refused; one PIN skip."""
    with Journal(path, store="Main St", terminal=terminal, seal=seal, lock=JournalLock(path).acquire()) as j:
        for n in range(sales + refused):
            if n == 0:
                j.record_event("pin_skipped", staff=staff, approver=MANAGER, transaction_id=f"T-{terminal}-{n}")
            for entry in j.queue(f"T-{terminal}-{n}", [discount(1, "5.00"), discount(2, None)], staff=staff,
                                 shopper_masked=f"***-***-{4500 + n:04d}", contact_id=f"C-{n}"):
                j.mark_sending(entry.id)
                if n < sales:
                    j.mark_redeemed(entry.id, f"aiq-{terminal}-{entry.id}")
                else:
                    j.mark_rejected(entry.id, "AIQ said no")


def test_every_register_and_every_person_with_the_registers_own_rules(conn, tmp_path):
    seals = (Seal("j-one", b"1" * 32), Seal("j-two", b"2" * 32))
    a_day(tmp_path / "one.sqlite3", seals[0], "till-1", ROBIN, 3, refused=1)
    a_day(tmp_path / "two.sqlite3", seals[1], "till-2", SAM, 2)
    for path, seal, name in ((tmp_path / "one.sqlite3", seals[0], "Register 1"),
                             (tmp_path / "two.sqlite3", seals[1], "Register 2")):
        assert push(Terminal(Journal.open_read_only(path, seal), name), conn).problem == ""
    now = datetime.now(UTC)
    span = shift_range(now - timedelta(hours=1), now + timedelta(hours=1), DENVER)
    hub = make_hub_report(conn, span, store="Main St")
    people = {f.staff.name: f for f in hub.report.staff}
    assert sorted(people) == ["Robin", "Sam"]
    assert (people["Robin"].redemptions, people["Robin"].points, people["Robin"].dollars) == (6, 900, Decimal("15.00"))
    assert (people["Robin"].no_fixed_value, people["Robin"].refused, people["Robin"].pin_skips) == (3, 2, 1)
    assert (people["Sam"].redemptions, people["Sam"].dollars, people["Sam"].pin_skips) == (4, Decimal("10.00"), 1)
    registers = {f.staff.name: f for f in hub.registers}
    assert sorted(registers) == ["Register 1", "Register 2"]
    for register, person in (("Register 1", "Robin"), ("Register 2", "Sam")):
        r, p = registers[register], people[person]
        assert (r.redemptions, r.points, r.dollars, r.no_fixed_value, r.pin_skips, r.refused) == \
            (p.redemptions, p.points, p.dollars, p.no_fixed_value, p.pin_skips, p.refused)
    # the same figures as each register's own report of its journal
    own = local_report.make_report(tmp_path / "one.sqlite3", span, store="Main St")
    (robin,) = own.staff
    assert (robin.redemptions, robin.points, robin.dollars, robin.refused) == (6, 900, Decimal("15.00"), 2)
    assert SIGN_UPS_NOTE in hub.report.notes
    assert hub.report.total.redemptions == 10
    assert make_hub_report(conn, span, store="Elm St").report.total.redemptions == 0
    assert make_hub_report(conn, span, store=None).report.total.redemptions == 10


def test_a_rows_value_is_read_back_from_its_text():
    assert values("$5.00 off") == (Decimal("5.00"), None)
    assert values("$1,250.50 off") == (Decimal("1250.50"), None)
    assert values("15% off") == (None, Decimal(15))
    assert values("") == values(None) == values("free gift") == (None, None)
