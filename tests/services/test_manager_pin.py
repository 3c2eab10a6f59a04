"""The manager PIN: the rules for a new one, and a lockout that survives restarting the app."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from budtender_app.services import manager_pin
from budtender_app.services.manager_pin import (
    ManagerPinGuard,
    PinAlreadySet,
    PinCheck,
    PinNotSet,
    PinRuleError,
    PinStatus,
    lock_seconds,
    pin_problem,
)
from budtender_app.services.settings_store import SettingsStore

PIN = "4826"
WRONG = "9999"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def guard(clock):
    g = ManagerPinGuard(SettingsStore(), clock=clock)
    g.set_pin(PIN)
    return g


def restart(clock) -> ManagerPinGuard:
    """What a restart leaves: nothing in memory, only the settings file."""
    return ManagerPinGuard(SettingsStore(), clock=clock)


def wrong_tries(guard, n: int) -> list[PinCheck]:
    return [guard.check(WRONG) for _ in range(n)]


@pytest.mark.parametrize(("pin", "says"), [
    ("", "4 to 8 digits"),
    ("123", "4 to 8 digits"),
    ("123456789", "4 to 8 digits"),
    ("12a4", "digits only"),
    ("４８２６", "digits only"),  # full-width digits
    ("1234", "straight run"),
    ("4321", "straight run"),
    ("345678", "straight run"),
    ("0000", "repeated"),
    ("77777777", "repeated"),
])
def test_pins_a_manager_may_not_choose(pin, says):
    assert says in pin_problem(pin)
    with pytest.raises(PinRuleError, match=says):
        ManagerPinGuard(SettingsStore()).set_pin(pin)
    assert not ManagerPinGuard(SettingsStore()).is_set()


@pytest.mark.parametrize("pin", ["4826", "1235", "0101", "90817263", "1243"])
def test_pins_a_manager_may_choose(pin):
    assert pin_problem(pin) is None


def test_the_right_pin_opens_and_a_wrong_one_says_how_many_tries_are_left(guard):
    assert guard.is_set()
    assert guard.check(PIN) == PinCheck(PinStatus.OK)
    assert [c.tries_left for c in wrong_tries(guard, 4)] == [4, 3, 2, 1]


def test_five_wrong_tries_lock_it_and_a_restart_does_not_unlock_it(guard, clock):
    *_, fifth = wrong_tries(guard, 5)
    assert fifth == PinCheck(PinStatus.LOCKED, seconds_left=30)
    clock.now += 10
    after_restart = restart(clock)
    assert after_restart.check(PIN) == PinCheck(PinStatus.LOCKED, seconds_left=20)  # not even the right one
    assert after_restart.seconds_locked() == 20
    clock.now += 20
    assert after_restart.seconds_locked() == 0
    assert restart(clock).check(PIN).ok


def test_while_locked_the_pin_is_not_even_compared(guard, clock, monkeypatch):
    wrong_tries(guard, 5)
    compared = []
    monkeypatch.setattr(manager_pin, "_matches", lambda *a: compared.append(a) or True)
    assert guard.check(PIN).status is PinStatus.LOCKED
    assert compared == []


def test_each_lockout_in_a_row_lasts_longer_up_to_an_hour(guard, clock):
    seen = []
    for _ in range(6):
        *_, locked = wrong_tries(guard, 5)
        seen.append(locked.seconds_left)
        clock.now += locked.seconds_left
        guard = restart(clock)
    assert seen == [30, 120, 600, 3600, 3600, 3600]
    assert [lock_seconds(n) for n in (1, 2, 3, 4, 9)] == [30, 120, 600, 3600, 3600]


def test_the_right_pin_clears_the_wrong_tries_but_not_the_lockout_level(guard, clock):
    wrong_tries(guard, 3)
    assert guard.check(PIN).ok
    assert guard.check(WRONG).tries_left == 4  # back to five tries
    wrong_tries(guard, 4)  # first lockout: 30 s
    clock.now += 30
    assert guard.check(PIN).ok
    *_, locked = wrong_tries(guard, 5)
    assert locked.seconds_left == 120  # still the second lockout in a row


def test_the_lockout_level_cools_down_after_a_day(guard, clock):
    for _ in range(3):
        *_, locked = wrong_tries(guard, 5)
        clock.now += locked.seconds_left
    clock.now += 24 * 3600
    *_, locked = wrong_tries(guard, 5)
    assert locked.seconds_left == 30


def test_a_lock_written_under_a_clock_that_went_back_is_capped_at_an_hour(guard, clock):
    wrong_tries(guard, 5)
    clock.now -= 7 * 24 * 3600  # someone set the date back a week
    assert guard.check(PIN) == PinCheck(PinStatus.LOCKED, seconds_left=3600)
    clock.now += 3600
    assert guard.check(PIN).ok


def test_each_try_is_counted_in_the_file_before_the_pin_is_compared(guard, clock, monkeypatch):
    """Killing the app while it compares must not give a free try."""

    def crash(*_):
        raise KeyboardInterrupt  # the process dies mid-compare

    real = manager_pin._matches
    monkeypatch.setattr(manager_pin, "_matches", crash)
    for _ in range(5):
        with pytest.raises(KeyboardInterrupt):
            guard.check(WRONG)
    monkeypatch.setattr(manager_pin, "_matches", real)
    assert restart(clock).check(PIN).status is PinStatus.LOCKED


def test_the_right_pin_on_the_fifth_try_does_not_lock(guard):
    wrong_tries(guard, 4)
    assert guard.check(PIN).ok
    assert guard.seconds_locked() == 0


def test_change_needs_the_old_pin_and_counts_as_a_try(guard, clock):
    assert guard.change_pin(WRONG, "5937").tries_left == 4
    with pytest.raises(PinRuleError):
        guard.change_pin(PIN, "1111")  # refused before the old PIN is tried: costs no try
    assert guard.change_pin(PIN, "5937").ok
    assert restart(clock).check("5937").ok
    assert restart(clock).check(PIN).status is PinStatus.WRONG


def test_set_is_for_the_first_pin_only(guard):
    with pytest.raises(PinAlreadySet):
        guard.set_pin("5937")
    assert guard.check(PIN).ok


def test_with_no_pin_set_check_says_so_and_reset_forgets_it(guard):
    guard.reset()
    assert not guard.is_set()
    with pytest.raises(PinNotSet):
        guard.check(PIN)
    assert guard.seconds_locked() == 0


def test_the_file_holds_a_salted_scrypt_hash_and_not_the_pin(guard, clock):
    wrong_tries(guard, 2)
    text = SettingsStore().path.read_text("utf-8")
    assert PIN not in text and WRONG not in text
    record = json.loads(text)["manager_pin"]
    assert (record["n"], record["r"], record["p"]) == (2**14, 8, 1)
    salt = base64.b64decode(record["salt"])
    assert len(salt) == 16
    expected = hashlib.scrypt(PIN.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert base64.b64decode(record["hash"]) == expected
    assert record["lockout"]["failures"] == 2


def test_two_terminals_choosing_the_same_pin_store_different_hashes(tmp_path):
    one, two = (ManagerPinGuard(SettingsStore(tmp_path / f"{n}.json")) for n in (1, 2))
    one.set_pin(PIN)
    two.set_pin(PIN)
    hashes = {json.loads((tmp_path / f"{n}.json").read_text())["manager_pin"]["hash"] for n in (1, 2)}
    assert len(hashes) == 2


def test_a_damaged_hash_matches_nothing(guard):
    store = SettingsStore()
    text = store.path.read_text("utf-8").replace('"n": 16384', '"n": 3')  # not a power of two
    store.path.write_text(text, "utf-8")
    assert guard.check(PIN).status is PinStatus.WRONG


def test_store_profiles_saved_meanwhile_survive_a_pin_check(guard):
    from budtender_app.domain.settings import StoreProfile

    store = SettingsStore()
    store.save(store.load().with_profile(StoreProfile("Main St", "1", "2", brand="b")))
    guard.check(WRONG)
    assert [p.name for p in store.load().profiles] == ["Main St"]


# -- an unreadable settings file: the PIN and its lockout are not assumed away -----------------

def test_an_unreadable_file_keeps_its_pin_and_lockout_for_when_it_is_put_back(guard, clock):
    from budtender_app.services.settings_store import SettingsUnreadable

    wrong_tries(guard, 5)  # locked for 30 s
    store = SettingsStore()
    good = store.path.read_bytes()
    store.path.write_bytes(good[: len(good) // 2])  # cut short: a disk fault, a bad hand edit
    fresh = restart(clock)
    for attempt in (fresh.is_set, fresh.seconds_locked, lambda: fresh.check(PIN), lambda: fresh.set_pin("5937"),
                    fresh.reset, lambda: fresh.change_pin(PIN, "5937")):
        with pytest.raises(SettingsUnreadable):
            attempt()
    assert store.path.read_bytes() == good[: len(good) // 2], "nothing was written over it"
    store.path.write_bytes(good)  # IT puts back the backup
    again = restart(clock)
    assert again.is_set() and again.seconds_locked() == 30
    assert again.check(PIN).status is PinStatus.LOCKED


def test_two_first_setups_at_once_cannot_both_choose_the_pin(clock):
    """The "is one set?" look and the write are one step under the settings lock."""
    early = restart(clock)
    assert not early.is_set()
    restart(clock).set_pin(PIN)
    with pytest.raises(PinAlreadySet):
        early.set_pin("5937")
    assert restart(clock).check(PIN).ok


def test_a_right_pin_does_not_wipe_a_lock_another_terminal_earned_meanwhile(guard, clock, monkeypatch):
    """Between our try being counted and the right PIN clearing it, another window locks the PIN."""
    other = restart(clock)
    real_matches = manager_pin._matches

    def matches_while_the_other_locks(record, pin):
        monkeypatch.setattr(manager_pin, "_matches", real_matches)  # the other window's own tries
        wrong_tries(other, 5)
        return real_matches(record, pin)

    monkeypatch.setattr(manager_pin, "_matches", matches_while_the_other_locks)
    assert guard.check(PIN).ok
    assert restart(clock).seconds_locked() == 30
