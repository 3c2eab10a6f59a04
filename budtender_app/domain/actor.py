"""Who did something: the staff member a journal event, a consent record or a settings change is
attributed to, and the manager who approved it.

An ``Actor`` is kept in history as text (its id and its name at the time), never as a link to a
staff account: removing an account keeps its name on everything it did. Besides people there are
a few well-known actors: the terminal itself (sends it makes on its own, restart recovery), IT's
command line (``journal accept-fresh``), the shared "Counter" that stands for whoever works the
till until staff sign-in exists, and "Not signed in" for history written before attribution.

On a terminal with staff sign-in, a manager approves with their own passcode and is an actor
with their account's id (``Approving``: the manager who approved what is open now). Only a
terminal without sign-in (its staff file could not open) still takes a manager's name typed into
a decision field: an actor with no staff id (``Actor.typed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

#: Longest name kept in history (a typed name is cut there).
NAME_LIMIT = 80


@dataclass(frozen=True, slots=True)
class Actor:
    """A staff member (``staff_id`` their account's id, "" when unknown) or one of the well-known
    actors below, with the name shown in history."""

    staff_id: str
    name: str

    #: The terminal acting by itself: background resends, restart recovery.
    terminal: ClassVar[Actor]
    #: IT's command line (``budtender-app journal ...``, ``settings ...``).
    command_line: ClassVar[Actor]
    #: Whoever works the counter while there is no staff sign-in (the app's default).
    counter: ClassVar[Actor]
    #: Events written before attribution existed (schema 3 and older journals), or no one known.
    unknown: ClassVar[Actor]

    def __str__(self) -> str:
        return self.name

    @property
    def is_known(self) -> bool:
        """False for ``Actor.unknown`` (history from before attribution)."""
        return self != Actor.unknown

    @classmethod
    def typed(cls, name: str) -> Actor:
        """A name typed into a decision field (no account behind it): spaces folded, cut at NAME_LIMIT."""
        return cls("", " ".join(name.split())[:NAME_LIMIT])

    @classmethod
    def from_columns(cls, staff_id: str, name: str) -> Actor | None:
        """The actor stored as two text columns; None when both are empty (nobody, e.g. no approver)."""
        return cls(staff_id, name) if staff_id or name else None


Actor.terminal = Actor("terminal", "The terminal")
Actor.command_line = Actor("command-line", "IT (command line)")
Actor.counter = Actor("counter", "Counter")
Actor.unknown = Actor("", "Not signed in")


#: Who is acting now: the view models ask this once per act (app.py wires it; sign-in will change it).
Acting = Callable[[], Actor]


#: The manager who approved the manager's window or action open now, None when nobody has (yet).
Approving = Callable[[], "Actor | None"]


def acting_counter() -> Actor:
    """The default ``Acting`` until staff sign-in exists: the shared Counter."""
    return Actor.counter


def names(actor: Actor | None) -> tuple[str, str]:
    """(staff id, name) as stored in history; ("", "") for nobody."""
    return ("", "") if actor is None else (actor.staff_id, actor.name)
