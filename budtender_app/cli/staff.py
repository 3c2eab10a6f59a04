"""`budtender-app staff add|list|remove|set-role|reset-passcode|unlock`: IT's hands on the staff accounts.

The first manager of a terminal is made here (or, later, in the first-start setup): no screen
of the counter can make one where there is none. Passcodes and badge codes come in on standard
input, never as arguments (an argument sits in the shell history and every process listing):
one line each when piped (passcode first, then the badge with ``--badge``); at a terminal a hidden
prompt asks twice. `list` prints id, name, role, badge yes/no and removed: never a passcode or a
hash. Every change is recorded in the staff history as done by IT at the command line (with the
computer account that ran it). `budtender-app --demo staff ...` acts on training's staff list.

`unlock ID|NAME` (or `--name NAME`) clears that account's passcode lockout and the terminal's
sign-in lock (wrong tries at the sign-in screen that matched nobody); `unlock --terminal` only the
latter. IT checks who asks before running it, as for reset-passcode; the history names IT.

Exit codes: 0 done (unlock: also when nothing was locked, which it says), 1 refused (the reason on
standard error), 2 usage (argparse's own).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from budtender_app.domain.clock import SYSTEM_CLOCK
from budtender_app.domain.lockout import PinLockout
from budtender_app.domain.staff import Actor, Role, StaffMember, StaffRuleError
from budtender_app.services.paths import folders
from budtender_app.services.staff import StaffStore, StaffStoreError, open_staff_store
from budtender_app.services.staff.unlock import Unlocked

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class _Refused(Exception):
    """A reason to stop with exit code 1; the message is for IT."""


def build_staff_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `staff add|list|remove|set-role|reset-passcode|unlock` to the app's sub-commands."""
    parser = subparsers.add_parser("staff", help="staff accounts: add, list, remove, set-role, reset-passcode, "
                                                 "unlock")
    actions = parser.add_subparsers(dest="staff_action", required=True)
    add = actions.add_parser("add", help="add an account; the passcode is read from standard input")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--badge", action="store_true", help="also read a badge code (after the passcode)")
    actions.add_parser("list", help="id, name, role, badge and removed of every account (never a passcode)")
    remove = actions.add_parser("remove", help="remove an account (its name stays in the history)")
    remove.add_argument("who", metavar="ID|NAME")
    role = actions.add_parser("set-role", help="make an account a cashier or a manager")
    role.add_argument("who", metavar="ID|NAME")
    role.add_argument("role", choices=[r.value for r in Role])
    reset = actions.add_parser("reset-passcode", help="give an account a new passcode, read from standard input")
    reset.add_argument("who", metavar="ID|NAME")
    unlock = actions.add_parser("unlock", help="clear an account's passcode lockout and the terminal's sign-in lock")
    whose = unlock.add_mutually_exclusive_group(required=True)
    whose.add_argument("who", metavar="ID|NAME", nargs="?")
    whose.add_argument("--name", help="the account, by name (as ID|NAME)")
    whose.add_argument("--terminal", action="store_true", help="only the terminal's sign-in lock, no account")
    return parser


def run_staff(args: argparse.Namespace, *, store: StaffStore | None = None) -> int:
    """Run one `staff` action and return its exit code (store: tests; None opens this terminal's)."""
    try:
        if store is None:
            with open_staff_store(folders(), clock=SYSTEM_CLOCK, training=bool(getattr(args, "demo", False))) as opened:
                return _ACTIONS[args.staff_action](args, opened)
        return _ACTIONS[args.staff_action](args, store)
    except (StaffRuleError, StaffStoreError, _Refused) as exc:
        print(f"{exc} Nothing was changed." if isinstance(exc, StaffRuleError) else str(exc), file=sys.stderr)
        return EXIT_REFUSED


def _add(args: argparse.Namespace, store: StaffStore) -> int:
    passcode = _read_secret("Passcode for the new account (4 to 8 digits): ", "passcode")
    badge = _read_secret("Scan the badge: ", "badge code") if args.badge else None
    member = store.add(args.name, args.role, passcode, badge=badge, by=_it())
    print(f"Added {member.name} (account {member.id}) as {member.role.value}"
          + (", with a badge." if member.has_badge else "."))
    return EXIT_OK


