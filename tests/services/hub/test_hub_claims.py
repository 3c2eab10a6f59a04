"""Claims across registers on a real hub: one register per (store, transaction, discount)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.claims import Claim, ClaimOutcome, claim, claim_late, release, settle
from budtender_app.services.hub.config import parse_hub_url
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal
from tests.helpers.hub_journal import SEAL, write_sales
from tests.helpers.pg import free_port

pytestmark = pytest.mark.hub
AT = datetime(2026, 12, 2, 14, 3, tzinfo=UTC)


def sale(*discounts: str, txid: str = "POS-00000042") -> list[Claim]:
    return [Claim("Main St", txid, d) for d in discounts]


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


def claimed(args) -> list[tuple[str, str]]:
    with psycopg.connect(**args) as conn:
        return conn.execute("SELECT discount_id, terminal_name FROM hub_claims ORDER BY 1").fetchall()


def test_a_discount_claimed_at_one_register_refuses_the_checkout_at_another(args):
    assert claim(args, "t1", "Register 1", sale("d1", "d2"), AT).outcome is ClaimOutcome.CLAIMED
    refused = claim(args, "t2", "Register 2", sale("d3", "d2"), AT)
    assert refused.outcome is ClaimOutcome.HELD and refused.held == sale("d2")[0]
    assert refused.message(UTC) == "already redeemed at Register 1 at 14:03"
    assert claimed(args) == [("d1", "Register 1"), ("d2", "Register 1")]  # nothing of the refused sale
    assert claim(args, "t1", "Register 1", sale("d1", "d2"), AT).outcome is ClaimOutcome.CLAIMED  # a retry


def test_two_registers_racing_the_same_discount_exactly_one_claims_it(args):
    start, results = threading.Barrier(2), {}

    def register(n: int) -> None:
        start.wait()
        results[n] = claim(args, f"t{n}", f"Register {n}", sale("d1"), AT).outcome

    threads = [threading.Thread(target=register, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(r.value for r in results.values()) == ["claimed", "held"]


def test_an_unreachable_hub_lets_the_checkout_go_on_and_the_late_claim_shows_the_conflict(args):
    closed = parse_hub_url(f"postgresql://u@127.0.0.1:{free_port()}/hub").connect_args("pw")
    offline = claim(closed, "t2", "Register 2", sale("d1"), AT)
    assert offline.outcome is ClaimOutcome.UNREACHABLE and "unreachable" in offline.reason
    assert claim(args, "t1", "Register 1", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED
    with psycopg.connect(**args) as conn:
        (conflict,) = claim_late(conn, "t2", "Register 2", sale("d1", "d2"), AT)
        assert conflict.holder_name == "Register 1" and conflict.held.discount_id == "d1"
        rows = conn.execute("SELECT terminal_name, holder_id, discount_id FROM hub_claim_conflicts").fetchall()
        assert rows == [("Register 2", "t1", "d1")]
        assert claim_late(conn, "t2", "Register 2", sale("d2"), AT) == []  # its own late claim: no conflict


def test_only_the_holding_register_releases_its_claim(args):
    assert claim(args, "t1", "Register 1", sale("d1", "d2"), AT).outcome is ClaimOutcome.CLAIMED
    with psycopg.connect(**args) as conn:
        assert release(conn, "t2", sale("d1")) == 0  # another register's claim is never touched
        assert release(conn, "t1", sale("d1")) == 1  # AIQ refused d1: given back
    assert claimed(args) == [("d2", "Register 1")]
    assert claim(args, "t2", "Register 2", sale("d1"), AT).outcome is ClaimOutcome.CLAIMED


def test_the_push_releases_claims_of_redemptions_abandoned_or_reversed(args, tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)  # POS-00000000: d1 and d2 redeemed
    with Journal.open_read_only(path, SEAL) as journal, psycopg.connect(**args) as conn:
        terminal = Terminal(journal, "Register 1")
        push(terminal, conn)
        assert settle(conn, terminal.id, "Register 1", AT) == []  # claimed late, no rival
        assert sorted(r[0] for r in claimed(args)) == ["d1", "d2"]
        conn.execute("UPDATE hub_redemptions SET state = 'abandoned' WHERE discount_id = 'd1'")
        conn.execute("UPDATE hub_redemptions SET state = 'reversed' WHERE discount_id = 'd2'")
        conn.commit()  # as a later push brings a manager's abandon and a reversal
        assert settle(conn, terminal.id, "Register 1", AT) == []
    assert claimed(args) == []
    assert claim(args, "t2", "Register 2", sale("d1", "d2", txid="POS-00000000"), AT).outcome is ClaimOutcome.CLAIMED


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"the store hub refused the claim")
async def test_a_hub_that_answers_wrongly_never_holds_a_sale(hub_db):
    """A hub nobody ran `hub init` on (no tables) answers the claim with an SQL error: the checkout
    goes on as with an unreachable hub, instead of the cashier stuck at checkout."""
    from budtender_app.services.hub.claimer import HubClaimer
    from budtender_app.services.hub.claims import ClaimOutcome

    bare = parse_hub_url(hub_db.url).connect_args(hub_db.password)  # no schema.migrate
    claimer = HubClaimer(bare, store="Main St", terminal_id="t-1", terminal_name="Register 1", now=lambda: AT)
    result = await claimer.claim("POS-00000042", ["101"])
    assert result.outcome is ClaimOutcome.UNREACHABLE and result.reason
