"""The redemption flow at the counter as a plain state machine.

One Enum of steps, one of events, one table. The only way into REDEEMING is confirming the POS
transaction ID at CHECKOUT: that is AIQ's rule that no points move before checkout.

Esc undoes one step. In the wallet it goes back to the phone and the shopper stays verified for
a moment (``KEEP_VERIFIED_FOR``): Enter on the same number re-opens the same wallet with no new
PIN (``REOPEN_WALLET``). Likewise a PIN texted a moment ago is offered again instead of a new
text (``REOPEN_PIN``). Giving up the whole redemption (``ABANDON``) is its own, confirmed event.
"""

from __future__ import annotations

from enum import Enum, auto

#: Seconds (the injected clock's monotonic time) a shopper stays verified after Esc in the wallet.
#: The rule: counted from that Esc, since until then the cashier was in the wallet with the shopper;
#: only the same phone number re-opens it; and never longer than the sale: a confirmed Cancel
#: redemption, another phone number, checkout or a new sale forget the shopper at once.
KEEP_VERIFIED_FOR = 120.0


def still_verified(left_wallet_at: float | None, now: float) -> bool:
    """Whether a shopper who left the wallet at ``left_wallet_at`` may have it re-opened without a
    new PIN at ``now`` (None: they never left it, or the kept wallet was forgotten)."""
    return left_wallet_at is not None and 0 <= now - left_wallet_at <= KEEP_VERIFIED_FOR


class Step(Enum):
    CART = auto()  # cashier types the cart total
    PHONE = auto()  # shopper's phone
    SENDING_PIN = auto()  # verify-wallet in flight
    PIN = auto()  # PIN popup
    OPENING_WALLET = auto()  # view-wallet in flight
    WALLET = auto()  # choosing discounts
    APPLY_IN_POS = auto()  # selection shown for the POS; waiting for the sale to finish
    CHECKOUT = auto()  # typing the POS transaction ID
    REDEEMING = auto()  # PUTs in flight: cannot be cancelled
    DONE = auto()  # outcome and transaction record shown


class Event(Enum):
    START = auto()
    PHONE_SUBMITTED = auto()
    PIN_SENT = auto()
    PIN_SEND_FAILED = auto()
    PIN_SUBMITTED = auto()
    WALLET_OPENED = auto()
    WALLET_FAILED = auto()
    PIN_SKIPPED = auto()  # the wallet opened without a PIN (store setting, E3)
    RESTART = auto()  # back to the phone (e.g. too many wrong PINs)
    SELECTION_APPLIED = auto()
    RESUME_APPLIED = auto()  # at start: a sale applied in the POS before a quit or crash
    CHANGE_SELECTION = auto()
    CHECKOUT_STARTED = auto()
    TRANSACTION_CONFIRMED = auto()
    REDEMPTIONS_FINISHED = auto()
    REOPEN_WALLET = auto()  # Enter on the phone of the shopper verified a moment ago: no new PIN
    REOPEN_PIN = auto()  # back to the PIN popup for the PIN texted a moment ago: no new text
    CANCEL = auto()  # Esc: undo the current step
    ABANDON = auto()  # give up the whole redemption, nothing redeemed
    NEW_SALE = auto()


class InvalidTransition(Exception):
    def __init__(self, step: Step, event: Event) -> None:
        super().__init__(f"{event.name} is not allowed at {step.name}")
        self.step = step
        self.event = event


#: Steps where nothing has been sent to redeem: giving up here costs the shopper no points.
BEFORE_CHECKOUT = frozenset(
    {Step.CART, Step.PHONE, Step.SENDING_PIN, Step.PIN, Step.OPENING_WALLET, Step.WALLET,
     Step.APPLY_IN_POS, Step.CHECKOUT}
)

TRANSITIONS: dict[tuple[Step, Event], Step] = {
    (Step.CART, Event.START): Step.PHONE,
    (Step.CART, Event.RESUME_APPLIED): Step.APPLY_IN_POS,
    (Step.PHONE, Event.PHONE_SUBMITTED): Step.SENDING_PIN,
    (Step.PHONE, Event.CANCEL): Step.CART,
    (Step.PHONE, Event.REOPEN_WALLET): Step.WALLET,
    (Step.PHONE, Event.REOPEN_PIN): Step.PIN,
    (Step.SENDING_PIN, Event.PIN_SENT): Step.PIN,
    (Step.SENDING_PIN, Event.PIN_SEND_FAILED): Step.PHONE,
    (Step.SENDING_PIN, Event.PIN_SKIPPED): Step.WALLET,
    (Step.SENDING_PIN, Event.CANCEL): Step.PHONE,
    (Step.PIN, Event.PIN_SUBMITTED): Step.OPENING_WALLET,
    (Step.PIN, Event.CANCEL): Step.PHONE,
    (Step.PIN, Event.RESTART): Step.PHONE,
    (Step.OPENING_WALLET, Event.WALLET_OPENED): Step.WALLET,
    (Step.OPENING_WALLET, Event.WALLET_FAILED): Step.PIN,
    (Step.OPENING_WALLET, Event.RESTART): Step.PHONE,
    (Step.OPENING_WALLET, Event.CANCEL): Step.PIN,
    (Step.WALLET, Event.SELECTION_APPLIED): Step.APPLY_IN_POS,
    (Step.WALLET, Event.CANCEL): Step.PHONE,  # the shopper stays verified for a moment
    (Step.APPLY_IN_POS, Event.CHANGE_SELECTION): Step.WALLET,
    (Step.APPLY_IN_POS, Event.CANCEL): Step.WALLET,
    (Step.APPLY_IN_POS, Event.CHECKOUT_STARTED): Step.CHECKOUT,
    (Step.CHECKOUT, Event.CANCEL): Step.APPLY_IN_POS,
    (Step.CHECKOUT, Event.TRANSACTION_CONFIRMED): Step.REDEEMING,
    (Step.REDEEMING, Event.REDEMPTIONS_FINISHED): Step.DONE,
    (Step.DONE, Event.NEW_SALE): Step.CART,
    (Step.DONE, Event.CANCEL): Step.CART,
}
for _step in BEFORE_CHECKOUT - {Step.CART}:
    TRANSITIONS[(_step, Event.ABANDON)] = Step.CART


def transition(step: Step, event: Event) -> Step:
    """The step after ``event`` at ``step``; raises InvalidTransition when the rules forbid it."""
    try:
        return TRANSITIONS[(step, event)]
    except KeyError:
        raise InvalidTransition(step, event) from None


def allowed(step: Step, event: Event) -> bool:
    """Whether the rules let ``event`` happen at ``step``."""
    return (step, event) in TRANSITIONS
