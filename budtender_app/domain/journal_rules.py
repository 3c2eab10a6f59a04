"""The redemption journal's rules: the states a row can be in, the one table of allowed moves,
which states are final, and what a failed send means for the row. Pure: no SQLite, no httpx.

A row's ``state`` moves only along ``MOVES`` (action -> from (state, reversal phase) -> move)::

    queued --sending--> sending --redeemed--> redeemed --reversal--> reversing
      ^                   |  \\--rejected--> rejected                     |
      |                   |   \\-unknown---> unknown --resolve--> redeemed v
      +------not_sent-----+                   |     \\-------> abandoned  reversed
      +---------------resolve:retry-----------+

A reversal (E10, points given back) is journaled on the same row: 'reversing' with its own phase
('queued', 'sending', 'unknown'), ending 'reversed', or back to 'redeemed' when AIQ refused it or
a manager abandoned it.

Which failure means "maybe sent" is decided here too, in two steps that both lean to "unknown":
``failed_after_sending`` (the AIQ client: a points call that failed once its request may have
left is OutcomeUnknown) and ``send_failure`` (the sender: anything not known to be safe is
MAYBE_SENT). ``failure_action`` turns that into the row's move, for redeeming and reversing alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum

from budtender_app.domain import errors
from budtender_app.domain.redemption import Status


class State(StrEnum):
    """Where one journaled redemption is."""

    QUEUED = "queued"  # written, not sent (or sent and certainly not received): may be sent
    SENDING = "sending"  # the PUT may be on its way: never send again by itself
    REDEEMED = "redeemed"
    REJECTED = "rejected"  # AIQ said no: no points taken
    UNKNOWN = "unknown"  # sent, no answer: a manager decides (check E11)
    ABANDONED = "abandoned"  # a manager decided it is not redeemed and will not be sent
    REVERSING = "reversing"  # points being given back (see ReversalPhase)
    REVERSED = "reversed"


class ReversalPhase(StrEnum):
    """Where the giving back of a 'reversing' row's points is."""

    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"


class Action(StrEnum):
    """What the app (or a manager, ``resolve*``) does to a row. The values are the journal's words."""

    SENDING = "sending"
    REDEEMED = "redeemed"
    REJECTED = "rejected"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"
    RESOLVE_REDEEMED = "resolve:redeemed"
    RESOLVE_ABANDONED = "resolve:abandoned"
    RESOLVE_RETRY = "resolve:retry"
    REVERSAL = "reversal"
    REVERSAL_SENDING = "reversal_sending"
    REVERSED = "reversed"
    REVERSAL_REJECTED = "reversal_rejected"
    REVERSAL_NOT_SENT = "reversal_not_sent"
    REVERSAL_UNKNOWN = "reversal_unknown"
    RESOLVE_REVERSAL_REVERSED = "resolve_reversal:reversed"
    RESOLVE_REVERSAL_ABANDONED = "resolve_reversal:abandoned"
    RESOLVE_REVERSAL_RETRY = "resolve_reversal:retry"


#: A row's place: its state and, while 'reversing', the reversal's phase (else None).
Where = tuple[State, ReversalPhase | None]


@dataclass(frozen=True, slots=True)
class Move:
    """Where an allowed action takes a row, and the audit event that records it."""

    state: State
    phase: ReversalPhase | None
    event: str


_Q, _S, _U = ReversalPhase.QUEUED, ReversalPhase.SENDING, ReversalPhase.UNKNOWN

#: The one table: action -> the places it is allowed from -> where it takes the row. Anything
#: not listed is refused.
MOVES: Mapping[Action, Mapping[Where, Move]] = {
    Action.SENDING: {(State.QUEUED, None): Move(State.SENDING, None, "sent")},
    Action.REDEEMED: {(State.SENDING, None): Move(State.REDEEMED, None, "redeemed")},
    Action.REJECTED: {(State.SENDING, None): Move(State.REJECTED, None, "rejected")},
    Action.NOT_SENT: {(State.SENDING, None): Move(State.QUEUED, None, "not_sent")},
    Action.UNKNOWN: {(State.SENDING, None): Move(State.UNKNOWN, None, "unknown")},
    Action.RESOLVE_REDEEMED: {(State.UNKNOWN, None): Move(State.REDEEMED, None, "resolved")},
    Action.RESOLVE_ABANDONED: {(State.UNKNOWN, None): Move(State.ABANDONED, None, "resolved"),
                               (State.QUEUED, None): Move(State.ABANDONED, None, "resolved")},
    # From 'rejected': AIQ refused (e.g. a bad API key since fixed), nothing was taken, so a
    # manager may resend.
    Action.RESOLVE_RETRY: {(State.UNKNOWN, None): Move(State.QUEUED, None, "resolved"),
                           (State.REJECTED, None): Move(State.QUEUED, None, "resolved")},
    Action.REVERSAL: {(State.REDEEMED, None): Move(State.REVERSING, _Q, "reversal_queued")},
    Action.REVERSAL_SENDING: {(State.REVERSING, _Q): Move(State.REVERSING, _S, "reversal_sent")},
    Action.REVERSED: {(State.REVERSING, _S): Move(State.REVERSED, None, "reversed")},
    Action.REVERSAL_REJECTED: {(State.REVERSING, _S): Move(State.REDEEMED, None, "reversal_rejected")},
    Action.REVERSAL_NOT_SENT: {(State.REVERSING, _S): Move(State.REVERSING, _Q, "reversal_not_sent")},
    Action.REVERSAL_UNKNOWN: {(State.REVERSING, _S): Move(State.REVERSING, _U, "reversal_unknown")},
    Action.RESOLVE_REVERSAL_REVERSED: {(State.REVERSING, _U): Move(State.REVERSED, None, "reversal_resolved")},
    Action.RESOLVE_REVERSAL_ABANDONED: {(State.REVERSING, _U): Move(State.REDEEMED, None, "reversal_resolved"),
                                        (State.REVERSING, _Q): Move(State.REDEEMED, None, "reversal_resolved")},
    Action.RESOLVE_REVERSAL_RETRY: {(State.REVERSING, _U): Move(State.REVERSING, _Q, "reversal_resolved")},
}

