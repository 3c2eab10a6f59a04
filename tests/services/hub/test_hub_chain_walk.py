"""The keyed check of the hub's copy (chain.verify_keyed) streams the hub's rows through the
journal's own walk: from any event on it says what the journal's verify_chain says of the same
rows, and an event missing or edited on the hub shows at the event where it shows there."""

from __future__ import annotations

import psycopg
import pytest

from budtender_app.services.hub import chain, schema
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal
from tests.helpers.hub_journal import SEAL, write_sales

pytestmark = pytest.mark.hub


@pytest.fixture
def pushed(hub_db, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 2)  # 12 events
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn, Journal.open_read_only(path, SEAL) as j:
        schema.migrate(conn)
        terminal = Terminal(j, "Register 1")
        push(terminal, conn)
        yield conn, terminal


def keyed(conn, terminal, since: int):
    return chain.verify_keyed(conn, terminal.id, SEAL.key, terminal.journal.audit.legacy_until, since)


def test_from_every_event_the_hubs_copy_reads_as_the_journal_does(pushed):
    conn, terminal = pushed
    for since in range(1, 14):
        assert keyed(conn, terminal, since) == terminal.journal.audit.verify_chain(since), since


def test_the_event_before_the_check_missing_on_the_hub_shows(pushed):
    conn, terminal = pushed
    conn.execute("DELETE FROM hub_events WHERE seq = 6")
    conn.commit()
    report = keyed(conn, terminal, 7)
    assert (report.ok, report.bad_id, report.problem) == (False, 7, "deleted")
    assert (keyed(conn, terminal, 1).bad_id, keyed(conn, terminal, 1).problem) == (7, "deleted")


def test_an_edited_event_shows_and_a_check_after_it_trusts_it(pushed):
    conn, terminal = pushed
    conn.execute("UPDATE hub_events SET points = 1 WHERE seq = 9")
    conn.commit()
    assert (keyed(conn, terminal, 4).bad_id, keyed(conn, terminal, 4).problem) == (9, "edited")
    assert keyed(conn, terminal, 10).ok  # from #10 on the chain holds (#9's stored hash is trusted)
