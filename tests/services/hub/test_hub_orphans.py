"""Orphaned claims on a real hub: a claim its register never redeemed frees its discount, and a
claim its register may have redeemed (a late push is coming) never does: refused with the reason.

Time here is the hub's own: a claim is made old by moving its ``hub_at`` back, as 31 minutes of
waiting would, never by a terminal's clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.claims import Claim, ClaimOutcome, claim, settle
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.orphans import release_stale
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal
from tests.helpers.hub_journal import SEAL, write_sales

pytestmark = pytest.mark.hub
AT = datetime(2026, 12, 2, 14, 3, tzinfo=UTC)
SOLD = "POS-00000000"  # write_sales' first sale: d1 and d2, redeemed


def sale(*discounts: str, txid: str = "POS-00000042") -> list[Claim]:
    return [Claim("Main St", txid, d) for d in discounts]


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


def sql(args, statement: str, *params) -> list[tuple]:
    with psycopg.connect(**args) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def age(args, minutes: int, terminal: str | None = None) -> None:
    """As if the claims (of ``terminal``) were made ``minutes`` ago on the hub's clock."""
    sql(args, "UPDATE hub_claims SET hub_at = now() - make_interval(mins => %s) "
              "WHERE terminal_id = coalesce(%s, terminal_id)", minutes, terminal)


def register(args, terminal_id: str, name: str, *, synced_minutes_ago: int | None) -> None:
    """A terminal the hub knows; ``synced_minutes_ago``: when it last pushed its whole journal."""
    sql(args, "INSERT INTO hub_terminals (terminal_id, name, synced_at) VALUES (%s, %s, CASE WHEN %s::int IS NULL "
              "THEN NULL ELSE now() - make_interval(mins => %s::int) END) ON CONFLICT (terminal_id) DO UPDATE SET "
              "synced_at = excluded.synced_at", terminal_id, name, synced_minutes_ago, synced_minutes_ago)


def holder(args, discount: str = "d1") -> str:
    rows = sql(args, "SELECT terminal_name FROM hub_claims WHERE discount_id = %s", discount)
    return rows[0][0] if rows else ""


