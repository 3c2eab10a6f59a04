"""Staff accounts (issue 13): roles, who acts, and the rules for names, passcodes and badges.

Pure rules, no storage: services/staff/ keeps the accounts; the sign-in and approval screens
and the CLI word their answers from what is here.

- A passcode is 4 to 8 ASCII digits, never one repeated digit or a straight run (1234, 8765):
  the first ones anyone tries (the manager PIN's rule, services/manager_pin.py). No message
  ever repeats the passcode.
- A name is trimmed, 1 to 40 printable characters, and unique among active accounts with case
  ignored ("sam" and "Sam" are one person at a busy counter). A removed account's name stays in
  history and may be taken again.
- A badge code is what a barcode or magstripe badge "types": 4 to 64 printable characters
  (surrounding whitespace, such as the reader's Enter, ignored). Stored only hashed.
- Who acts (``Actor``): a signed-in manager, IT at the command line, or the first-start setup.
  A terminal with no manager accepts only the command line or the first-start setup, and only
  to create a manager; once there is a manager the first-start setup is refused, so no screen
  can make a manager on a terminal that has one.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from datetime import datetime

PASSCODE_MIN, PASSCODE_MAX = 4, 8
NAME_MAX = 40
BADGE_MIN, BADGE_MAX = 4, 64
#: The answer when a passcode (or badge) is another active account's: never says whose.
PASSCODE_TAKEN = "That passcode is taken: choose another."
BADGE_TAKEN = "That badge is already someone's: use another badge."
#: A manager's act asked of someone who is not one: never an error, the way to go on.
NEEDS_MANAGER = "A manager's passcode is needed for this: ask a manager to approve it."
#: A wrong passcode, or a cashier's, typed where a manager approves: the same words for both.
NOT_A_MANAGER = "That is not a manager's passcode."


class Role(enum.StrEnum):
    CASHIER = "cashier"
    MANAGER = "manager"


class ActorKind(enum.StrEnum):
    """Who made a change: a member signed in, IT, the first-start setup, or the app itself."""

    STAFF = "staff"
    COMMAND_LINE = "command line"
    FIRST_START_SETUP = "first-start setup"
    UPGRADE = "upgrade"  # the old single manager PIN becoming the first manager account
    TRAINING = "training"  # the demo staff list
    TERMINAL = "terminal"  # lockouts the terminal applied by itself


class StaffRuleError(ValueError):
    """A name, passcode, badge, role or permission that breaks the rules; the message says which
    in a manager's words and never repeats the passcode or badge."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One account as the app sees it: never its passcode or badge, nor their hashes."""

    id: int
    name: str
    role: Role
    has_badge: bool = False
    removed_at: datetime | None = None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_manager(self) -> bool:
        return self.role is Role.MANAGER and not self.removed


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does a change: recorded with it (kind, the member's id when one, a name for history)."""

    kind: ActorKind
    name: str
    member_id: int | None = None

    @classmethod
    def command_line(cls, user: str = "") -> Actor:
        """IT at the command line (``user``: the computer account that ran it, when known)."""
        return cls(ActorKind.COMMAND_LINE, f"IT at the command line ({user})" if user else "IT at the command line")

    @classmethod
    def first_start_setup(cls) -> Actor:
        return cls(ActorKind.FIRST_START_SETUP, "first-start setup")

    @classmethod
    def member(cls, member: StaffMember) -> Actor:
        """A signed-in member (the store checks again that they are an active manager)."""
        return cls(ActorKind.STAFF, member.name, member.id)


@dataclass(frozen=True, slots=True)
class StaffEvent:
    """One line of the staff accounts' history (append-only). Never a passcode or badge."""

    id: int
    at: datetime
    actor_kind: ActorKind
    actor_name: str
    actor_id: int | None
    action: str
    member_id: int | None
    member_name: str
    detail: str = ""


class CheckStatus(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    NO_ACCOUNT = "no account"  # verify(): the account is removed or never was


@dataclass(frozen=True, slots=True)
class StaffCheck:
    """The answer to one sign-in or approval try. member: who (OK only); tries_left: before the
    next lock (WRONG); seconds_left: of the lock (LOCKED)."""

    status: CheckStatus
    member: StaffMember | None = None
    tries_left: int = 0
    seconds_left: int = 0

    @property
    def ok(self) -> bool:
        return self.status is CheckStatus.OK


# -- passcodes ---------------------------------------------------------------------------------

def is_repeated_digit(digits: str) -> bool:
    """One digit over and over (1111): the first code anyone tries."""
    return len(set(digits)) == 1


def is_straight_run(digits: str) -> bool:
    """Each digit one up (1234) or one down (8765) from the last: the second code anyone tries."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(digits)}
    return steps in ({1}, {-1})


def is_passcode_shaped(text: str) -> bool:
    """4 to 8 ASCII digits: the only texts that can be some account's passcode."""
    return text.isascii() and text.isdigit() and PASSCODE_MIN <= len(text) <= PASSCODE_MAX


def passcode_problem(passcode: str) -> str | None:
    """Why this cannot be a staff passcode, in a manager's words; None when it can."""
    if not passcode:
        return f"Choose a passcode of {PASSCODE_MIN} to {PASSCODE_MAX} digits."
    if not (passcode.isascii() and passcode.isdigit()):
        return "A passcode is digits only."
    if not PASSCODE_MIN <= len(passcode) <= PASSCODE_MAX:
        return f"A passcode has {PASSCODE_MIN} to {PASSCODE_MAX} digits."
    if is_repeated_digit(passcode):
        return "A passcode of one repeated digit is the first thing anyone tries. Choose another."
    if is_straight_run(passcode):
        # No example digits here: "like 1234" would repeat the passcode 1234 (a property test found it).
        return ("A straight run of digits, each one up or down from the last, is the first thing anyone tries. "
                "Choose another.")
    return None


def check_passcode(passcode: str) -> str:
    """The passcode when it keeps the rules; StaffRuleError (saying why) when not."""
    problem = passcode_problem(passcode)
    if problem:
        raise StaffRuleError(problem)
    return passcode


# -- names ---------------------------------------------------------------------------------------

def name_key(name: str) -> str:
    """What two names are compared by: trimmed, case ignored."""
    return name.strip().casefold()


def check_name(text: str, *, taken: frozenset[str] = frozenset()) -> str:
    """The trimmed name when it keeps the rules; StaffRuleError when not.

    taken: the ``name_key`` of every other active account.
    """
    name = text.strip()
    if not name:
        raise StaffRuleError("Enter the staff member's name.")
    if len(name) > NAME_MAX:
        raise StaffRuleError(f"A name has at most {NAME_MAX} characters.")
    if not name.isprintable():
        raise StaffRuleError("A name cannot hold tabs, line breaks or other control characters.")
    if name_key(name) in taken:
        raise StaffRuleError(f"There is already an active account named {name!r}. Choose another name.")
    return name


# -- badges --------------------------------------------------------------------------------------

def badge_problem(code: str) -> str | None:
    """Why this cannot be a badge code (never quoting it); None when it can."""
    code = code.strip()
    if not BADGE_MIN <= len(code) <= BADGE_MAX:
        return f"A badge code has {BADGE_MIN} to {BADGE_MAX} characters: scan the badge again."
    if not code.isprintable():
        return "That badge code holds control characters: scan the badge again."
    if is_passcode_shaped(code):  # 4-8 digits are read as a passcode at sign-in: it would never be found
        return f"A badge code of {PASSCODE_MIN} to {PASSCODE_MAX} digits reads as a passcode: use a longer badge."
    return None


def check_badge(code: str) -> str:
    """The badge code as stored and compared (trimmed); StaffRuleError when it breaks the rules."""
    problem = badge_problem(code)
    if problem:
        raise StaffRuleError(problem)
    return code.strip()


# -- who may change accounts ----------------------------------------------------------------------

def authority_problem(actor: Actor, *, manager_exists: bool, actor_member: StaffMember | None) -> str | None:
    """Why ``actor`` may not change staff accounts now; None when they may.

    actor_member: the account the actor names (STAFF), as stored now (the store looks it up).
    """
    if not manager_exists:
        if actor.kind in (ActorKind.COMMAND_LINE, ActorKind.FIRST_START_SETUP, ActorKind.TRAINING):
            return None
        return ("This terminal has no manager yet: the first manager is created by IT at the command line "
                "or in the first-start setup.")
    if actor.kind in (ActorKind.COMMAND_LINE, ActorKind.TRAINING):
        return None
    if actor.kind is ActorKind.FIRST_START_SETUP:
        return "This terminal is already set up: a manager adds staff."
    if actor.kind is ActorKind.STAFF and actor_member is not None and actor_member.is_manager:
        return None
    return "Only a manager can change staff accounts."


def first_account_problem(role: Role, *, manager_exists: bool) -> str | None:
    """The first account of a terminal must be a manager: someone has to be able to add the rest."""
    if not manager_exists and role is not Role.MANAGER:
        return "The first account on this terminal must be a manager."
    return None


# -- training --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DemoAccount:
    name: str
    role: Role
    passcode: str


#: Training mode's staff list, in the training staff file only. Their passcodes are meant to be
#: shown in the training banner: training is for learning the screens, not for keeping secrets.
TRAINING_STAFF = (
    DemoAccount("Trainee Cashier", Role.CASHIER, "2468"),
    DemoAccount("Trainer Manager", Role.MANAGER, "1357"),
)
