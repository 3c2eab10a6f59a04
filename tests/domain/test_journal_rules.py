"""The journal's rules as tables: every (place, action) pair is either the listed move or refused,
final states wipe the token, and what a failed send means for the row, in both directions."""

from __future__ import annotations

import pytest

from budtender_app.domain import errors
from budtender_app.domain.journal_rules import (
    AFTER_FAILURE,
    FINAL,
    MOVES,
    PLACES,
    Action,
    Direction,
    Move,
    ReversalPhase,
    SendFailure,
    State,
    failed_after_sending,
    failure_action,
    is_final,
    next_move,
    replay,
    send_failure,
    status_of,
)
from budtender_app.domain.redemption import Status

S, P = State, ReversalPhase

#: Written out by hand, apart from MOVES: (from state, from phase, action) -> (to state, to phase).
ALLOWED = {
    (S.QUEUED, None, Action.SENDING): (S.SENDING, None),
    (S.SENDING, None, Action.REDEEMED): (S.REDEEMED, None),
    (S.SENDING, None, Action.REJECTED): (S.REJECTED, None),
    (S.SENDING, None, Action.NOT_SENT): (S.QUEUED, None),
    (S.SENDING, None, Action.UNKNOWN): (S.UNKNOWN, None),
    (S.UNKNOWN, None, Action.RESOLVE_REDEEMED): (S.REDEEMED, None),
    (S.UNKNOWN, None, Action.RESOLVE_ABANDONED): (S.ABANDONED, None),
    (S.UNKNOWN, None, Action.RESOLVE_RETRY): (S.QUEUED, None),
    (S.QUEUED, None, Action.RESOLVE_ABANDONED): (S.ABANDONED, None),
    (S.REJECTED, None, Action.RESOLVE_RETRY): (S.QUEUED, None),
    (S.REDEEMED, None, Action.REVERSAL): (S.REVERSING, P.QUEUED),
    (S.REVERSING, P.QUEUED, Action.REVERSAL_SENDING): (S.REVERSING, P.SENDING),
    (S.REVERSING, P.SENDING, Action.REVERSED): (S.REVERSED, None),
    (S.REVERSING, P.SENDING, Action.REVERSAL_REJECTED): (S.REDEEMED, None),
    (S.REVERSING, P.SENDING, Action.REVERSAL_NOT_SENT): (S.REVERSING, P.QUEUED),
    (S.REVERSING, P.SENDING, Action.REVERSAL_UNKNOWN): (S.REVERSING, P.UNKNOWN),
    (S.REVERSING, P.UNKNOWN, Action.RESOLVE_REVERSAL_REVERSED): (S.REVERSED, None),
    (S.REVERSING, P.UNKNOWN, Action.RESOLVE_REVERSAL_ABANDONED): (S.REDEEMED, None),
    (S.REVERSING, P.UNKNOWN, Action.RESOLVE_REVERSAL_RETRY): (S.REVERSING, P.QUEUED),
    (S.REVERSING, P.QUEUED, Action.RESOLVE_REVERSAL_ABANDONED): (S.REDEEMED, None),
}

PAIRS = [(state, phase, action) for state, phase in PLACES for action in Action]


@pytest.mark.parametrize(("state", "phase", "action"), PAIRS,
                         ids=[f"{s}/{p or '-'}/{a}" for s, p, a in PAIRS])
def test_every_place_and_action_is_the_listed_move_or_refused(state, phase, action):
    move = next_move(state, phase, action)
    expected = ALLOWED.get((state, phase, action))
    if expected is None:
        assert move is None
    else:
        assert move is not None and (move.state, move.phase) == expected


def test_the_table_lists_only_the_allowed_moves():
    listed = {(s, p, a): (m.state, m.phase) for a, allowed in MOVES.items() for (s, p), m in allowed.items()}
    assert listed == ALLOWED


def test_every_place_is_reachable_and_a_row_is_reversing_only_with_a_phase():
    assert len(PLACES) == len(State) - 1 + len(ReversalPhase)
    reached = {(m.state, m.phase) for allowed in MOVES.values() for m in allowed.values()}
    assert reached | {(S.QUEUED, None)} == set(PLACES)
    moves = [m for allowed in MOVES.values() for m in allowed.values()]
    assert all((m.state is S.REVERSING) == (m.phase is not None) for m in moves)


def test_a_word_that_is_no_action_is_refused():
    assert next_move(S.QUEUED, None, "send twice") is None
    assert next_move(S.QUEUED, None, "sending") == Move(S.SENDING, None, "sent")


