"""A hub whose rows were written by hand (words no register writes, odd times, the largest
number): the store-wide window lists the rows it can read and leaves the others out (logged),
instead of failing on them where it draws its table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.desk import HubDesk

pytestmark = pytest.mark.hub


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
        conn.execute("INSERT INTO hub_terminals (terminal_id, name, store) VALUES ('t1', 'Register 1', 'Main St')")
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


NOON = "2026-12-02T14:00:00+00:00"


def add_row(args, entry_id: int, *, state: str = "unknown", phase: str = "", created: str = NOON):
    with psycopg.connect(**args) as conn:
        conn.execute("INSERT INTO hub_redemptions (terminal_id, entry_id, store, transaction_id, discount_id, "
                     "discount_name, pos_discount_id, points, value_text, state, reversal_phase, attempts, "
                     "aiq_redemption_id, message, shopper_masked, staff_name, approver_name, created_at, updated_at, "
                     "as_of_seq) VALUES ('t1', %s, 'Main St', 'POS-1', 'd1', '$5 off', '', 9223372036854775807, '', "
                     "%s, %s, 0, '', '', '***-***-4567', 'Dana', '', %s, %s, 1)",
                     (entry_id, state, phase, created, created))


def read(args):
    desk = HubDesk(args, terminal_id="t2", terminal_name="Register 2", key=b"k" * 32)
    return asyncio.run(desk.read("Main St", datetime(2026, 12, 1, tzinfo=UTC)))


def test_rows_in_states_no_register_writes_are_not_listed(args):
    add_row(args, 1, state="bogus")
    add_row(args, 2, state="reversing", phase="nonsense")
    assert read(args).rows == []


@pytest.mark.logs_expected(r"cannot be read")
@pytest.mark.parametrize("created", ["yesterday", "", "2026-13-45T99:00:00"])
def test_a_row_with_a_time_no_register_writes_is_left_out_and_the_others_shown(args, created):
    add_row(args, 1, created=created)
    add_row(args, 2)
    assert [r.id for r in read(args).rows] == [2]
