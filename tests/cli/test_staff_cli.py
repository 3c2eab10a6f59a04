"""IT at the command line: `budtender-app staff ...` run as IT types it, in its own process,
with the passcode piped to standard input (the real staff file needs the OS keyring's key)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budtender_app.services.credentials import CredentialStore, KeyringUnavailable
from budtender_app.services.paths import folders

ROOT = Path(__file__).resolve().parents[2]


def staff(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budtender_app", *args], cwd=ROOT, env=os.environ, input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def keyring_ok() -> None:
    """The real staff file's lookup key lives in the OS keyring: skip without one (fail when required)."""
    try:
        CredentialStore().ensure_usable()
    except KeyringUnavailable as exc:
        if os.environ.get("BUDTENDER_REQUIRE_KEYRING") == "1":
            pytest.fail(f"BUDTENDER_REQUIRE_KEYRING=1 but {exc.detail}", pytrace=False)
        pytest.skip(f"real keyring not reachable: {exc.detail}")


@pytest.mark.keyring
@pytest.mark.usefixtures("keyring_ok")
def test_it_makes_the_first_manager_then_a_cashier_with_a_badge_and_list_shows_no_secret():
    refused = staff("staff", "add", "--name", "Bo", "--role", "cashier", stdin="5937\n")
    assert refused.returncode == 1 and "must be a manager" in refused.stderr
    # Eight digits: four could turn up by chance in the file's hex hashes or its timestamps' microseconds.
    made = staff("staff", "add", "--name", "Ana", "--role", "manager", stdin="48269153\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout == "Added Ana (account 1) as manager.\n"
    badge = staff("staff", "add", "--name", "Bo", "--role", "cashier", "--badge", stdin="5937\nSTAFF-0042\n")
    assert badge.returncode == 0 and "with a badge" in badge.stdout
    listed = staff("staff", "list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == ["  ID  NAME  ROLE      BADGE  REMOVED",
                                          "   1  Ana   manager   no     no",
                                          "   2  Bo    cashier   yes    no"]
    assert not any(secret in listed.stdout for secret in ("48269153", "5937", "STAFF-0042", "scrypt", "$"))
    written = folders().staff().read_bytes()
    assert b"48269153" not in written and b"STAFF-0042" not in written


@pytest.mark.keyring
@pytest.mark.usefixtures("keyring_ok")
def test_refusals_exit_1_with_the_reason_and_never_the_passcode():
    assert staff("staff", "add", "--name", "Ana", "--role", "manager", stdin="4826\n").returncode == 0
    for args, stdin, says in [
        (("add", "--name", "Bo", "--role", "cashier"), "1234\n", "straight run"),
        (("add", "--name", "Bo", "--role", "cashier"), "4826\n", "That passcode is taken"),
        (("add", "--name", "Bo", "--role", "cashier"), "", "No passcode was given"),
        (("remove", "Ana"), "", "Ana is the last manager"),
        (("set-role", "1", "cashier"), "", "last manager"),
        (("reset-passcode", "Nobody"), "", "No staff account is 'Nobody'"),
    ]:
        done = staff("staff", *args, stdin=stdin)
        assert (done.returncode, done.stdout) == (1, ""), (args, done)
        assert says in done.stderr and (not stdin.strip() or stdin.strip() not in done.stderr), (args, done.stderr)


@pytest.mark.keyring
@pytest.mark.usefixtures("keyring_ok")
def test_set_role_reset_passcode_and_remove_by_id_or_name():
    assert staff("staff", "add", "--name", "Ana", "--role", "manager", stdin="4826\n").returncode == 0
    assert staff("staff", "add", "--name", "Bo", "--role", "cashier", stdin="5937\n").returncode == 0
    assert staff("staff", "set-role", "bo", "manager").stdout == "Bo (account 2) is a manager.\n"
    assert staff("staff", "reset-passcode", "2", stdin="6048\n").returncode == 0
    assert staff("staff", "remove", "Ana").returncode == 0
    listed = staff("staff", "list").stdout.splitlines()
    assert listed[1].split()[:3] == ["1", "Ana", "manager"] and listed[1].split()[-1] != "no"  # removed: a date
    assert staff("staff", "add", "--name", "Cy", "--role", "cashier", stdin="6048\n").stderr.startswith(
        "That passcode is taken"), "Bo's new passcode is in force"


def test_usage_errors_exit_2():
    assert staff("staff", "add", "--name", "Ana").returncode == 2  # no --role
    assert staff("staff", "set-role", "Ana", "boss").returncode == 2
    assert staff("staff").returncode == 2


def test_demo_acts_on_training_s_own_list_which_needs_no_keyring():
    listed = staff("--demo", "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[1:4] for line in listed.stdout.splitlines()[1:]] == [
        ["Trainer", "Manager", "manager"], ["Trainee", "Cashier", "cashier"]]
    assert not folders().staff().exists(), "the real staff file is never touched by training"


class _Tty:
    """Standard input that is a terminal: the passcode is asked for twice, hidden."""

    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_passcode_is_asked_twice_and_two_different_ones_change_nothing(tmp_path, monkeypatch,
                                                                                          capsys):
    from budtender_app.cli import build_parser
    from budtender_app.cli.staff import run_staff
    from budtender_app.domain.clock import Clock
    from budtender_app.services.staff.store import StaffStore

    store = StaffStore(tmp_path / "staff.sqlite3", clock=Clock.system(), lookup_key=bytes(32))
    answers = iter(["4826", "4862", "4826", "4826"])
    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    args = build_parser().parse_args(["staff", "add", "--name", "Ana", "--role", "manager"])
    assert run_staff(args, store=store) == 1
    assert "The two passcodes differ" in capsys.readouterr().err and store.list() == []
    assert run_staff(args, store=store) == 0
    assert [m.name for m in store.list()] == ["Ana"]
    store.close()


# -- unlock ----------------------------------------------------------------------------------

@pytest.fixture
def locked_out(tmp_path):
    """A staff file where Bo's account is locked (wrong approvals) and so is sign-in (wrong guesses)."""
    from budtender_app.domain.staff import Actor, CheckStatus, Role
    from budtender_app.services.staff.store import StaffStore
    from tests.helpers import MovingTime

    time = MovingTime()
    store = StaffStore(tmp_path / "staff.sqlite3", clock=time.clock(), lookup_key=bytes(32))
    store.add("Ana", Role.MANAGER, "48269153", by=Actor.command_line("it"))
    bo = store.add("Bo", Role.CASHIER, "5937", by=Actor.command_line("it"))
    for _ in range(5):
        store.verify(bo.id, "9999")
        store.identify("86420")
    assert store.verify(bo.id, "5937").status is CheckStatus.LOCKED and store.seconds_locked() == 30
    yield store, bo
    store.close()


def unlock(store, capsys, *words: str) -> tuple[int, str, str]:
    from budtender_app.cli import build_parser
    from budtender_app.cli.staff import run_staff

    code = run_staff(build_parser().parse_args(["staff", "unlock", *words]), store=store)
    out, err = capsys.readouterr()
    return code, out, err


def test_unlock_by_name_clears_the_account_and_the_terminal_and_the_history_names_it(locked_out, capsys):
    store, bo = locked_out
    code, out, err = unlock(store, capsys, "--name", "bo")
    assert (code, err) == (0, "")
    assert out.startswith("Unlocked Bo (account 2): 30 s of lock were left, 0 wrong tries cleared.")
    assert "Unlocked sign-in on this terminal: 30 s of lock were left" in out
    assert store.verify(bo.id, "5937").ok and store.seconds_locked() == 0
    unlocked = [e for e in store.events() if e.action == "unlocked"]
    assert [(e.member_name, e.actor_kind.value) for e in unlocked] == [("Bo", "command line"), ("", "command line")]
    assert not any("5937" in e.detail for e in store.events())


def test_unlock_by_id_says_when_nothing_was_locked_and_changes_nothing(locked_out, capsys):
    store, _bo = locked_out
    said = ("Ana (account 1) was not locked out. Unlocked sign-in on this terminal: 30 s of lock were left, "
            "0 wrong tries cleared.\n")
    assert unlock(store, capsys, "1")[:2] == (0, said)
    before = len(store.events())
    code, out, _ = unlock(store, capsys, "--terminal")
    assert (code, out) == (0, "Sign-in on this terminal was not locked. Nothing was changed.\n")
    assert len(store.events()) == before, "nothing to clear: nothing written"


def test_unlock_refuses_an_unknown_or_removed_account_with_exit_1(locked_out, capsys):
    from budtender_app.domain.staff import Actor

    store, bo = locked_out
    code, out, err = unlock(store, capsys, "Nobody")
    assert (code, out) == (1, "") and "No staff account is 'Nobody'" in err
    store.remove(bo.id, by=Actor.command_line("it"))
    assert unlock(store, capsys, str(bo.id))[0] == 1
    assert store.seconds_locked() == 30, "a refused unlock clears nothing"


def test_unlock_usage_errors_exit_2():
    assert staff("--demo", "staff", "unlock").returncode == 2  # whose?
    assert staff("--demo", "staff", "unlock", "Bo", "--terminal").returncode == 2
    done = staff("--demo", "staff", "unlock", "--name", "Trainee Cashier")
    assert done.returncode == 0 and "Trainee Cashier (account 2) was not locked out." in done.stdout, done.stderr