def _list(args: argparse.Namespace, store: StaffStore) -> int:
    members = store.list()
    if not members:
        print("No staff accounts yet. Add the first manager: budtender-app staff add --name NAME --role manager")
        return EXIT_OK
    width = max(len("NAME"), *(len(m.name) for m in members))
    print(f"{'ID':>4}  {'NAME':<{width}}  {'ROLE':<8}  {'BADGE':<5}  REMOVED")
    for m in members:
        removed = m.removed_at.date().isoformat() if m.removed_at is not None else "no"
        print(f"{m.id:>4}  {m.name:<{width}}  {m.role.value:<8}  {'yes' if m.has_badge else 'no':<5}  {removed}")
    return EXIT_OK


def _remove(args: argparse.Namespace, store: StaffStore) -> int:
    member = store.remove(_find(store, args.who).id, by=_it())
    print(f"Removed {member.name} (account {member.id}); the name stays in the history.")
    return EXIT_OK


def _set_role(args: argparse.Namespace, store: StaffStore) -> int:
    member = store.set_role(_find(store, args.who).id, args.role, by=_it())
    print(f"{member.name} (account {member.id}) is a {member.role.value}.")
    return EXIT_OK


def _reset_passcode(args: argparse.Namespace, store: StaffStore) -> int:
    member = _find(store, args.who)
    passcode = _read_secret(f"New passcode for {member.name} (4 to 8 digits): ", "passcode")
    store.reset_passcode(member.id, passcode, by=_it())
    print(f"{member.name} (account {member.id}) has a new passcode.")
    return EXIT_OK


def _unlock(args: argparse.Namespace, store: StaffStore) -> int:
    who = args.who or args.name
    member = _find(store, who) if who else None
    done = store.unlock(member.id if member is not None else None, by=_it())
    lines = []
    if member is not None:
        lines.append(f"{member.name} (account {member.id}) was not locked out." if done.account is None else
                     f"Unlocked {member.name} (account {member.id}): {_what(done, done.account)}.")
    lines.append("Sign-in on this terminal was not locked." if done.terminal is None else
                 f"Unlocked sign-in on this terminal: {_what(done, done.terminal)}.")
    if done.account is None and done.terminal is None:
        lines.append("Nothing was changed.")
    print(" ".join(lines))
    return EXIT_OK


def _what(done: Unlocked, lock: PinLockout) -> str:
    left = done.seconds(lock)
    tries = f"{lock.failures} wrong {'try' if lock.failures == 1 else 'tries'} cleared"
    return f"{left} s of lock were left, {tries}" if left else tries


def _find(store: StaffStore, who: str) -> StaffMember:
    member = store.find(who)
    if member is None:
        raise _Refused(f"No staff account is {who!r} (an id, or an active account's name). "
                       "See: budtender-app staff list")
    return member


def _it() -> Actor:
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in the environment or the password database
        user = ""
    return Actor.command_line(user)


def _read_secret(prompt: str, what: str) -> str:
    """One secret: a hidden prompt, twice, at a terminal; else the next line of standard input."""
    stdin = sys.stdin
    if stdin is None:  # pythonw and some service launchers give no standard input at all
        raise _Refused(f"No {what} was given: pipe it to standard input.")
    try:
        if not stdin.isatty():
            line = stdin.readline()
            if not line:
                raise _Refused(f"No {what} was given: pipe it to standard input, one line.")
            return line.rstrip("\r\n")
        first = getpass.getpass(prompt)
        if getpass.getpass("Again, to be sure: ") != first:
            raise _Refused(f"The two {what}s differ. Nothing was changed.")
        return first
    except EOFError:
        raise _Refused(f"No {what} was given. Nothing was changed.") from None
    except UnicodeDecodeError:
        raise _Refused(f"The {what} could not be read as text. Nothing was changed.") from None
    except KeyboardInterrupt:
        raise _Refused("Cancelled: nothing was changed.") from None


_ACTIONS: dict[str, Callable[[argparse.Namespace, StaffStore], int]] = {
    "add": _add,
    "list": _list,
    "remove": _remove,
    "set-role": _set_role,
    "reset-passcode": _reset_passcode,
    "unlock": _unlock,
}
