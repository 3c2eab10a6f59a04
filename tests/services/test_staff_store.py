"""The staff store (issue 13): accounts and their rules, sign-in, lockouts across a restart, two
processes on one file, the upgrade from the manager PIN, training's own list, and the cost."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from budtender_app.domain.staff import Actor, ActorKind, CheckStatus, Role, StaffRuleError
from budtender_app.services import slow_hash
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.paths import folders
from budtender_app.services.settings_store import SettingsStore
from budtender_app.services.staff import StaffStoreError, open_staff_store
from budtender_app.services.staff.store import StaffStore
from tests.helpers import MovingTime
from tests.helpers.memory_keyring import MemoryKeyring

IT = Actor.command_line("it")
KEY = bytes(range(32))


Time = MovingTime


@pytest.fixture
def now():
    return Time()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "staff.sqlite3"


def open_store(path, now, key=KEY, **kw) -> StaffStore:
    return StaffStore(path, clock=now.clock(), lookup_key=key, **kw)


@pytest.fixture
def store(path, now):
    with open_store(path, now) as s:
        yield s


@pytest.fixture
def ana(store):
    """The terminal's first manager, made by IT."""
    return store.add("Ana", Role.MANAGER, "4826", by=IT)


def test_the_first_account_is_a_manager_made_by_it_or_the_first_start_setup(store):
    assert not store.has_manager()
    with pytest.raises(StaffRuleError, match="first account on this terminal must be a manager"):
        store.add("Bo", Role.CASHIER, "5937", by=IT)
    with pytest.raises(StaffRuleError, match="no manager yet"):
        store.add("Bo", Role.MANAGER, "5937", by=Actor(ActorKind.STAFF, "Bo", 99))
    first = store.add("Ana", "manager", "4826", by=Actor.first_start_setup())
    assert store.has_manager() and first.is_manager
    with pytest.raises(StaffRuleError, match="already set up"):
        store.add("Cy", Role.MANAGER, "5937", by=Actor.first_start_setup())


def test_only_a_manager_or_it_changes_accounts(store, ana):
    bo = store.add("Bo", Role.CASHIER, "5937", by=Actor.member(ana))
    with pytest.raises(StaffRuleError, match="Only a manager"):
        store.add("Cy", Role.CASHIER, "6048", by=Actor.member(bo))
    with pytest.raises(StaffRuleError, match="Only a manager"):
        store.set_role(bo.id, Role.MANAGER, by=Actor.member(bo))
    assert store.set_role(bo.id, "manager", by=IT).is_manager


def test_list_shows_names_roles_badges_and_never_a_hash(store, ana):
    store.add("Bo", Role.CASHIER, "5937", badge="STAFF-0042", by=IT)
    assert [(m.name, m.role, m.has_badge, m.removed) for m in store.list()] == [
        ("Ana", Role.MANAGER, False, False), ("Bo", Role.CASHIER, True, False)]
    assert set(type(ana).__slots__) == {"id", "name", "role", "has_badge", "removed_at"}


def test_removing_keeps_the_name_and_the_account_can_no_longer_sign_in(store, ana, now):
    bo = store.add("Bo", Role.CASHIER, "5937", badge="STAFF-0042", by=IT)
    removed = store.remove(bo.id, by=Actor.member(ana))
    assert removed.removed and removed.name == "Bo" and removed.removed_at == now.moment
    assert store.identify("5937").status is CheckStatus.WRONG
    assert store.identify_badge("STAFF-0042").status is CheckStatus.WRONG
    assert store.verify(bo.id, "5937").status is CheckStatus.NO_ACCOUNT
    assert [m.name for m in store.list()] == ["Ana", "Bo"]
    assert [m.name for m in store.list(include_removed=False)] == ["Ana"]
    again = store.add("bo", Role.CASHIER, "5937", by=IT)  # a removed account's name and passcode are free again
    assert store.identify("5937").member == again


def test_the_last_manager_cannot_be_removed_or_made_a_cashier(store, ana):
    with pytest.raises(StaffRuleError, match="Ana is the last manager and cannot be removed"):
        store.remove(ana.id, by=IT)
    with pytest.raises(StaffRuleError, match="cannot be made a cashier"):
        store.set_role(ana.id, Role.CASHIER, by=IT)
    cy = store.add("Cy", Role.MANAGER, "6048", by=IT)
    store.set_role(ana.id, Role.CASHIER, by=Actor.member(cy))
    with pytest.raises(StaffRuleError, match="Cy is the last manager"):
        store.remove(cy.id, by=IT)
    assert store.has_manager()


def test_names_are_unique_among_active_accounts_with_case_ignored(store, ana):
    with pytest.raises(StaffRuleError, match="already an active account named 'ANA'"):
        store.add(" ANA ", Role.CASHIER, "5937", by=IT)


