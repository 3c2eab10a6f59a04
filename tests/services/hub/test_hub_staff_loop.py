"""The staff sync's background loop and the counter's session (issue 15), with a real hub: an
account removed at register 2 ends its session at register 1 at register 1's next sync; a demoted
manager signed in is a cashier from then on; the hub away is a quiet problem, sign-in goes on;
start_hub starts the sync beside the push and stops it at quit."""

from __future__ import annotations

import logging

import pytest

from budtender_app.domain.messages import Level
from budtender_app.domain.shifts import SIGNED_OUT, SignOut
from budtender_app.domain.staff import Actor, Role
from budtender_app.hub_wiring import start_hub
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub import schema
from budtender_app.services.hub.config import HubConfig, connect, parse_hub_url
from budtender_app.services.hub.staff_loop import HubStaffSync
from budtender_app.services.staff.store import StaffStore
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import MovingTime
from tests.helpers.hub_journal import SEAL, write_sales
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pg import free_port

pytestmark = pytest.mark.hub

IT = Actor.command_line("it")
KEY = bytes(range(32))


@pytest.fixture
def hub(hub_db):
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    with connect(args) as conn:
        schema.migrate(conn)
    return args


@pytest.fixture
def time_():
    return MovingTime()


@pytest.fixture
def registers(tmp_path, time_):
    one = StaffStore(tmp_path / "r1" / "staff.sqlite3", clock=time_.clock(), lookup_key=KEY)
    two = StaffStore(tmp_path / "r2" / "staff.sqlite3", clock=time_.clock(), lookup_key=KEY)
    one.add("Ana", Role.MANAGER, "4826", by=IT)
    one.add("Sam", Role.MANAGER, "7392", by=IT)
    yield one, two
    one.close()
    two.close()


def looper(store, hub, time_, terminal: str, shop: str = "Main St", **kw) -> HubStaffSync:
    return HubStaffSync(store, hub, store=shop, terminal_id=terminal, now=lambda: time_.moment, **kw)


@pytest.mark.asyncio
async def test_a_session_of_an_account_removed_at_another_register_ends(hub, registers, time_):
    one, two = registers
    shifts = []
    session = StaffSession(one, time_.clock(), on_shift=lambda e, a, d: shifts.append((e, a.name, d)))
    sync_one = looper(one, hub, time_, "r1", on_changed=lambda _a: session.recheck())
    sync_two = looper(two, hub, time_, "r2")
    await sync_one.sync_once()
    await sync_two.sync_once()
    assert await session.sign_in("7392") and session.current.name == "Sam"
    two.remove(two.find("Sam").id, by=IT)
    await sync_two.sync_once()
    assert session.current is not None  # register 1 has not heard yet
    await sync_one.sync_once()
    assert session.current is None
    assert shifts[-1] == (SIGNED_OUT, "Sam", SignOut.REMOVED)
    assert session.message == (Level.INFO, "Sam's account was removed. Sign in to go on.")
    assert not await session.sign_in("7392")


@pytest.mark.asyncio
async def test_a_demoted_manager_signed_in_is_a_cashier_from_the_next_sync(hub, registers, time_):
    one, two = registers
    session = StaffSession(one, time_.clock())
    sync_one = looper(one, hub, time_, "r1", on_changed=lambda _a: session.recheck())
    sync_two = looper(two, hub, time_, "r2")
    await sync_one.sync_once()
    await sync_two.sync_once()
    assert await session.sign_in("7392") and session.current.is_manager
    two.set_role(two.find("Sam").id, Role.CASHIER, by=IT)
    await sync_two.sync_once()
    await sync_one.sync_once()
    assert session.current.name == "Sam" and not session.current.is_manager


@pytest.mark.asyncio
async def test_the_hub_away_is_a_quiet_problem_and_sign_in_goes_on(registers, time_, caplog):
    caplog.set_level(logging.INFO, logger="budtender_app.services.hub.staff_loop")
    one, _ = registers
    down = parse_hub_url(f"postgresql://u@127.0.0.1:{free_port()}/hub").connect_args("pw")
    sync = looper(one, down, time_, "r1")
    assert await sync.sync_once() is None and "unreachable" in sync.problem
    await sync.sync_once()
    said = [r for r in caplog.records if "not synced" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.INFO  # said once, quietly, not every round
    session = StaffSession(one, time_.clock())
    assert await session.sign_in("4826")


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"not synced with the store hub")
async def test_a_hub_without_the_staff_tables_says_hub_init(hub_db, registers, time_):
    one, _ = registers
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    sync = looper(one, args, time_, "r1")
    assert await sync.sync_once() is None and "hub init" in sync.problem


@pytest.mark.asyncio
async def test_start_hub_shares_staff_beside_the_push_and_stops_at_quit(hub_db, hub, registers, tmp_path, time_):
    one, two = registers
    keys = CredentialStore(MemoryKeyring())
    HubConfig(keys).save(parse_hub_url(hub_db.url), hub_db.password)
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    session = StaffSession(one, time_.clock())
    link = start_hub(path, SEAL, keys, lambda: time_.moment, training=False, staff=session)
    assert link is not None and link.staff is not None and link.staff._rounds.running
    link.staff.stop()  # before its first round ran: the test makes the rounds itself
    try:
        synced = await link.staff.sync_once()
        assert synced is not None and synced.pushed == 2
        await looper(two, hub, time_, "r2", shop="").sync_once()  # no checkout given: the store ""
        assert two.identify("7392").member.name == "Sam"
    finally:
        link.stop()
    assert not link.staff._rounds.running


@pytest.mark.asyncio
async def test_an_account_left_out_is_told_once_not_every_round(hub, registers, time_, caplog):
    one, two = registers
    two.add("sam", Role.MANAGER, "5071", by=IT)  # register 2's own Sam, made while apart
    await looper(one, hub, time_, "r1").sync_once()
    sync_two = looper(two, hub, time_, "r2")
    for _ in range(3):
        assert await sync_two.sync_once() is not None
    said = [r.getMessage() for r in caplog.records if "not shared" in r.getMessage()]
    assert len(said) == 2  # its push refused, and register 1's Sam not written in: each said once
    assert all("rename one of them" in line and "5071" not in line for line in said)
