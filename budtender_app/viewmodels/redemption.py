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

from budtender_app.domain.actor import Acting, Actor, Approving, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.eligibility import Offer
from budtender_app.domain.flow import Event, Step, allowed, transition
from budtender_app.domain.messages import Level
from budtender_app.domain.phone import Phone
from budtender_app.domain.redemption import Outcome, record_text
from budtender_app.domain.transaction_pattern import ANY, TransactionPattern
from budtender_app.domain.wallet import Discount, Wallet
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.services.journal import Journal
from budtender_app.services.redemption_sender import PointsApi, RedemptionSender
from budtender_app.viewmodels.checkout import Checkout
from budtender_app.viewmodels.handoff import HandoffIntake
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations
from budtender_app.viewmodels.pin_steps import PinApi, PinSteps
from budtender_app.viewmodels.selection import CartEdit, Selection

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
    abandon_asked = Signal(str)  # "Cancel this redemption? …": the screen asks, abandon() if confirmed
    texted_pin_offered = Signal(str)  # "A PIN was texted 20 s ago: use that one?"
    busy = BusyText()  # what is in flight, in words; "" when nothing is
    message = MessageText()  # (Level, text) the screen shows now

    def __init__(self, api: WalletApi, journal: Journal, *, clock: Clock | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] | None = None, skip_pin: bool = False, acting: Acting = acting_counter,
                 approving: Approving | None = None, applied: AppliedSales | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock or Clock.system()  # the app's one clock (app.py); the journal reads it too
        self._monotonic = monotonic or self._clock.monotonic
        #: The store's "Skip the SMS PIN" setting (AIQ's 2FA bypass): wallets open with E3.
        self.skip_pin = skip_pin
        self.transaction_ids: TransactionPattern = ANY  # the store's POS ID shape (profile; app.py, profile switch)
        self.acting = acting  # who works the counter now (domain/actor.py): each act is theirs
        #: With staff sign-in, the manager who approved a PIN skip (manager_approval.py); None: typed initials.
        self.approving = approving
        self._journal = journal
        #: The one sender of this counter (app.py's background ResendLoop uses it too).
        self.redemption_sender = RedemptionSender(api, journal, sleep=sleep)
        self._line = MessageLine(self.message_changed.emit, only_changes=True)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed, only_changes=True)
        #: The sale applied in the POS (kept until checkout or cancel) and its checkout; hub_wiring sets its claimer.
        self.till = Checkout(journal, applied or AppliedSales(journal), self.redemption_sender, clock=self._clock,
                             ops=self._ops, line=self._line, acting=self.acting, parent=self)
        self.step = Step.CART
        self._selection = Selection(parent=self)
        self._cart = CartEdit(self._selection, self._line, self._refilter, parent=self)
        self._pins = PinSteps(self, api, journal, self._ops, self._line, go=self._go,
                              take_wallet=self._take_wallet, monotonic=self._monotonic, parent=self)
        self._pins.texted_pin_offered.connect(self.texted_pin_offered)
        # The PIN steps' actions, as the screens call them (each documented in pin_steps.py).
        self.submit_pin = self._pins.submit_pin  # Enter in the PIN popup: open the wallet (E2)
        self.resend_pin = self._pins.resend_pin  # a new PIN, once the countdown allows
        self.resend_seconds_left = self._pins.resend_seconds_left
        self.skip_pin_by_manager = self._pins.skip_pin_by_manager  # the caller checked the manager PIN
        self.use_texted_pin, self.text_new_pin = self._pins.use_texted_pin, self._pins.text_new_pin  # its answers
        self.signup_offered, self.open_for_new_member = self._pins.signup_offered, self._pins.open_for_new_member
        self.selection_summary, self.discount_count = self._selection.summary, self._selection.count_text
        self.handoff = HandoffIntake(self, self._selection, self._line, parent=self)  # what the POS hands over
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
        self._pins.forget_wallet()
        self.pin_skipped = ""  # why the PIN was skipped for this shopper ("" when it was not)
        self.pin_approver: Actor | None = None  # the manager who skipped it, if one did
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

    points_deducted = property(lambda self: sum(o.points_deducted for o in self.outcomes))
    balance_after = property(lambda self: None if self.balance is None else self.balance - self.points_deducted)

    def record(self) -> str:
        """The text block for the POS transaction record (auditors need the points on it)."""
        return record_text(self.transaction_id, self.outcomes, shopper=self.shopper_masked,
                           balance_after=self.balance_after)

    # -- cashier actions -------------------------------------------------------------------

    def submit_phone(self, text: str) -> None:
        """Enter on the phone: a PIN texted (E1), or the kept shopper's wallet back (pin_steps.py)."""
        dropped = self.message[1] if self._settled() else ""  # what a cart total typed here dropped
        if self.step is Step.PHONE and self.wallet is None and self._cart.problem():
            self._line.say(Level.ERROR, self._cart.problem())
            return
        self._pins.submit_phone(text)
        if dropped and self.step is Step.WALLET:  # re-opened: what the new total dropped is said too
            self._line.say(Level.INFO, f"{self.message[1]} {dropped}")

    @property
    def sale_applied(self) -> bool:
        """Whether this sale's discounts are applied in the POS (kept in the journal)."""
        return self.till.applied

    def forget_shopper(self) -> None:
        """Another phone is typed at the phone step: the shopper kept there is forgotten."""
        self._reset_shopper()
        self._refilter()

    def set_cart_text(self, text: str) -> None:
        """The cart total as typed: read at once with no wallet, else when done (not at "$1" of "$12")."""
        if self.step not in CART_EDITABLE:
            return
        self._cart.edited(text, wait=self.wallet is not None)

    def finish_cart_edit(self) -> None:
        """Enter in the cart total, or the keyboard leaving it: read what was typed now."""
        self._cart.settle()

    def start(self) -> None:
        """F2: "Redeem discounts for shopper". Needs a cart total first."""
        if self.step is not Step.CART:
            return
        if self._cart.problem():
            self._line.say(Level.ERROR, self._cart.problem().removesuffix(".") + self.tr(", then press F2."))
            return
        self._reset_shopper()
        self._go(Event.START)
        self._line.clear()

    def toggle(self, discount_id: str) -> None:
        """Space on a discount: select or unselect it, refusing what this sale cannot take."""
        if self.step is not Step.WALLET or self._settled() or self.cart_total is None:
            return  # a cart total just read dropped a choice under the cashier: look first
        refused = self._selection.toggle(discount_id, self.balance)
        if refused:
            self._line.say(Level.ERROR, refused)
        elif refused is not None:  # the choice changed
            self._line.clear()
            self.offers_changed.emit()

    def apply_selection(self) -> None:
        """Enter in the wallet: show what to apply in the POS. Nothing is sent to AIQ."""
        if self.step is not Step.WALLET or self._settled():
            return  # a cart total just read dropped a choice: the cashier reads which first
        if self.cart_total is None:
            self._line.say(Level.ERROR, self.tr("Type a valid cart total first, then apply the selection."))
            return
        if not self.selected:
            self._line.say(Level.ERROR, self.tr("Select at least one discount first (Space selects)."))
            return
        if not self.till.save(AppliedSale(
                cart_total=self.cart_total, discounts=tuple(self.selected), shopper_masked=self.shopper_masked,
                contact_id=self.wallet.contact_id if self.wallet else "", balance=self.balance,
                pin_skipped=self.pin_skipped, pin_approver=self.pin_approver)):
            return
        self._go(Event.SELECTION_APPLIED)
        self._line.clear()  # the screen itself says what to do next

    def start_checkout(self) -> None:
        """F9: "Checkout complete": asks for the POS transaction ID (nothing sent); before applying, says what to do."""
        if self.step is not Step.APPLY_IN_POS:
            hint = self.till.not_yet_text(self.step)
            if hint:
                self._line.say(Level.INFO, hint)
            return
        self._go(Event.CHECKOUT_STARTED)

    def confirm_checkout(self, text: str) -> None:
        """Enter on the transaction ID: now, and only now, redeem each discount (E4)."""
        if self.step is not Step.CHECKOUT:
            return
        txid, refused = self.till.transaction(  # checkout's rule, the store's ID shape, another sale's ID
            text, self.transaction_ids, contact_id=self.wallet.contact_id if self.wallet else "",
            shopper_masked=self.phone.masked if self.phone else "")
        if refused:
            self._line.say(Level.ERROR, refused)
            return
        # The store hub's claim first, when one is joined (checkout.py): another register's refuses it.
        self.till.claim_then(txid, list(self.selected), still=lambda: self.step is Step.CHECKOUT,
                                 go=self._confirmed)

    def _confirmed(self, txid: str, chosen: list[Discount]) -> None:
        self.transaction_id = txid
        self._go(Event.TRANSACTION_CONFIRMED)
        # Not cancellable: once checkout is confirmed the redemptions must finish or be recorded.
        self._ops.spawn(self._redeem_all(txid, chosen))

    def cancel(self) -> None:
        """Esc: undo the step (not redeeming). Wallet -> phone, shopper kept; asks where going back drops them."""
        if self.step is Step.REDEEMING:
            self._line.say(Level.INFO, self.tr("Redeeming with AIQ: wait for its answer."))
            return
        if self.step is Step.CART:
            return
        self._ops.cancel_replaceable()
        if self.step is Step.DONE:
            self.new_sale()
            return
        if (self.step is Step.PHONE and self.wallet is not None) or (self.step is Step.WALLET and self.phone is None):
            self.ask_abandon()  # the kept shopper, or a sale resumed at start (no phone to go back to)
            return
        leaving_wallet = self.step is Step.WALLET
        self._cart.settle()
        self._go(Event.CANCEL)
        if leaving_wallet:
            self._pins.left_wallet()
            self._line.say(Level.INFO, self._pins.kept_note())
        else:
            self._line.clear()

    def ask_abandon(self) -> None:
        """"Cancel redemption" (Shift+Esc): ask first (abandon_asked); abandon() when confirmed."""
        if not allowed(self.step, Event.ABANDON):
            return
        self.abandon_asked.emit(self.till.abandon_question(bool(self.selected_ids)))

    def abandon(self) -> None:
        """Give up this shopper's redemption before checkout (confirmed): no points are taken."""
        if not allowed(self.step, Event.ABANDON):
            return
        self._ops.cancel_replaceable()
        self._cart.settle()
        self._go(Event.ABANDON)
        self._end_redemption(self.tr("cancelled by the cashier (Cancel redemption)"))

    def _end_redemption(self, why: str) -> None:
        """The shopper's redemption is given up before checkout: nothing was or will be sent."""
        was_applied = self.till.forget(why)
        self.forget_shopper()
        self._line.say(Level.INFO, self.till.cancelled_text(was_applied) + self.handoff.forget())  # not the next's

    def new_sale(self) -> None:
        if self.step is not Step.DONE:
            return
        self._reset_sale()
        self._go(Event.NEW_SALE)
        self._refilter()
        self._line.clear()

    async def wait_idle(self) -> None:  # until nothing is in flight (tests, a clean quit)
        await self._ops.wait_idle()

    async def _redeem_all(self, transaction_id: str, chosen: list[Discount]) -> None:
        self.outcomes = []
        async for outcomes in self.till.redeem_all(transaction_id, chosen, shopper_masked=self.shopper_masked,
                                                        contact_id=self.wallet.contact_id if self.wallet else "",
                                                        approver=self.pin_approver):
            self.outcomes = outcomes
            self.outcomes_changed.emit()
        self._ops.set_busy("")
        self._go(Event.REDEMPTIONS_FINISHED)
        self.outcomes_changed.emit()
        self.refresh_pending()
        self._line.clear()  # the done page's banner says the outcome and the next step: said once, there

    pending_count = property(lambda self: len(self._journal.pending()))

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
        """At start: offer the sale left applied in the POS; resend what never reached AIQ (then ResendLoop)."""
        self.resume_applied()
        self._ops.spawn(self.resume_queued())

    def resume_applied(self) -> None:
        """At start: a sale applied in the POS before a quit or crash comes back at the POS step,
        to be finished (F9 and the transaction ID) or cancelled. Nothing is sent by itself."""
        sale = self.till.read() if self.step is Step.CART else None
        if sale is None:
            return
        self._selection.cart_total = sale.cart_total
        self._reset_shopper()
        self._resumed_shopper = sale.shopper_masked
        self.pin_skipped, self.pin_approver = sale.pin_skipped, sale.pin_approver
        self.wallet = self.till.wallet_of(sale)
        self._selection.restore(sale.discounts, hide_points=self.wallet.hide_points)
        self._go(Event.RESUME_APPLIED)
        self.offers_changed.emit()
        self._line.say(Level.ERROR, self.till.resumed_text(sale, self.discount_count(len(sale.discounts))))

    def _go(self, event: Event) -> None:
        self.step = transition(self.step, event)
        if self.step not in CART_EDITABLE:
            self._cart.drop()  # locked now: what was typed and not read yet no longer counts
        log.debug("step %s", self.step.name)
        self.step_changed.emit(self.step)

    def _settled(self) -> bool:
        """Reads a cart total still being typed; True when that dropped a chosen discount."""
        before = list(self.selected_ids)
        self._cart.settle()
        return self.selected_ids != before

    def _take_wallet(self, wallet: Wallet) -> list[str]:
        self.wallet = wallet  # the PIN steps say the lines with the wallet's other notes:
        return self._refilter(say=False) + self.handoff.preselect(wallet, self.balance)  # dropped, then the POS's

    def _refilter(self, *, say: bool = True) -> list[str]:
        """The offers again; says (and returns) a line for each chosen discount dropped."""
        dropped = self._selection.refilter(self.wallet, self.balance, self._clock())
        if dropped and say and self.cart_total is not None:
            self._line.say(Level.INFO, self._selection.dropped_line(dropped))
        self.offers_changed.emit()
        return dropped

    def _crashed(self, exc: BaseException) -> None:
        log.error("unexpected failure in the redemption flow", exc_info=exc)
        self._ops.set_busy("")
        self._line.say(Level.ERROR, self.tr("Something went wrong. Nothing more was sent; start again."))