#: States whose row may be sent (or turned 'unknown' at a restart): proven to the chain's end.
SENDABLE = frozenset({State.QUEUED, State.SENDING, State.REVERSING})
#: Once here the redemption token is never needed again: it is wiped from the row.
FINAL = frozenset({State.REDEEMED, State.REJECTED, State.ABANDONED, State.REVERSING, State.REVERSED})
#: The actions after which a request goes out: the row's trail is proven to the end first.
STARTS_A_SEND = frozenset({Action.SENDING, Action.REVERSAL_SENDING})
#: Every place a row can be in.
PLACES: tuple[Where, ...] = (*((s, None) for s in State if s is not State.REVERSING),
                             *((State.REVERSING, p) for p in ReversalPhase))


def next_move(state: State, phase: ReversalPhase | None, action: Action | str) -> Move | None:
    """Where ``action`` takes a row at (state, phase); None when the table does not allow it."""
    try:
        allowed = MOVES[Action(action)]
    except ValueError:
        return None
    return allowed.get((state, phase))


def is_final(state: State) -> bool:
    """True once the row's redemption token is no longer needed (see FINAL)."""
    return state in FINAL


def status_of(state: State) -> Status:
    """The row's state as the flow's Status, for the screen and the POS record.

    queued/abandoned -> NOT_SENT; sending/unknown -> UNKNOWN; rejected -> REJECTED; redeemed,
    reversing and reversed -> REDEEMED (the points were taken at checkout).
    """
    return {
        State.QUEUED: Status.NOT_SENT, State.ABANDONED: Status.NOT_SENT,
        State.SENDING: Status.UNKNOWN, State.UNKNOWN: Status.UNKNOWN,
        State.REJECTED: Status.REJECTED,
    }.get(state, Status.REDEEMED)


def replay(current: tuple[str, str] | None, event: str, detail: str) -> tuple[str, str]:
    """The (state, phase) an old audit event left its row in, read back through MOVES (for a
    journal from before events carried it); ("?", "") when the history does not fit."""
    if event == "queued":
        return (State.QUEUED.value, "")
    verdict = detail.split(" ", 1)[0]
    found = [(move.state.value, move.phase.value if move.phase else "")
             for action, allowed in MOVES.items() for (state, phase), move in allowed.items()
             if current == (state.value, phase.value if phase else "") and move.event == event
             and (":" not in action or action.split(":", 1)[1] == verdict)]
    return found[0] if len(found) == 1 else ("?", "")


# -- after a failed send ----------------------------------------------------------------------

class SendFailure(Enum):
    """What a failed points call means for the journaled row."""

    NOT_SENT = "not_sent"  # it never reached AIQ (or AIQ did nothing): safe to send again
    MAYBE_SENT = "maybe_sent"  # AIQ may have acted: never again by itself; a manager decides
    REFUSED = "refused"  # AIQ (or the terminal, before sending) said no: nothing moved


class Direction(Enum):
    """The two ways points move for a journaled row."""

    REDEEM = "redeem"  # E4: the discount's points are taken
    REVERSE = "reverse"  # E10: they are given back


#: direction -> what its failure means -> the row's move.
AFTER_FAILURE: Mapping[Direction, Mapping[SendFailure, Action]] = {
    Direction.REDEEM: {SendFailure.NOT_SENT: Action.NOT_SENT, SendFailure.REFUSED: Action.REJECTED,
                       SendFailure.MAYBE_SENT: Action.UNKNOWN},
    Direction.REVERSE: {SendFailure.NOT_SENT: Action.REVERSAL_NOT_SENT,
                        SendFailure.REFUSED: Action.REVERSAL_REJECTED,
                        SendFailure.MAYBE_SENT: Action.REVERSAL_UNKNOWN},
}


def send_failure(exc: BaseException) -> SendFailure:
    """The one rule for redemptions and reversals. Anything not known to be safe is MAYBE_SENT
    (a bug or an error class added later must never lead to a second send)."""
    if isinstance(exc, (errors.Unreachable, errors.RateLimited, errors.CertificateProblem)):
        return SendFailure.NOT_SENT  # a refused certificate stops the request before it is sent
    if isinstance(exc, (errors.Rejected, errors.AuthRejected)):
        return SendFailure.REFUSED
    return SendFailure.MAYBE_SENT


def failure_action(direction: Direction, exc: BaseException) -> Action:
    """The row's move after ``exc`` ended a send in ``direction`` (see AFTER_FAILURE)."""
    return AFTER_FAILURE[direction][send_failure(exc)]


def failed_after_sending(*, moves_points: bool, unreadable: bool = False) -> errors.AiqError:
    """The error for a call that failed once its request may have left: no answer in time, or
    (``unreadable``) one that could not be read. For a call that moves points AIQ may have acted,
    so it is OutcomeUnknown (maybe sent, never "failed"); any other call may simply be tried again."""
    if moves_points:
        what = "AIQ's answer could not be read" if unreadable else "AIQ did not answer in time"
        return errors.OutcomeUnknown(
            f"{what}. The points may or may not have been taken: do not redeem again; ask a manager to check.")
    if unreadable:
        return errors.BadResponse("AIQ sent an answer we cannot read. Try again.")
    return errors.ServerError("AIQ did not answer in time. Try again.")
