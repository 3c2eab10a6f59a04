"""Staff accounts shared through a real hub (issue 15): two registers (two staff files) of one
store meet on one PostgreSQL database. An account made at one signs in at the other; a removal
reaches every register; a lockout at one holds at the other; the hub down leaves local sign-in
as it was; the hub's tables hold hashes and tags, never a passcode nor the lookup key."""

from __future__ import annotations

import threading

import psycopg
import pytest

from budtender_app.domain.staff import Actor, CheckStatus, Role
from budtender_app.services import slow_hash
from budtender_app.services.hub import schema
from budtender_app.services.hub.config import HubUnreachable, connect, parse_hub_url
from budtender_app.services.hub.staff_sync import StaffSyncResult, sync
from budtender_app.services.staff.store import StaffStore
from tests.helpers import MovingTime
from tests.helpers.pg import free_port

pytestmark = pytest.mark.hub

IT = Actor.command_line("it")
STORE_KEY = bytes(range(32))  # the store's lookup key, carried to each register by IT
OTHER_KEY = bytes(range(32, 64))


@pytest.fixture
def hub(hub_db):
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    with connect(args) as conn:
        schema.migrate(conn)
    return args


@pytest.fixture
def time_():
    return MovingTime()


def register(tmp_path, time_, n: int, key: bytes = STORE_KEY) -> StaffStore:
    store = StaffStore(tmp_path / f"register{n}" / "staff.sqlite3", clock=time_.clock(), lookup_key=key)
    store.time = time_  # the registers' one clock, for their syncs
    return store


def synced(args, store: StaffStore, terminal: str) -> StaffSyncResult:
    with connect(args) as conn:
        return sync(conn, "Main St", terminal, store, store.time.moment)


