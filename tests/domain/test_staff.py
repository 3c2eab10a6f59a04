"""Staff rules (issue 13): passcodes, names, badges, who may change accounts, the lockout steps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budtender_app.domain import lockout
from budtender_app.domain.staff import (
    TRAINING_STAFF,
    Actor,
    ActorKind,
    Role,
    StaffMember,
    StaffRuleError,
    authority_problem,
    badge_problem,
    check_badge,
    check_name,
    check_passcode,
    first_account_problem,
    name_key,
    passcode_problem,
)

MANAGER = StaffMember(1, "Ana", Role.MANAGER)
CASHIER = StaffMember(2, "Bo", Role.CASHIER)


@pytest.mark.parametrize(("passcode", "says"), [
    ("", "4 to 8 digits"),
    ("482", "4 to 8 digits"),
    ("482648264", "4 to 8 digits"),
    ("48a6", "digits only"),
    ("４８２６", "digits only"),  # full-width digits: isdigit() says yes, a keypad never types them
    ("7777", "repeated digit"),
    ("1234", "straight run"),
    ("876543", "straight run"),
])
def test_a_bad_passcode_is_refused_saying_why(passcode, says):
    assert says in passcode_problem(passcode)
    with pytest.raises(StaffRuleError):
        check_passcode(passcode)


@pytest.mark.parametrize("passcode", ["4826", "13579", "24682468", "1243"])
def test_a_good_passcode_is_kept_as_typed(passcode):
    assert check_passcode(passcode) == passcode


def test_the_demo_staff_list_keeps_its_own_rules():
    assert [a.role for a in TRAINING_STAFF] == [Role.CASHIER, Role.MANAGER]
    assert [check_passcode(a.passcode) for a in TRAINING_STAFF] == ["2468", "1357"]
    assert [check_name(a.name) for a in TRAINING_STAFF] == ["Trainee Cashier", "Trainer Manager"]


@given(st.text())
def test_no_passcode_with_anything_but_ascii_digits_is_accepted(text):
    if passcode_problem(text) is None:
        assert text.isascii() and text.isdigit() and 4 <= len(text) <= 8


@given(st.text(alphabet="0123456789", min_size=4, max_size=8) | st.text(min_size=4))
def test_a_refusal_never_repeats_the_passcode(text):
    problem = passcode_problem(text)
    if problem is not None and len(text) >= 4:
        assert text not in problem


@given(st.text(min_size=4, max_size=70))
def test_a_badge_refusal_never_repeats_the_badge(code):
    problem = badge_problem(code)
    if problem is not None and len(code.strip()) >= 4:
        assert code.strip() not in problem


@given(st.text())
def test_a_name_kept_is_trimmed_short_and_printable(text):
    try:
        name = check_name(text)
    except StaffRuleError:
        return
    assert name == name.strip() and 1 <= len(name) <= 40 and name.isprintable()


@pytest.mark.parametrize(("text", "says"), [
    ("   ", "Enter the staff member's name"),
    ("x" * 41, "at most 40"),
    ("Ana\tB", "control characters"),
])
def test_a_bad_name_is_refused(text, says):
    with pytest.raises(StaffRuleError, match=says):
        check_name(text)


def test_names_are_unique_with_case_ignored():
    with pytest.raises(StaffRuleError, match="already an active account named 'ana'"):
        check_name("  ana ", taken=frozenset({name_key("Ana")}))
    assert check_name("  Ana Lee ") == "Ana Lee"


def test_a_badge_is_what_the_reader_types_without_its_enter():
    assert check_badge("  %B12345^STAFF?\r\n") == "%B12345^STAFF?"
    for bad in ("123", "x" * 65, "ab\x00cd"):
        with pytest.raises(StaffRuleError):
            check_badge(bad)


def test_a_terminal_without_a_manager_takes_only_it_or_the_first_start_setup():
    for actor in (Actor.command_line("it"), Actor.first_start_setup()):
        assert authority_problem(actor, manager_exists=False, actor_member=None) is None
    assert "no manager yet" in authority_problem(Actor.member(CASHIER), manager_exists=False, actor_member=CASHIER)
    assert "must be a manager" in first_account_problem(Role.CASHIER, manager_exists=False)
    assert first_account_problem(Role.MANAGER, manager_exists=False) is None


def test_once_there_is_a_manager_the_first_start_setup_is_refused():
    assert "already set up" in authority_problem(Actor.first_start_setup(), manager_exists=True, actor_member=None)
    assert authority_problem(Actor.command_line(), manager_exists=True, actor_member=None) is None
    assert authority_problem(Actor.member(MANAGER), manager_exists=True, actor_member=MANAGER) is None


def test_a_cashier_or_a_removed_manager_cannot_change_accounts():
    removed = StaffMember(3, "Cy", Role.MANAGER, removed_at=datetime(2026, 1, 1, tzinfo=UTC))
    for member in (CASHIER, removed):
        assert authority_problem(Actor.member(member), manager_exists=True, actor_member=member) == \
            "Only a manager can change staff accounts."
    assert Actor.member(CASHIER).kind is ActorKind.STAFF


def test_the_lockout_grows_30s_2min_10min_1h_and_a_right_answer_keeps_the_level():
    lock, now, seen = lockout.PinLockout(), 1000.0, []
    for _ in range(5):
        for _ in range(lockout.MAX_TRIES):
            lock = lockout.count_try(lock, now)
        seen.append(lockout.remaining(lock, now))
        now = lock.locked_until
    assert seen == [30, 120, 600, 3600, 3600]
    assert lockout.cleared(lock).level == lock.level and lockout.cleared(lock).failures == 0


def test_a_badge_of_passcode_digits_is_refused_it_would_read_as_a_passcode():
    """Sign-in takes 4-8 digits for a passcode: such a badge would never sign anyone in."""
    with pytest.raises(StaffRuleError, match="reads as a passcode"):
        check_badge("48261")
    assert check_badge("004200420042") == "004200420042"  # a numeric barcode of another length is fine