def test_a_passcode_or_badge_another_account_has_is_refused_without_saying_whose(store, ana):
    bo = store.add("Bo", Role.CASHIER, "5937", badge="STAFF-0042", by=IT)
    for attempt in (lambda: store.add("Cy", Role.CASHIER, "4826", by=IT),
                    lambda: store.reset_passcode(bo.id, "4826", by=IT)):
        with pytest.raises(StaffRuleError) as refused:
            attempt()
        assert str(refused.value) == "That passcode is taken: choose another."
    with pytest.raises(StaffRuleError, match="already someone's"):
        store.add("Cy", Role.CASHIER, "6048", badge=" STAFF-0042 ", by=IT)
    store.reset_passcode(bo.id, "5937", by=IT)  # its own passcode again is no clash
    assert store.identify("5937").member == bo and store.identify_badge("STAFF-0042\r\n").member == bo


def test_identify_finds_whose_passcode_it_is_among_every_active_account(store, ana):
    bo = store.add("Bo", Role.CASHIER, "5937", by=IT)
    assert store.identify("4826").member == ana and store.identify("5937").member == bo
    wrong = store.identify("6048")
    assert (wrong.status, wrong.member, wrong.tries_left) == (CheckStatus.WRONG, None, 4)


def test_wrong_passcodes_at_sign_in_lock_the_terminal_growing_and_surviving_a_restart(path, now, store, ana):
    assert [store.identify("6048").status for _ in range(5)][-1] is CheckStatus.LOCKED
    with open_store(path, now) as restarted:  # nothing in memory: only the file
        locked = restarted.identify("4826")
        assert (locked.status, locked.seconds_left) == (CheckStatus.LOCKED, 30), "nothing is compared while locked"
        now.pass_(30)
        assert restarted.identify("4826").ok
        assert [restarted.identify("x").status for _ in range(5)][-1] is CheckStatus.LOCKED  # not digits: still a try
        assert restarted.seconds_locked() == 120
    assert any(e.action == "locked" and "120 s" in e.detail for e in store.events())


def test_wrong_approvals_lock_that_account_across_a_restart_and_a_reset_unlocks_it(path, now, store, ana):
    checks = [store.verify(ana.id, "6048") for _ in range(5)]
    assert [c.tries_left for c in checks[:4]] == [4, 3, 2, 1] and checks[4].status is CheckStatus.LOCKED
    with open_store(path, now) as restarted:
        assert restarted.verify(ana.id, "4826").status is CheckStatus.LOCKED
        assert restarted.identify("4826").status is CheckStatus.LOCKED  # the right passcode of a locked account
        assert restarted.seconds_locked() == 0, "the terminal's sign-in is not locked by one account's lock"
        restarted.reset_passcode(ana.id, "7152", by=IT)
        assert restarted.verify(ana.id, "7152").ok


def test_a_right_passcode_clears_the_wrong_tries_but_not_the_level(store, ana, now):
    for _ in range(5):
        store.verify(ana.id, "6048")
    now.pass_(30)
    assert store.verify(ana.id, "4826").ok
    assert [store.verify(ana.id, "6048").tries_left for _ in range(4)] == [4, 3, 2, 1]
    assert store.verify(ana.id, "6048").seconds_left == 120


