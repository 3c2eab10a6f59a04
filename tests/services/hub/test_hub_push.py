"""Pushing a terminal's journal to a real PostgreSQL hub: once, refilled, checked, no secrets."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.push import Terminal, check, push
from budtender_app.services.hub.status import describe, hub_state
from budtender_app.services.journal import Journal, Seal
from budtender_app.simulator.core import DEMO_API_KEY
from tests.helpers.hub_journal import SEAL, TOKEN, write_sales

pytestmark = pytest.mark.hub


@pytest.fixture
def conn(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password, connect_timeout=5) as c:
        schema.migrate(c)
        yield c


def terminal(path, seal: Seal = SEAL, name: str = "Register 1") -> Terminal:
    return Terminal(Journal.open_read_only(path, seal), name)


def count(conn, table: str = "hub_events") -> int:
    n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    conn.commit()
    return n


def test_init_is_versioned_and_idempotent(conn):
    v = schema.SCHEMA_VERSION
    assert schema.migrate(conn) == (v, v)
    assert conn.execute("SELECT value FROM hub_meta WHERE name = 'schema_version'").fetchone() == (str(v),)


def test_a_push_repeated_arrives_once_with_each_rows_latest_state(conn, tmp_path):
    write_sales(tmp_path / "j.sqlite3", 3)
    t = terminal(tmp_path / "j.sqlite3")
    first = push(t, conn, batch=5)
    assert (first.pushed, first.hub_last, first.chain.ok) == (18, 18, True)  # 3 sales x 2 rows x 3 events
    assert push(t, conn).pushed == 0
    assert count(conn) == 18
    states = conn.execute("SELECT DISTINCT state FROM hub_redemptions").fetchall()
    assert states == [("redeemed",)] and count(conn, "hub_redemptions") == 6
    state = hub_state(conn, t)
    assert state.behind == 0 and state.this.name == "Register 1" and not state.flagged
    assert "0 events behind" in describe(state, "here")[1]


@pytest.mark.logs_expected(r"error ignored terminating .*pipeline aborted")  # psycopg, on the failed batch
def test_a_push_that_fails_mid_batch_is_retried_and_every_event_arrives_once(conn, tmp_path):
    write_sales(tmp_path / "j.sqlite3", 2)  # 12 events
    conn.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN IF NEW.seq = 7 THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$")
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON hub_events FOR EACH ROW EXECUTE FUNCTION refuse()")
    conn.commit()
    t = terminal(tmp_path / "j.sqlite3")
    with pytest.raises(psycopg.Error, match="disk full"):
        push(t, conn, batch=4)
    assert count(conn) == 4  # the batch that failed left nothing; the one before it stays
    conn.execute("DROP TRIGGER refuse ON hub_events")
    conn.commit()
    assert push(t, conn, batch=4).pushed == 8
    seqs = [r[0] for r in conn.execute("SELECT seq FROM hub_events ORDER BY seq")]
    assert seqs == list(range(1, 13))


def test_a_hub_restored_from_an_older_backup_is_refilled(hub_db, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 2)
    with psycopg.connect(hub_db.url, password=hub_db.password) as c:
        schema.migrate(c)
        push(terminal(path), c)
    hub_db.drop_and_recreate()  # the backup predates every push
    write_sales(path, 1)
    with psycopg.connect(hub_db.url, password=hub_db.password) as c:
        schema.migrate(c)
        result = push(terminal(path), c)
        assert (result.pushed, result.hub_last, result.chain.ok) == (18, 18, True)


def test_an_event_edited_on_the_hub_flags_the_terminal(conn, tmp_path):
    write_sales(tmp_path / "j.sqlite3", 1)
    t = terminal(tmp_path / "j.sqlite3")
    push(t, conn)
    conn.execute("UPDATE hub_events SET points = 1 WHERE seq = 3")
    conn.commit()
    report = check(t, conn)
    assert (report.ok, report.bad_id, report.problem) == (False, 3, "edited")
    lines = describe(hub_state(conn, None), "here")
    assert "WARNING: the audit chain of Register 1" in lines[-1] and "#3 (edited)" in lines[-1]
    write_sales(tmp_path / "j.sqlite3", 1)
    assert push(terminal(tmp_path / "j.sqlite3"), conn).chain.ok  # the new events are sound...
    assert hub_state(conn, None).flagged  # ...and the flag stays until the whole chain checks


def test_a_journal_tampered_before_its_push_is_flagged_on_the_hub(conn, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("DROP TRIGGER audit_no_update")
        raw.execute("UPDATE audit SET points = 5 WHERE id = 2")
    result = push(terminal(path), conn)
    assert (result.chain.ok, result.chain.bad_id) == (False, 2)
    assert hub_state(conn, None).flagged[0].name == "Register 1"


def test_a_journal_that_is_not_the_one_that_pushed_is_refused(conn, tmp_path):
    write_sales(tmp_path / "j.sqlite3", 2)
    push(terminal(tmp_path / "j.sqlite3"), conn)
    write_sales(tmp_path / "older.sqlite3", 1)  # the same journal id, fewer events: an older backup
    result = push(terminal(tmp_path / "older.sqlite3"), conn)
    assert result.pushed == 0 and "restored from an older backup" in result.problem
    assert hub_state(conn, None).flagged


def test_two_terminals_share_a_hub_each_with_its_own_chain(conn, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    other = Seal("journal-two", b"x" * 32)
    write_sales(tmp_path / "a" / "j.sqlite3", 2)
    write_sales(tmp_path / "b" / "j.sqlite3", 1, other)
    push(terminal(tmp_path / "a" / "j.sqlite3"), conn)
    push(terminal(tmp_path / "b" / "j.sqlite3", other, "Register 2"), conn)
    rows = conn.execute("SELECT terminal_id, count(*) FROM hub_events GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("journal-one", 12), ("journal-two", 6)]


def test_no_secret_reaches_the_hub(conn, tmp_path):
    write_sales(tmp_path / "j.sqlite3", 2)
    push(terminal(tmp_path / "j.sqlite3"), conn)
    text = " ".join(r[0] for table in ("hub_events", "hub_redemptions", "hub_terminals", "hub_meta")
                    for r in conn.execute(f"SELECT t::text FROM {table} t"))
    assert "POS-00000000" in text and "***-***-4567" in text  # what is there is there
    for secret in (TOKEN, "alpineiq.com", "/redeem/", DEMO_API_KEY, "C-77", "4567890"):
        assert secret not in text