def test_only_a_queued_row_starts_a_send_by_itself():
    starts = {(s, p) for a in (Action.SENDING, Action.REVERSAL_SENDING) for s, p in MOVES[a]}
    assert starts == {(S.QUEUED, None), (S.REVERSING, P.QUEUED)}


@pytest.mark.parametrize("state", list(State))
def test_final_states_no_longer_need_the_token(state):
    open_states = {S.QUEUED, S.SENDING, S.UNKNOWN}
    assert is_final(state) is (state not in open_states)
    assert set(State) - open_states == FINAL


@pytest.mark.parametrize(("state", "status"), [
    (S.QUEUED, Status.NOT_SENT), (S.ABANDONED, Status.NOT_SENT), (S.SENDING, Status.UNKNOWN),
    (S.UNKNOWN, Status.UNKNOWN), (S.REJECTED, Status.REJECTED), (S.REDEEMED, Status.REDEEMED),
    (S.REVERSING, Status.REDEEMED), (S.REVERSED, Status.REDEEMED),
])
def test_each_state_is_shown_as_the_flows_status(state, status):
    assert status_of(state) is status


def test_an_old_history_replays_through_the_table():
    assert replay(None, "queued", "") == ("queued", "")
    assert replay(("queued", ""), "sent", "attempt 1") == ("sending", "")
    assert replay(("unknown", ""), "resolved", "retry by Dana: x") == ("queued", "")
    assert replay(("reversing", "sending"), "reversal_unknown", "") == ("reversing", "unknown")
    assert replay(("queued", ""), "reversed", "") == ("?", "")


@pytest.mark.parametrize(("exc", "kind"), [
    (errors.Unreachable("x"), SendFailure.NOT_SENT),
    (errors.RateLimited("x"), SendFailure.NOT_SENT),
    (errors.CertificateProblem("x"), SendFailure.NOT_SENT),
    (errors.Rejected("x"), SendFailure.REFUSED),
    (errors.RefusedToSend("x"), SendFailure.REFUSED),
    (errors.AuthRejected("x"), SendFailure.REFUSED),
    (errors.OutcomeUnknown("x"), SendFailure.MAYBE_SENT),
    # Not expected from a points call: never read as safe.
    (errors.BadResponse("x"), SendFailure.MAYBE_SENT),
    (errors.ServerError("x"), SendFailure.MAYBE_SENT),
    (errors.NotFound("x"), SendFailure.MAYBE_SENT),
    (errors.WrongPin("x"), SendFailure.MAYBE_SENT),
    (errors.AiqError("x"), SendFailure.MAYBE_SENT),
    (RuntimeError("x"), SendFailure.MAYBE_SENT),
])
def test_what_a_failure_means_for_the_row(exc, kind):
    assert send_failure(exc) is kind


@pytest.mark.parametrize(("direction", "exc", "action"), [
    (Direction.REDEEM, errors.Unreachable("x"), Action.NOT_SENT),
    (Direction.REDEEM, errors.Rejected("x"), Action.REJECTED),
    (Direction.REDEEM, errors.OutcomeUnknown("x"), Action.UNKNOWN),
    (Direction.REVERSE, errors.RateLimited("x"), Action.REVERSAL_NOT_SENT),
    (Direction.REVERSE, errors.AuthRejected("x"), Action.REVERSAL_REJECTED),
    (Direction.REVERSE, RuntimeError("x"), Action.REVERSAL_UNKNOWN),
])
def test_one_rule_gives_the_rows_move_in_both_directions(direction, exc, action):
    assert failure_action(direction, exc) is action


@pytest.mark.parametrize("direction", list(Direction))
def test_a_failed_send_only_leaves_a_sending_row(direction):
    sending = (S.SENDING, None) if direction is Direction.REDEEM else (S.REVERSING, P.SENDING)
    assert set(AFTER_FAILURE[direction]) == set(SendFailure)
    for kind, action in AFTER_FAILURE[direction].items():
        assert list(MOVES[action]) == [sending]
        lands = MOVES[action][sending]
        may_resend = (lands.state, lands.phase) in {(S.QUEUED, None), (S.REVERSING, P.QUEUED)}
        assert may_resend is (kind is SendFailure.NOT_SENT)


@pytest.mark.parametrize(("moves_points", "unreadable", "kind"), [
    (True, False, errors.OutcomeUnknown), (True, True, errors.OutcomeUnknown),
    (False, False, errors.ServerError), (False, True, errors.BadResponse),
])
def test_a_points_call_that_failed_after_sending_is_maybe_sent(moves_points, unreadable, kind):
    exc = failed_after_sending(moves_points=moves_points, unreadable=unreadable)
    assert type(exc) is kind
    assert send_failure(exc) is SendFailure.MAYBE_SENT
    assert ("ask a manager" in str(exc)) is moves_points