def test_two_store_objects_on_one_file_lose_no_try(path, now, store, ana):
    other = open_store(path, now)
    results, start = [], threading.Barrier(8)

    def guess(s):
        start.wait()
        results.append(s.identify("6048").status)

    threads = [threading.Thread(target=guess, args=(s,)) for s in (store, other) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert results.count(CheckStatus.WRONG) == 4, "each try counted once: the 5th locks, the rest are refused"
    assert store.seconds_locked() == 30


def test_two_store_objects_adding_at_once_keep_both_and_refuse_a_shared_passcode(path, now, store, ana):
    other = open_store(path, now)
    store.add("Bo", Role.CASHIER, "5937", by=IT)
    other.add("Cy", Role.CASHIER, "6048", by=IT)
    with pytest.raises(StaffRuleError, match="taken"):
        other.add("Di", Role.CASHIER, "5937", by=IT)
    assert [m.name for m in store.list()] == ["Ana", "Bo", "Cy"]
    other.close()


def test_every_change_is_in_the_history_with_who_did_it_and_never_the_passcode(path, store, ana):
    bo = store.add("Bo", Role.CASHIER, "97153", by=Actor.member(ana))
    store.reset_passcode(bo.id, "86042", by=Actor.member(ana))
    store.set_role(bo.id, Role.MANAGER, by=IT)
    store.remove(bo.id, by=Actor.member(ana))
    events = [(e.actor_name, e.action, e.member_name) for e in store.events()]
    assert events == [("IT at the command line (it)", "added", "Ana"), ("Ana", "added", "Bo"),
                      ("Ana", "passcode reset", "Bo"), ("IT at the command line (it)", "role changed", "Bo"),
                      ("Ana", "removed", "Bo")]
    with sqlite3.connect(path) as raw:
        dump = "\n".join(raw.iterdump())
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM staff_events")
    assert "97153" not in dump and "86042" not in dump


def test_identify_costs_two_scrypts_not_one_per_account_even_with_30(store, ana, monkeypatch):
    for n in range(29):
        store.add(f"Cashier {n}", Role.CASHIER, f"{50000 + 37 * n}", by=IT)
    best = min(_timed(lambda: store.identify("51036")) for _ in range(3))
    calls = []
    real = slow_hash.scrypt
    monkeypatch.setattr(slow_hash, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert store.identify("51036").member.name == "Cashier 28"
    assert len(calls) == 2, "the lookup tag, then the account's own hash"
    assert best < 0.6, f"identify took {best:.3f} s with 30 accounts"  # measured ~0.07 s; 30 scrypts take ~1 s


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def test_a_new_lookup_key_slows_sign_in_once_and_locks_nobody_out(path, now, store, ana):
    with open_store(path, now, key=b"another key of the keyring, 32b!") as rekeyed:
        assert rekeyed.identify("4826").member == ana  # found by its slow hash, then tagged again
        with pytest.raises(StaffRuleError, match="taken"):
            rekeyed.add("Bo", Role.CASHIER, "4826", by=IT)


def _settings_with_pin(pin: str = "4826") -> SettingsStore:
    settings = SettingsStore()
    ManagerPinGuard(settings).set_pin(pin)
    return settings


def test_the_old_manager_pin_becomes_the_manager_account_exactly_once(path, now):
    settings = _settings_with_pin()
    read = lambda: settings.read().manager_pin  # noqa: E731 - the store's view of the settings file
    first, second = open_store(path, now, read_manager_pin=read), open_store(path, now, read_manager_pin=read)
    [manager] = first.list()
    assert (manager.name, manager.role) == ("Manager", Role.MANAGER)
    assert second.identify("4826").member == manager, "the old PIN is its passcode"
    assert second.verify(manager.id, "4826").ok
    assert [e.actor_kind.value for e in first.events()] == ["upgrade"]
    first.close()
    second.close()


def test_the_upgrade_keeps_the_manager_pin_lockout(path, now):
    settings = _settings_with_pin()
    guard = ManagerPinGuard(settings, clock=now.clock().epoch)
    for _ in range(5):
        guard.check("6048")
    with open_store(path, now, read_manager_pin=lambda: settings.read().manager_pin) as store:
        assert store.identify("4826").status is CheckStatus.LOCKED


def test_an_unreadable_settings_file_keeps_an_empty_staff_file_from_opening(path, now):
    settings = SettingsStore()
    settings.path.parent.mkdir(parents=True)
    settings.path.write_bytes(b"\x00 not json")
    with pytest.raises(StaffStoreError, match="could not be read"):
        open_store(path, now, read_manager_pin=lambda: settings.read().manager_pin)


def test_training_has_its_own_demo_staff_list_and_the_real_one_stays_empty(now):
    keys = CredentialStore(MemoryKeyring())
    with open_staff_store(folders(), clock=now.clock(), training=True) as training:
        assert [(m.name, m.role) for m in training.list()] == [("Trainer Manager", Role.MANAGER),
                                                               ("Trainee Cashier", Role.CASHIER)]
        assert training.identify("2468").member.name == "Trainee Cashier"
        assert training.identify("1357").member.name == "Trainer Manager"
    with open_staff_store(folders(), clock=now.clock(), training=True) as again:
        assert len(again.list()) == 2, "seeded once"
    with open_staff_store(folders(), clock=now.clock(), credentials=keys) as real:
        assert real.list() == [] and not real.has_manager()
        assert real.identify("2468").status is CheckStatus.WRONG
    assert folders().staff(training=True) != folders().staff()


def test_two_processes_opening_at_once_upgrade_the_manager_pin_once(path, now):
    settings = _settings_with_pin()
    opened, start = [], threading.Barrier(4)

    def open_one():
        start.wait()
        opened.append(open_store(path, now, read_manager_pin=lambda: settings.read().manager_pin))

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [m.name for m in opened[0].list()] == ["Manager"]
    assert [e.action for e in opened[0].events()] == ["added"]
    for s in opened:
        s.close()


def test_training_seeded_once_hashes_nothing_at_the_next_start(tmp_path, monkeypatch):
    """Four scrypts (~160 ms) at every start of training were the start-up's largest cost."""
    from budtender_app.domain.clock import Clock
    from budtender_app.domain.staff import TRAINING_STAFF, ActorKind
    from budtender_app.domain.staff import Actor as ChangeActor
    from budtender_app.services import slow_hash
    from budtender_app.services.staff.store import StaffStore

    by = ChangeActor(ActorKind.TRAINING, "training")
    with StaffStore(tmp_path / "s.sqlite3", clock=Clock.system(), lookup_key=bytes(32)) as store:
        assert store.seed(TRAINING_STAFF, by=by)
    calls = []
    real = slow_hash.scrypt
    monkeypatch.setattr(slow_hash, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    with StaffStore(tmp_path / "s.sqlite3", clock=Clock.system(), lookup_key=bytes(32)) as store:
        assert not store.seed(TRAINING_STAFF, by=by)
    assert calls == []
