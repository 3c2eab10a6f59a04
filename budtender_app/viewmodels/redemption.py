"""The counter's redemption flow as a QObject: state, signals and the async calls behind them.

Widgets call the plain methods and redraw on the signals; they never see httpx or the client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.clock import Clock
from budtender_app.domain.eligibility import Offer
from budtender_app.domain.flow import Event, InvalidTransition, Step, transition
from budtender_app.domain.messages import Level
from budtender_app.domain.money import MoneyError, parse_money
from budtender_app.domain.phone import Phone
from budtender_app.domain.redemption import Outcome, TransactionIdError, parse_transaction_id, record_text
from budtender_app.domain.wallet import Discount, Wallet
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.services.journal import Journal
from budtender_app.services.redemption_sender import PointsApi, RedemptionSender
from budtender_app.viewmodels.checkout import Checkout
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations
from budtender_app.viewmodels.pin_steps import PinApi, PinSteps
from budtender_app.viewmodels.selection import Selection

log = logging.getLogger(__name__)

#: Steps where the cart total can still change (after the selection is applied it is locked).
CART_EDITABLE = frozenset({Step.CART, Step.PHONE, Step.SENDING_PIN, Step.PIN, Step.OPENING_WALLET, Step.WALLET})


class WalletApi(PinApi, PointsApi, Protocol):
    """What the counter needs of AIQ: the PIN and wallet calls, and the redemption PUT."""


class RedemptionViewModel(QObject):
    """One sale's redemption, from the cart total to the transaction record.

    The actions return None on purpose: PySide6 6.12 drops a reference to ``True`` each time a
    Python-defined signal calls a slot that returns it, and the interpreter aborts at exit.
    Callers read the outcome from ``step`` and ``message``.
    """

    step_changed = Signal(object)  # Step
    pending_changed = Signal(int)  # redemptions waiting to be sent or for a manager
    busy_changed = Signal(str)  # progress text; "" when nothing is in flight
    message_changed = Signal(str, str)  # (Level, text)
    offers_changed = Signal()  # wallet, cart total or selection changed
    outcomes_changed = Signal()
    busy = BusyText()  # what is in flight, in words; "" when nothing is
    message = MessageText()  # (Level, text) the screen shows now

    def __init__(self, api: WalletApi, journal: Journal, *, clock: Clock | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] | None = None, skip_pin: bool = False,
                 applied: AppliedSales | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: The app's one clock (app.py); the journal reads the same one.
        self._clock = clock or Clock.system()
        self._monotonic = monotonic or self._clock.monotonic
        #: The store's "Skip the SMS PIN" setting (AIQ's 2FA bypass): wallets open with E3.
        self.skip_pin = skip_pin
        self._journal = journal
        #: The one sender of this counter (app.py's background ResendLoop uses it too).
        self.redemption_sender = RedemptionSender(api, journal, sleep=sleep)
        self._line = MessageLine(self.message_changed.emit, only_changes=True)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed, only_changes=True)
        #: The sale applied in the POS (kept in the journal until checkout or cancel) and its checkout.
        self._checkout = Checkout(journal, applied or AppliedSales(journal), self.redemption_sender, clock=self._clock,
                                  ops=self._ops, line=self._line, parent=self)
        self.step = Step.CART
        self._selection = Selection(parent=self)
        self._pins = PinSteps(self, api, journal, self._ops, self._line, go=self._go,
                              take_wallet=self._take_wallet, monotonic=self._monotonic, parent=self)
        self._reset_sale()

    def _reset_sale(self) -> None:
        self._selection.cart_total = None
        self._reset_shopper()

    def _reset_shopper(self) -> None:
        self.phone: Phone | None = None
        self.wallet: Wallet | None = None
        self._selection.clear()
        self.transaction_id = ""
        self.outcomes: list[Outcome] = []
        self._pins.wrong_pins = 0
        self.pin_skipped = ""  # why the PIN was skipped for this shopper ("" when it was not)
        self._resumed_shopper = ""  # the masked phone of a sale resumed at start (no full phone)

    # -- what the screens show ---------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The app's one clock (the receipt prints the store's local time from it)."""
        return self._clock

    @property
    def wrong_pins(self) -> int:
        """Wrong PINs typed for the PIN texted last."""
        return self._pins.wrong_pins

    @property
    def balance(self) -> int | None:
        """The shopper's points, or None when the brand hides them."""
        if self.wallet is None or self.wallet.hide_points:
            return None
        return self.wallet.points

    @property
    def shopper_masked(self) -> str:
        """The shopper as shown everywhere but the phone field: ***-***-4567."""
        return self.phone.masked if self.phone else self._resumed_shopper

    @property
    def cart_total(self) -> Decimal | None:
        """The cart total as typed (None while it is not a valid amount)."""
        return self._selection.cart_total

    @property
    def offers(self) -> list[Offer]:
        """The wallet's discounts for this cart, each usable or with the reason it is not."""
        return self._selection.offers

    @property
    def selected_ids(self) -> list[str]:
        return self._selection.selected_ids

    @property
    def selected(self) -> list[Discount]:
        return self._selection.selected

    def selection_summary(self) -> str:
        return self._selection.summary()

    def discount_count(self, n: int) -> str:
        return self._selection.count_text(n)

    @property
    def points_deducted(self) -> int:
        return sum(o.points_deducted for o in self.outcomes)

    @property
    def balance_after(self) -> int | None:
        return None if self.balance is None else self.balance - self.points_deducted

    def record(self) -> str:
        """The text block for the POS transaction record (auditors need the points on it)."""
        return record_text(self.transaction_id, self.outcomes, shopper=self.shopper_masked,
                           balance_after=self.balance_after)

    # -- cashier actions -------------------------------------------------------------------

    def submit_phone(self, text: str) -> None:
        """Enter on the phone: AIQ texts the shopper a PIN (E1). Nothing is sent for a bad phone."""
        self._pins.submit_phone(text)

    def resend_seconds_left(self) -> int:
        """Seconds until "Resend PIN" works (0: now)."""
        return self._pins.resend_seconds_left()

    def resend_pin(self) -> None:
        """Text a new PIN (the old one stops working). Does nothing during the countdown."""
        self._pins.resend_pin()

    def skip_pin_by_manager(self, reason: str, manager: str) -> None:
        """A manager opens the wallet without a PIN for this sale; the caller checked the manager PIN."""
        self._pins.skip_pin_by_manager(reason, manager)

    def submit_pin(self, text: str) -> None:
        """Enter in the PIN popup: open the wallet with the PIN (E2)."""
        self._pins.submit_pin(text)

    def set_cart_text(self, text: str) -> None:
        """The cart total as typed. Re-filters the wallet at once. False (and a message) if bad."""
        if self.step not in CART_EDITABLE:
            return
        try:
            value = parse_money(text)
        except MoneyError as exc:
            self._selection.cart_total = None
            self._refilter()
            self._line.say(Level.ERROR, str(exc))
            return
        changed = value != self.cart_total
        self._selection.cart_total = value
        if changed:
            self._refilter()
        if self.message[0] is Level.ERROR:
            self._line.clear()

    def start(self) -> None:
        """F2: "Redeem discounts for shopper". Needs a cart total first."""
        if self.step is not Step.CART:
            return
        if self.cart_total is None:
            self._line.say(Level.ERROR, self.tr("Type the cart total first, then press F2."))
            return
        self._reset_shopper()
        self._go(Event.START)
        self._line.clear()

    def toggle(self, discount_id: str) -> None:
        """Space on a discount: select or unselect it, refusing what this sale cannot take."""
        if self.step is not Step.WALLET or self.cart_total is None:
            return
        refused = self._selection.toggle(discount_id, self.balance)
        if refused:
            self._line.say(Level.ERROR, refused)
        elif refused is not None:  # the choice changed
            self._line.clear()
            self.offers_changed.emit()

    def apply_selection(self) -> None:
        """Enter in the wallet: show what to apply in the POS. Nothing is sent to AIQ."""
        if self.step is not Step.WALLET:
            return
        if not self.selected:
            self._line.say(Level.ERROR, self.tr("Select at least one discount first (Space selects)."))
            return
        if not self._save_applied():
            return
        self._go(Event.SELECTION_APPLIED)
        self._line.clear()  # the screen itself says what to do next

    def start_checkout(self) -> None:
        """F9: "Checkout complete". Asks for the POS transaction ID; still nothing sent."""
        if self.step is not Step.APPLY_IN_POS:
            return
        self._go(Event.CHECKOUT_STARTED)

    def confirm_checkout(self, text: str) -> None:
        """Enter on the transaction ID: now, and only now, redeem each discount (E4)."""
        if self.step is not Step.CHECKOUT:
            return
        try:
            self.transaction_id = parse_transaction_id(text)
        except TransactionIdError as exc:
            self._line.say(Level.ERROR, str(exc))
            return
        clash = self._checkout.clash(self.transaction_id, contact_id=self.wallet.contact_id if self.wallet else "",
                                     shopper_masked=self.phone.masked if self.phone else "")
        if clash:
            log.info("transaction ID refused: already used for another sale")
            self._line.say(Level.ERROR, clash)
            return
        self._go(Event.TRANSACTION_CONFIRMED)
        # Not cancellable: once checkout is confirmed the redemptions must finish or be recorded.
        self._ops.spawn(self._redeem_all(self.transaction_id, list(self.selected)))

    def cancel(self) -> None:
        """Esc: undo the current step. Redeeming cannot be cancelled."""
        if self.step is Step.REDEEMING:
            self._line.say(Level.INFO, self.tr("Redeeming with AIQ: wait for its answer."))
            return
        if self.step is Step.CART:
            return
        self._ops.cancel_replaceable()
        if self.step is Step.DONE:
            self.new_sale()
            return
        leaving_wallet = self.step is Step.WALLET
        self._go(Event.CANCEL)
        if leaving_wallet:
            self._end_redemption(self.tr("cancelled in the wallet (Esc)"))
        else:
            self._line.clear()

    def abandon(self) -> None:
        """Give up this shopper's redemption before checkout: no points are taken."""
        try:
            transition(self.step, Event.ABANDON)
        except InvalidTransition:
            return
        self._ops.cancel_replaceable()
        self._go(Event.ABANDON)
        self._end_redemption(self.tr("cancelled by the cashier (Cancel redemption)"))

    def _end_redemption(self, why: str) -> None:
        """The shopper's redemption is given up before checkout: nothing was or will be sent."""
        was_applied = self._checkout.forget(why)
        self._reset_shopper()
        self._refilter()
        if was_applied:
            self._line.say(Level.INFO, self.tr("Redemption cancelled: nothing was redeemed. Remove the discounts "
                                               "you applied from the POS sale."))
        else:
            self._line.say(Level.INFO, self.tr("Redemption cancelled: nothing was redeemed."))

    def new_sale(self) -> None:
        if self.step is not Step.DONE:
            return
        self._reset_sale()
        self._go(Event.NEW_SALE)
        self._refilter()
        self._line.clear()

    async def wait_idle(self) -> None:
        """Until nothing is in flight (for tests and for a clean quit)."""
        await self._ops.wait_idle()

    # -- async work --------------------------------------------------------------------------

    async def _redeem_all(self, transaction_id: str, chosen: list[Discount]) -> None:
        self.outcomes = []
        async for outcomes in self._checkout.redeem_all(transaction_id, chosen, shopper_masked=self.shopper_masked,
                                                        contact_id=self.wallet.contact_id if self.wallet else ""):
            self.outcomes = outcomes
            self.outcomes_changed.emit()
        self._ops.set_busy("")
        self._go(Event.REDEMPTIONS_FINISHED)
        self.outcomes_changed.emit()
        self.refresh_pending()
        self._line.say(*self._checkout.finished_text(self.outcomes))

    @property
    def pending_count(self) -> int:
        return len(self._journal.pending())

    def refresh_pending(self) -> None:
        """Say how many redemptions are open now (after the background resend sent some)."""
        self.pending_changed.emit(self.pending_count)

    def may_send_queued(self) -> bool:
        """Whether the background resend may send now: never while a checkout is being redeemed."""
        return self.step is not Step.REDEEMING

    async def resume_queued(self) -> None:
        """At start: send what an earlier run journaled but never got to AIQ (safe: never sent)."""
        await self.redemption_sender.send_queued()
        self.refresh_pending()

    def start_resume(self) -> None:
        """At start: offer the sale left applied in the POS, and resend what never reached AIQ.
        (Retrying now and then after that is ResendLoop's, started by app.py.)"""
        self.resume_applied()
        self._ops.spawn(self.resume_queued())

    # -- the sale in progress (applied in the POS, not yet checked out) ------------------------

    def resume_applied(self) -> None:
        """At start: a sale applied in the POS before a quit or crash comes back at the POS step,
        to be finished (F9 and the transaction ID) or cancelled. Nothing is sent by itself."""
        if self.step is not Step.CART:
            return
        sale = self._checkout.read()
        if sale is not None:
            self._restore(sale)

    def _restore(self, sale: AppliedSale) -> None:
        self._selection.cart_total = sale.cart_total
        self._reset_shopper()
        self._resumed_shopper = sale.shopper_masked
        self.pin_skipped = sale.pin_skipped
        self.wallet = Wallet(contact_id=sale.contact_id, points=sale.balance or 0,
                             hide_points=sale.balance is None, discounts=sale.discounts)
        self._selection.restore(sale.discounts, hide_points=self.wallet.hide_points)
        self._go(Event.RESUME_APPLIED)
        self.offers_changed.emit()
        self._line.say(Level.ERROR, self._checkout.resumed_text(sale, self.discount_count(len(sale.discounts))))

    def _save_applied(self) -> bool:
        sale = AppliedSale(cart_total=self.cart_total or Decimal(0), discounts=tuple(self.selected),
                           shopper_masked=self.shopper_masked,
                           contact_id=self.wallet.contact_id if self.wallet else "",
                           balance=self.balance, pin_skipped=self.pin_skipped)
        return self._checkout.save(sale)

    # -- plumbing ----------------------------------------------------------------------------

    def _go(self, event: Event) -> None:
        self.step = transition(self.step, event)
        log.debug("step %s", self.step.name)
        self.step_changed.emit(self.step)

    def _take_wallet(self, wallet: Wallet) -> None:
        self.wallet = wallet
        self._refilter()

    def _refilter(self) -> None:
        if self._selection.refilter(self.wallet, self.balance, self._clock()):
            self._line.say(Level.INFO, self.tr(
                "The cart total changed: the selection was cleared where it no longer fits."))
        self.offers_changed.emit()

    def _crashed(self, exc: BaseException) -> None:
        log.error("unexpected failure in the redemption flow", exc_info=exc)
        self._ops.set_busy("")
        self._line.say(Level.ERROR, self.tr("Something went wrong. Nothing more was sent; start again."))