def test_a_claim_its_register_never_redeemed_is_taken_over_once_it_pushed_since(args):
    """Register 1 crashed after claiming, came back, pushed its whole journal (no such row)."""
    assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
    age(args, 31)
    register(args, "t1", "Register 1", synced_minutes_ago=1)
    assert claim(args, "t2", "Register 2", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
    assert holder(args) == "Register 2"
    # and the taken-over claim is Register 2's as any: Register 1 is refused now
    assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.HELD


def test_a_stale_claim_whose_register_was_not_heard_from_since_is_refused_with_the_reason(args):
    """It may have redeemed and lost the hub: a late push may be on its way. Never doubled."""
    assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
    age(args, 90)
    register(args, "t1", "Register 1", synced_minutes_ago=None)  # never pushed since
    refused = claim(args, "t2", "Register 2", sale("d1"), AT)
    assert refused.outcome is ClaimOutcome.HELD and refused.silent
    assert refused.message(UTC) == ("claimed at Register 1 at 14:03, and Register 1 has not reached the store hub "
                                    "since: it may have redeemed it")
    register(args, "t1", "Register 1", synced_minutes_ago=88)  # pushed, but right after claiming: not enough
    assert claim(args, "t2", "Register 2", sale("d1"), AT).silent
    assert holder(args) == "Register 1"


def test_a_fresh_claim_is_held_however_quiet_its_register(args):
    assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
    age(args, 29)
    register(args, "t1", "Register 1", synced_minutes_ago=0)
    refused = claim(args, "t2", "Register 2", sale("d1"), AT)
    assert refused.outcome is ClaimOutcome.HELD and not refused.silent
    assert refused.message(UTC) == "already redeemed at Register 1 at 14:03"


def test_a_claim_backed_by_a_pushed_redemption_is_never_taken_over(args, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    with Journal.open_read_only(path, SEAL) as journal, psycopg.connect(**args) as conn:
        terminal = Terminal(journal, "Register 1")
        assert claim(args, terminal.id, "Register 1", sale("d1", txid=SOLD), AT).outcome is ClaimOutcome.CLAIMED
        push(terminal, conn)  # marks it synced now, with the row
    age(args, 600)
    register(args, terminal.id, "Register 1", synced_minutes_ago=0)
    refused = claim(args, "t2", "Register 2", sale("d1", txid=SOLD), AT)
    assert refused.outcome is ClaimOutcome.HELD and not refused.silent
    assert holder(args) == "Register 1"


def test_the_late_push_of_a_silent_register_arrives_and_its_claim_stays_held(args, tmp_path):
    """Register 1 claimed and redeemed, then lost the hub for an hour: Register 2 is refused all
    along, and when Register 1's push finally arrives nothing conflicts."""
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    with Journal.open_read_only(path, SEAL) as journal:
        terminal = Terminal(journal, "Register 1")
        assert claim(args, terminal.id, "Register 1", sale("d1", "d2", txid=SOLD), AT).outcome is ClaimOutcome.CLAIMED
        age(args, 60)
        assert claim(args, "t2", "Register 2", sale("d2", txid=SOLD), AT).silent  # refused, not doubled
        with psycopg.connect(**args) as conn:
            push(terminal, conn)
            assert settle(conn, terminal.id, "Register 1", AT) == []  # no conflict: nobody took them
            assert release_stale(conn, terminal.id, journal) == []  # its journal has both: kept
    assert claim(args, "t2", "Register 2", sale("d2", txid=SOLD), AT).outcome is ClaimOutcome.HELD
    assert sql(args, "SELECT count(*) FROM hub_claim_conflicts") == [(0,)]


def test_a_register_releases_its_own_stale_claims_its_journal_never_had_at_its_next_contact(args, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    with Journal.open_read_only(path, SEAL) as journal, psycopg.connect(**args) as conn:
        t = Terminal(journal, "Register 1")
        assert claim(args, t.id, "Register 1", sale("d1", txid=SOLD) + sale("d9"), AT).outcome is ClaimOutcome.CLAIMED
        assert release_stale(conn, t.id, journal) == []  # fresh: a checkout may be writing its row now
        age(args, 31)
        assert release_stale(conn, t.id, journal) == sale("d9")  # crashed before journaling d9: freed
    assert sorted(r[0] for r in sql(args, "SELECT discount_id FROM hub_claims")) == ["d1"]
    assert claim(args, "t2", "Register 2", sale("d9"), AT).outcome is ClaimOutcome.CLAIMED


def test_claiming_again_renews_a_claim_so_a_resumed_sale_is_never_released_under_it(args, tmp_path):
    """Register 1 crashed after claiming; an hour later the sale resumes and is checked out: the
    claim made again is fresh, so neither its own contact nor another register frees it."""
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    with Journal.open_read_only(path, SEAL) as journal, psycopg.connect(**args) as conn:
        t = Terminal(journal, "Register 1")
        assert claim(args, t.id, "Register 1", sale("d9"), AT).outcome is ClaimOutcome.CLAIMED
        age(args, 60)
        register(args, t.id, "Register 1", synced_minutes_ago=1)
        assert claim(args, t.id, "Register 1", sale("d9"), AT).outcome is ClaimOutcome.CLAIMED  # resumed
        assert release_stale(conn, t.id, journal) == []  # journal row not written yet: the claim is fresh
    assert claim(args, "t2", "Register 2", sale("d9"), AT).outcome is ClaimOutcome.HELD
    assert holder(args, "d9") == "Register 1"


def test_the_orphans_register_and_another_racing_for_it_exactly_one_has_it(args):
    """Register 1 resumes its sale while Register 2 takes the orphan over: one claim wins."""
    for _ in range(5):
        sql(args, "DELETE FROM hub_claims")
        assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
        age(args, 31)
        register(args, "t1", "Register 1", synced_minutes_ago=1)
        start, results = threading.Barrier(2), {}
        threads = [threading.Thread(target=_racer, args=(args, n, start, results)) for n in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(r.value for r in results.values()) == ["claimed", "held"]
        assert holder(args) == ("Register 1" if results[1] is ClaimOutcome.CLAIMED else "Register 2")


def _racer(args, n: int, start: threading.Barrier, results: dict) -> None:
    start.wait()
    results[n] = claim(args, f"t{n}", f"Register {n}", sale("d1"), AT).outcome


def test_a_push_marks_its_terminal_synced_only_when_it_read_the_whole_journal(args, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 2)
    with Journal.open_read_only(path, SEAL) as journal, psycopg.connect(**args) as conn:
        t = Terminal(journal, "Register 1")
        push(t, conn)
        first = sql(args, "SELECT synced_at FROM hub_terminals WHERE terminal_id = %s", t.id)[0][0]
        assert first is not None
        sql(args, "DELETE FROM hub_events WHERE terminal_id = %s AND seq = (SELECT max(seq) FROM hub_events)", t.id)
        sql(args, "UPDATE hub_events SET hash = 'x' WHERE terminal_id = %s AND seq = "
                  "(SELECT max(seq) FROM hub_events)", t.id)  # the hub's copy no longer matches: diverged
        assert push(t, conn).problem
        assert sql(args, "SELECT synced_at FROM hub_terminals WHERE terminal_id = %s", t.id)[0][0] == first


def test_two_registers_taking_over_the_same_orphan_exactly_one_has_it(args):
    for _ in range(5):
        sql(args, "DELETE FROM hub_claims")
        assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
        age(args, 45)
        register(args, "t1", "Register 1", synced_minutes_ago=2)  # crashed, restarted, pushed: an orphan
        start, results = threading.Barrier(2), {}
        threads = [threading.Thread(target=_racer, args=(args, n, start, results)) for n in (2, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(r.value for r in results.values()) == ["claimed", "held"]
        winner = next(n for n, r in results.items() if r is ClaimOutcome.CLAIMED)
        assert holder(args) == f"Register {winner}"