@pytest.fixture
def two(tmp_path, time_, hub):
    """Register 1 with the store's first manager, register 2 empty; both synced once."""
    one, two = register(tmp_path, time_, 1), register(tmp_path, time_, 2)
    one.add("Ana", Role.MANAGER, "4826", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    yield one, two
    one.close()
    two.close()


def test_an_account_added_at_register_1_signs_in_at_register_2(hub, two):
    one, two = two
    assert two.identify("4826").member.name == "Ana"  # the first manager, from register 1
    one.add("Sam", Role.CASHIER, "7392", by=IT)
    assert synced(hub, one, "r1").pushed == 1
    result = synced(hub, two, "r2")
    assert len(result.applied.added) == 1
    check = two.identify("7392")
    assert check.ok and check.member.name == "Sam" and check.member.role is Role.CASHIER
    assert [e.action for e in two.events()][-1] == "added"  # register 2's own history says so


def test_removed_at_register_2_cannot_sign_in_at_register_1_after_sync(hub, two):
    one, two = two
    sam = one.add("Sam", Role.CASHIER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    two.remove(two.find("Sam").id, by=IT)
    synced(hub, two, "r2")
    assert one.identify("7392").ok  # not yet: register 1 has not synced
    result = synced(hub, one, "r1")
    assert result.applied.removed == [sam.id]
    assert one.identify("7392").status is CheckStatus.WRONG
    assert one.get(sam.id).removed


def test_a_removal_wins_over_a_change_made_elsewhere_while_apart(hub, two):
    one, two = two
    sam = one.add("Sam", Role.CASHIER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    two.remove(two.find("Sam").id, by=IT)
    one.set_role(sam.id, Role.MANAGER, by=IT)  # register 1 promotes Sam, not knowing
    synced(hub, two, "r2")
    synced(hub, one, "r1")  # register 1's promotion arrives after the removal: ignored
    synced(hub, two, "r2")
    assert one.get(sam.id).removed and two.find("Sam") is None


def test_a_demotion_reaches_the_other_register(hub, two):
    one, two = two
    sam = one.add("Sam", Role.MANAGER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    two.set_role(two.find("Sam").id, Role.CASHIER, by=IT)
    synced(hub, two, "r2")
    synced(hub, one, "r1")
    assert one.get(sam.id).role is Role.CASHIER


def test_a_lockout_at_register_1_holds_at_register_2(hub, two, time_):
    one, two = two
    sam = one.add("Sam", Role.MANAGER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    for _ in range(5):
        assert not one.verify(sam.id, "1111").ok
    assert one.verify(sam.id, "7392").status is CheckStatus.LOCKED
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    sam2 = two.find("Sam")
    assert two.verify(sam2.id, "7392").status is CheckStatus.LOCKED
    assert two.identify("7392").status is CheckStatus.LOCKED  # signing in is refused there too


def test_tries_at_two_registers_add_up_on_the_hub(hub, two, time_):
    one, two = two
    sam = one.add("Sam", Role.MANAGER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    sam2 = two.find("Sam")
    for _ in range(3):
        one.verify(sam.id, "1111")
        two.verify(sam2.id, "1111")
    synced(hub, one, "r1")
    synced(hub, two, "r2")  # 6 wrong tries at the store: locked
    synced(hub, one, "r1")
    assert one.verify(sam.id, "7392").status is CheckStatus.LOCKED
    assert two.verify(sam2.id, "7392").status is CheckStatus.LOCKED


def test_an_unlock_by_it_at_one_register_unlocks_every_register(hub, two, time_):
    one, two = two
    sam = one.add("Sam", Role.MANAGER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    for _ in range(5):
        one.verify(sam.id, "1111")
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    two.unlock(two.find("Sam").id, by=IT)
    synced(hub, two, "r2")
    synced(hub, one, "r1")
    assert one.verify(sam.id, "7392").ok


def test_with_the_hub_down_sign_in_works_from_the_local_copy(hub, two):
    one, two = two
    down = {**hub, "port": free_port()}
    with pytest.raises(HubUnreachable):
        synced(down, two, "r2")
    assert two.identify("4826").ok
    two.add("Lee", Role.CASHIER, "5071", by=IT)  # made while the hub is away: pushed when it is back
    assert two.identify("5071").ok
    synced(hub, two, "r2")
    synced(hub, one, "r1")
    assert one.identify("5071").member.name == "Lee"


def test_a_register_without_the_stores_key_takes_in_nothing_it_cannot_check(hub, two, tmp_path, time_):
    del two  # register 1 made the store's first manager
    three = register(tmp_path, time_, 3, key=OTHER_KEY)  # IT has not carried the store's key here yet
    try:
        three.add("Lee", Role.MANAGER, "5071", by=IT)
        result = synced(hub, three, "r3")
        assert any("hub staff-key --set" in why for why in result.skipped)
        assert three.identify("4826").status is CheckStatus.WRONG and three.identify("5071").ok
    finally:
        three.close()
    three = register(tmp_path, time_, 3)  # IT ran `hub staff-key --set` and restarted the app
    try:
        synced(hub, three, "r3")
        assert three.identify("4826").member.name == "Ana" and three.identify("5071").ok
    finally:
        three.close()


def test_whoever_writes_the_hubs_tables_without_the_key_makes_no_manager(hub, two):
    one, two = two
    sam = one.add("Sam", Role.CASHIER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    with connect(hub) as conn:  # the hub server's admin, or a stolen backup written back
        conn.execute("UPDATE hub_staff SET role = 'manager', version = nextval('hub_staff_version') "
                     "WHERE name = 'Sam'")
        conn.execute("INSERT INTO hub_staff (store, uid, name, name_key, role, passcode_hash, updated_by) "
                     "SELECT store, 'forged', 'Mallory', 'mallory', 'manager', passcode_hash, 'x' FROM hub_staff "
                     "WHERE name = 'Sam'")
        conn.commit()
    result = synced(hub, two, "r2")
    assert any("not sealed" in why for why in result.skipped)
    assert two.find("Mallory") is None and not two.find("Sam").is_manager
    synced(hub, one, "r1")  # register 1 pushes its Sam again: the hub's row is a cashier's once more
    assert not one.get(sam.id).is_manager
    with connect(hub) as conn:
        assert conn.execute("SELECT role FROM hub_staff WHERE name = 'Sam'").fetchone() == ("cashier",)


def test_two_registers_making_one_name_while_apart_keep_both_accounts_local(hub, two, caplog):
    one, two = two
    one.add("Sam", Role.CASHIER, "7392", by=IT)
    two.add("sam", Role.CASHIER, "5071", by=IT)
    synced(hub, one, "r1")
    result = synced(hub, two, "r2")
    assert any("'sam'" in why for why in result.skipped)
    assert two.identify("5071").ok and two.identify("7392").status is CheckStatus.WRONG
    assert "5071" not in caplog.text and "7392" not in caplog.text


def test_nothing_secret_in_the_hub_tables_beyond_hashes(hub, two):
    one, two = two
    one.add("Sam", Role.CASHIER, "7392", badge="BADGE-00991", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    with connect(hub) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        dump = "\n".join(str(row) for t in tables for row in conn.execute(f"SELECT * FROM {t}").fetchall())
    assert "hub_staff" in tables and "Sam" in dump
    for secret in ("7392", "4826", "BADGE-00991", STORE_KEY.hex(), OTHER_KEY.hex()):
        assert secret not in dump
    with psycopg.connect(**hub) as conn:
        hashes = conn.execute("SELECT passcode_hash FROM hub_staff").fetchall()
    assert all(h[0].startswith("scrypt$") for h in hashes)


def test_two_registers_sending_tries_at_once_lose_none(hub, two):
    one, two = two
    sam = one.add("Sam", Role.MANAGER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    sam2 = two.find("Sam")
    for _ in range(2):
        one.verify(sam.id, "1111")
        two.verify(sam2.id, "1111")
    start = threading.Barrier(2)

    def send(store, terminal):
        start.wait()
        synced(hub, store, terminal)

    threads = [threading.Thread(target=send, args=a) for a in ((one, "r1"), (two, "r2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with connect(hub) as conn:
        assert conn.execute("SELECT failures FROM hub_staff WHERE name = 'Sam'").fetchone() == (4,)


def test_a_register_with_accounts_of_its_own_joins_and_everyone_signs_in_everywhere(hub, two, tmp_path, time_):
    one, _ = two
    three = register(tmp_path, time_, 3)
    try:
        three.add("Lee", Role.MANAGER, "5071", by=IT)  # its own file, its own tag salt
        result = synced(hub, three, "r3")
        assert result.salt_changed and result.pushed == 1
        assert three.identify("5071").member.name == "Lee"  # its tags dropped with its salt: found by hash
        assert three.identify("4826").member.name == "Ana"  # register 1's, by the store's tag
        synced(hub, one, "r1")
        assert one.identify("5071").member.name == "Lee"
    finally:
        three.close()


def test_with_the_stores_key_an_account_from_elsewhere_costs_two_scrypts_at_sign_in(hub, two, monkeypatch):
    one, two = two
    for n in range(10):
        one.add(f"Cashier {n}", Role.CASHIER, f"{50000 + 37 * n}", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    calls = []
    real = slow_hash.scrypt
    monkeypatch.setattr(slow_hash, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert two.identify("50333").member.name == "Cashier 9"
    assert len(calls) == 2, "the store's lookup tag, then the account's own hash: no scrypt per account"


def test_a_hub_restored_from_an_older_backup_is_refilled_by_the_registers(hub, hub_db, two):
    one, two = two
    one.add("Sam", Role.CASHIER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    for role in (Role.MANAGER, Role.CASHIER) * 3:  # the hub's numbers run well past what it will restart from
        two.set_role(two.find("Sam").id, role, by=IT)
        synced(hub, two, "r2")
    two.set_role(two.find("Sam").id, Role.MANAGER, by=IT)
    synced(hub, two, "r2")
    synced(hub, one, "r1")
    hub_db.drop_and_recreate()  # as if restored from before any of it
    with connect(hub) as conn:
        schema.migrate(conn)
    first = synced(hub, one, "r1")
    assert first.pushed == 2 and first.applied.refill == 2  # Ana and Sam, pushed again
    synced(hub, two, "r2")  # the hub now holds register 1's older Sam: register 2 pushes its newer one
    synced(hub, one, "r1")
    assert one.find("Sam").role is Role.MANAGER
    for store, terminal in ((one, "r1"), (two, "r2")):  # refilled once: nothing is pushed again and again
        again = synced(hub, store, terminal)
        assert again.pushed == 0 and again.applied.refill == 0
    lee = register(one.path.parent.parent, one.time, 4)
    try:
        synced(hub, lee, "r4")  # a register joining after the restore gets every account
        assert lee.identify("7392").member.role is Role.MANAGER
    finally:
        lee.close()


def test_an_unlock_after_the_hub_was_restored_still_unlocks_every_register(hub, hub_db, two):
    one, two = two
    sam = one.add("Sam", Role.MANAGER, "7392", by=IT)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    for _ in range(3):  # lockouts and unlocks before the restore: the registers have seen generation 3
        for _ in range(5):
            one.verify(sam.id, "1111")
        synced(hub, one, "r1")
        synced(hub, two, "r2")
        two.unlock(two.find("Sam").id, by=IT)
        synced(hub, two, "r2")
        synced(hub, one, "r1")
    assert one.verify(sam.id, "7392").ok
    hub_db.drop_and_recreate()
    with connect(hub) as conn:
        schema.migrate(conn)
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    for _ in range(5):
        one.verify(sam.id, "1111")
    synced(hub, one, "r1")
    synced(hub, two, "r2")
    assert two.verify(two.find("Sam").id, "7392").status is CheckStatus.LOCKED
    two.unlock(two.find("Sam").id, by=IT)
    synced(hub, two, "r2")
    synced(hub, one, "r1")
    assert one.verify(sam.id, "7392").ok
