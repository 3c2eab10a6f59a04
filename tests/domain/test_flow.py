"""The counter flow's rules, as a table."""

import pytest

from budtender_app.domain.flow import (
    BEFORE_CHECKOUT,
    KEEP_VERIFIED_FOR,
    TRANSITIONS,
    Event,
    InvalidTransition,
    Step,
    still_verified,
    transition,
)

S, E = Step, Event

HAPPY_PATH = [
    (S.CART, E.START, S.PHONE),
    (S.PHONE, E.PHONE_SUBMITTED, S.SENDING_PIN),
    (S.SENDING_PIN, E.PIN_SENT, S.PIN),
    (S.PIN, E.PIN_SUBMITTED, S.OPENING_WALLET),
    (S.OPENING_WALLET, E.WALLET_OPENED, S.WALLET),
    (S.WALLET, E.SELECTION_APPLIED, S.APPLY_IN_POS),
    (S.APPLY_IN_POS, E.CHECKOUT_STARTED, S.CHECKOUT),
    (S.CHECKOUT, E.TRANSACTION_CONFIRMED, S.REDEEMING),
    (S.REDEEMING, E.REDEMPTIONS_FINISHED, S.DONE),
    (S.DONE, E.NEW_SALE, S.CART),
]

ESCAPES = [  # Esc undoes the current step only
    (S.PHONE, S.CART), (S.SENDING_PIN, S.PHONE), (S.PIN, S.PHONE), (S.OPENING_WALLET, S.PIN),
    (S.WALLET, S.PHONE), (S.APPLY_IN_POS, S.WALLET), (S.CHECKOUT, S.APPLY_IN_POS), (S.DONE, S.CART),
]

FAILURES = [
    (S.SENDING_PIN, E.PIN_SEND_FAILED, S.PHONE),
    (S.OPENING_WALLET, E.WALLET_FAILED, S.PIN),
    (S.OPENING_WALLET, E.RESTART, S.PHONE),
    (S.PIN, E.RESTART, S.PHONE),
    (S.SENDING_PIN, E.PIN_SKIPPED, S.WALLET),  # the store skips the PIN: E3 opened the wallet
]

STRAY_KEYS = [  # Esc in the wallet, then Enter on the phone: the same shopper, no new PIN or text
    (S.PHONE, E.REOPEN_WALLET, S.WALLET),
    (S.PHONE, E.REOPEN_PIN, S.PIN),
]


@pytest.mark.parametrize(("step", "event", "after"), HAPPY_PATH + FAILURES + STRAY_KEYS)
def test_transitions(step, event, after):
    assert transition(step, event) is after


@pytest.mark.parametrize(("step", "after"), ESCAPES)
def test_escape_undoes_one_step(step, after):
    assert transition(step, E.CANCEL) is after


def test_the_only_way_to_redeem_is_confirming_the_transaction_at_checkout():
    into_redeeming = [key for key, after in TRANSITIONS.items() if after is S.REDEEMING]
    assert into_redeeming == [(S.CHECKOUT, E.TRANSACTION_CONFIRMED)]


def test_redeeming_cannot_be_cancelled_or_abandoned():
    for event in (E.CANCEL, E.ABANDON, E.NEW_SALE, E.START):
        with pytest.raises(InvalidTransition):
            transition(S.REDEEMING, event)


@pytest.mark.parametrize("step", sorted(BEFORE_CHECKOUT - {S.CART}, key=lambda s: s.value))
def test_giving_up_before_checkout_goes_back_to_a_new_cart(step):
    assert transition(step, E.ABANDON) is S.CART


@pytest.mark.parametrize(
    ("step", "event"),
    [(S.CART, E.TRANSACTION_CONFIRMED), (S.WALLET, E.CHECKOUT_STARTED), (S.PIN, E.SELECTION_APPLIED),
     (S.DONE, E.TRANSACTION_CONFIRMED), (S.CART, E.PIN_SUBMITTED), (S.APPLY_IN_POS, E.TRANSACTION_CONFIRMED)],
)
def test_out_of_order_events_are_refused(step, event):
    with pytest.raises(InvalidTransition):
        transition(step, event)


def test_esc_never_gives_up_a_verified_wallet_it_steps_back_to_the_phone():
    assert transition(S.WALLET, E.CANCEL) is S.PHONE
    assert transition(S.WALLET, E.ABANDON) is S.CART, "giving up is its own (confirmed) event"


def test_a_wallet_is_reached_only_by_opening_it_coming_back_to_it_or_reopening_it_at_the_phone():
    into_wallet = {key for key, after in TRANSITIONS.items() if after is S.WALLET}
    assert into_wallet == {(S.OPENING_WALLET, E.WALLET_OPENED), (S.SENDING_PIN, E.PIN_SKIPPED),
                           (S.APPLY_IN_POS, E.CHANGE_SELECTION), (S.APPLY_IN_POS, E.CANCEL),
                           (S.PHONE, E.REOPEN_WALLET)}


@pytest.mark.parametrize("step", [s for s in S if s is not S.PHONE])
def test_reopening_happens_only_at_the_phone(step):
    for event in (E.REOPEN_WALLET, E.REOPEN_PIN):
        with pytest.raises(InvalidTransition):
            transition(step, event)


@pytest.mark.parametrize(("left_at", "now", "fresh"), [
    (100.0, 100.0, True),  # right after Esc
    (100.0, 100.0 + KEEP_VERIFIED_FOR, True),  # the last moment
    (100.0, 100.01 + KEEP_VERIFIED_FOR, False),  # a moment too late: a new PIN
    (100.0, 99.0, False),  # a clock that went back is not trusted
    (None, 100.0, False),  # never left the wallet, or forgotten (cancel, new sale, another phone)
])
def test_a_shopper_stays_verified_for_a_moment_after_esc_in_the_wallet(left_at, now, fresh):
    assert still_verified(left_at, now) is fresh


def test_the_moment_is_two_minutes_at_most():
    assert 0 < KEEP_VERIFIED_FOR <= 120
