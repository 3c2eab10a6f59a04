"""A hub that takes the connection and then never answers a statement: a register that froze
mid-claim (its transaction still open, its row lock held), or someone's long transaction on the
table. The counter's claim must come back UNREACHABLE in seconds, not wait forever."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest

from budtender_app.services.hub import schema
from budtender_app.services.hub.claimer import HubClaimer
from budtender_app.services.hub.claims import Claim, ClaimOutcome, claim
from budtender_app.services.hub.config import parse_hub_url

pytestmark = pytest.mark.hub
AT = datetime(2026, 12, 2, 14, 3, tzinfo=UTC)


@pytest.fixture
def args(hub_db):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    return parse_hub_url(hub_db.url).connect_args(hub_db.password)


def test_a_claim_row_locked_by_a_frozen_register_does_not_hold_the_checkout(args):
    frozen = psycopg.connect(**args)  # Register 1 inserted its claim, then froze before COMMIT
    try:
        frozen.execute("INSERT INTO hub_claims (store, transaction_id, discount_id, terminal_id, terminal_name, "
                       "claimed_at) VALUES ('Main St', 'POS-1', 'd1', 't1', 'Register 1', now())")
        started = time.monotonic()
        result = claim(args, "t2", "Register 2", [Claim("Main St", "POS-1", "d1")], AT)
        assert result.outcome is ClaimOutcome.UNREACHABLE
        assert time.monotonic() - started < 15
    finally:
        frozen.close()


def test_a_table_locked_on_the_hub_does_not_hold_the_checkout(args):
    lock = psycopg.connect(**args)  # a long maintenance transaction on the hub
    try:
        lock.execute("LOCK TABLE hub_claims IN ACCESS EXCLUSIVE MODE")
        claimer = HubClaimer(args, store="Main St", terminal_id="t2", terminal_name="Register 2", now=lambda: AT)
        started = time.monotonic()
        result = asyncio.run(claimer.claim("POS-2", ["d1"]))
        assert result.outcome is ClaimOutcome.UNREACHABLE
        assert time.monotonic() - started < 15
    finally:
        lock.close()


def test_a_register_that_dies_mid_transaction_lets_go_of_its_locks(args):
    """The hub itself ends a session left idle inside a transaction: its locks do not outlive it."""
    with psycopg.connect(**args) as conn:
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()[0] not in ("0", "")


def test_hub_init_run_twice_at_once_waits_for_the_first_past_the_counters_lock_limit(hub_db):
    """IT runs `hub init` at two tills at once: the second waits for the first's migration (the
    advisory lock), however long it takes, and then finds the hub current; never a lock error."""
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    first = psycopg.connect(**args)
    try:
        first.execute("SELECT pg_advisory_xact_lock(%s)", (schema._LOCK_ID,))  # the first init, mid-migration
        outcome: list[object] = []

        def second() -> None:
            with psycopg.connect(**args) as conn:
                try:
                    outcome.append(schema.migrate(conn))
                except psycopg.Error as exc:
                    outcome.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        with psycopg.connect(**args, autocommit=True) as watch:
            while not watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND wait_event = 'advisory'").fetchone()[0]:
                worker.join(0.05)
        worker.join(3)  # a migration longer than the counter's lock limit (2 s)
        first.commit()
        worker.join(20)
        assert outcome == [(0, schema.SCHEMA_VERSION)]
    finally:
        first.close()


def test_a_password_with_every_awkward_character_reaches_the_hub(hub_db):
    """IT's password is typed as it is: quotes, backslashes, spaces, '@', ':' '/', '?', '#', '%', '=' and
    non-ASCII reach the hub unmangled (never through a URL or a conninfo string of ours)."""
    password = "p@ss:w/rd? #%='\"\\ é;--"
    role = f"awkward_{hub_db.name}"  # roles are the cluster's: one per test database
    hub_db.cluster.admin(f"CREATE ROLE {role} LOGIN PASSWORD " + "'" + password.replace("'", "''") + "'")
    url = parse_hub_url(f"postgresql://{role}@127.0.0.1:{hub_db.cluster.port}/{hub_db.name}")
    with psycopg.connect(**url.connect_args(password)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
