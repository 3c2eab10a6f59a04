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
from budtender_app.domain.eligibility import Offer, evaluate, selection_problem, totals
from budtender_app.domain.flow import Event, InvalidTransition, Step, transition
from budtender_app.domain.money import MoneyError, format_money, parse_money
from budtender_app.domain.phone import Phone
from budtender_app.domain.redemption import (
    Outcome,
    Status,
    TransactionIdError,
    parse_transaction_id,
    record_text,
)
from budtender_app.domain.wallet import Discount, Wallet
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.services.journal import Journal, State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.viewmodels.pin_steps import MAX_WRONG_PINS, RESEND_AFTER, PinSteps  # noqa: F401

log = logging.getLogger(__name__)

#: Seconds between background retries of redemptions that never reached AIQ.
RETRY_QUEUED_EVERY = 60.0

#: Steps where the cart total can still change (after the selection is applied it is locked).
CART_EDITABLE = frozenset({Step.CART, Step.PHONE, Step.SENDING_PIN, Step.PIN, Step.OPENING_WALLET, Step.WALLET})


class WalletApi(Protocol):
    async def verify_wallet(self, phone: Phone) -> None: ...
    async def view_wallet(self, phone: Phone, pin: str) -> Wallet: ...
    async def wallet(self, phone: Phone) -> Wallet: ...
    async def redeem(self, redemption_url: str, transaction_id: str) -> str: ...


class RedemptionViewModel(PinSteps, QObject):
    """One sale's redemption, from the cart total to the transaction record.

    The actions return None on purpose: PySide6 6.12 drops a reference to ``True`` each time a
    Python-defined signal calls a slot that returns it, and the interpreter aborts at exit.
    Callers read the outcome from ``step`` and ``message``.
    """

    step_changed = Signal(object)  # Step
    pending_changed = Signal(int)  # redemptions waiting to be sent or for a manager
    busy_changed = Signal(str)  # progress text; "" when nothing is in flight
    message_changed = Signal(str, str)  # (level "error" | "info" | "", text)
    offers_changed = Signal()  # wallet, cart total or selection changed
    outcomes_changed = Signal()

    def __init__(
        self,
        api: WalletApi,
        journal: Journal,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] | None = None,
        skip_pin: bool = False,
        applied: AppliedSales | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        #: The app's one clock (app.py); the journal reads the same one.
        self._clock = clock or Clock.system()
        self._monotonic = monotonic or self._clock.monotonic
        #: The store's "Skip the SMS PIN" setting (AIQ's 2FA bypass): wallets open with E3.
        self.skip_pin = skip_pin
        self._resend_at = 0.0
        self._api = api
        self._journal = journal
        #: The sale applied in the POS, kept in the journal until checkout or cancel.
        self._applied = applied or AppliedSales(journal)
        self._sender = RedemptionSender(api, journal, sleep=sleep)
        self._sleep = sleep
        self._tasks: set[asyncio.Task] = set()
        self._cancellable: asyncio.Task | None = None
        self._background: asyncio.Future | None = None
        self._reset_sale()
        self.step = Step.CART
        self.busy = ""
        self.message: tuple[str, str] = ("", "")

    def _reset_sale(self) -> None:
        self.cart_total: Decimal | None = None
        self._reset_shopper()

    def _reset_shopper(self) -> None:
        self.phone: Phone | None = None
        self.wallet: Wallet | None = None
        self.offers: list[Offer] = []
        self.selected_ids: list[str] = []
        self.transaction_id = ""
        self.outcomes: list[Outcome] = []
        self.wrong_pins = 0
        self.pin_skipped = ""  # why the PIN was skipped for this shopper ("" when it was not)
        self._resumed_shopper = ""  # the masked phone of a sale resumed at start (no full phone)

    # -- what the screens show ---------------------------------------------------------------

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
    def selected(self) -> list[Discount]:
        by_id = {o.discount.id: o.discount for o in self.offers}
        return [by_id[i] for i in self.selected_ids if i in by_id]

    def selection_summary(self) -> str:
        chosen = self.selected
        if not chosen or self.cart_total is None:
            return self.tr("Nothing selected yet: Space selects the highlighted discount.")
        sums = totals(chosen, self.cart_total)
        count = self.discount_count(len(chosen))
        return self.tr("Selected: {count}, {off} off, {points:,} points").format(
            count=count, off=format_money(sums.amount_off), points=sums.points
        )

    def discount_count(self, n: int) -> str:
        return self.tr("1 discount") if n == 1 else self.tr("{n} discounts").format(n=n)

    @property
    def points_deducted(self) -> int:
        return sum(o.points_deducted for o in self.outcomes)

    @property
    def balance_after(self) -> int | None:
        return None if self.balance is None else self.balance - self.points_deducted

    def record(self) -> str:
        """The text block for the POS transaction record (auditors need the points on it)."""
        return record_text(
            self.transaction_id,
            self.outcomes,
            shopper=self.shopper_masked,
            balance_after=self.balance_after,
        )

    # -- cashier actions -------------------------------------------------------------------

    def set_cart_text(self, text: str) -> None:
        """The cart total as typed. Re-filters the wallet at once. False (and a message) if bad."""
        if self.step not in CART_EDITABLE:
            return
        try:
            value = parse_money(text)
        except MoneyError as exc:
            self.cart_total = None
            self._refilter()
            self._say("error", str(exc))
            return
        changed = value != self.cart_total
        self.cart_total = value
        if changed:
            self._refilter()
        if self.message[0] == "error":
            self._say("", "")

    def start(self) -> None:
        """F2: "Redeem discounts for shopper". Needs a cart total first."""
        if self.step is not Step.CART:
            return
        if self.cart_total is None:
            self._say("error", self.tr("Type the cart total first, then press F2."))
            return
        self._reset_shopper()
        self._go(Event.START)
        self._say("", "")

    def toggle(self, discount_id: str) -> None:
        """Space on a discount: select or unselect it, refusing what this sale cannot take."""
        if self.step is not Step.WALLET or self.cart_total is None:
            return
        if discount_id in self.selected_ids:
            self.selected_ids.remove(discount_id)
            self._say("", "")
            self.offers_changed.emit()
            return
        offer = next((o for o in self.offers if o.discount.id == discount_id), None)
        if offer is None:
            return
        if not offer.usable:
            self._say("error", self.tr("'{name}' cannot be used: {reason}.").format(
                name=offer.discount.name, reason=offer.reason))
            return
        problem = selection_problem(self.selected + [offer.discount], self.cart_total, self.balance)
        if problem:
            self._say("error", problem)
            return
        self.selected_ids.append(discount_id)
        self._say("", "")
        self.offers_changed.emit()

    def apply_selection(self) -> None:
        """Enter in the wallet: show what to apply in the POS. Nothing is sent to AIQ."""
        if self.step is not Step.WALLET:
            return
        if not self.selected:
            self._say("error", self.tr("Select at least one discount first (Space selects)."))
            return
        if not self._save_applied():
            return
        self._go(Event.SELECTION_APPLIED)
        self._say("", "")  # the screen itself says what to do next

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
            self._say("error", str(exc))
            return
        clash = self._transaction_id_clash(self.transaction_id)
        if clash:
            log.info("transaction ID refused: already used for another sale")
            self._say("error", clash)
            return
        self._go(Event.TRANSACTION_CONFIRMED)
        # Not cancellable: once checkout is confirmed the redemptions must finish or be recorded.
        self._spawn(self._redeem_all(self.transaction_id, list(self.selected)))

    def _transaction_id_clash(self, transaction_id: str) -> str:
        """Why this ID cannot be this sale's: journaled already for another shopper or day.

        The journal keeps one row per (transaction, discount) so that confirming twice never
        redeems twice; a POS number reused by a daily counter or a typo must not match then.
        """
        try:
            rows = self._journal.for_transaction(transaction_id)
        except Exception:  # noqa: BLE001 - queueing will fail too, and then nothing is sent
            return ""
        contact = self.wallet.contact_id if self.wallet else ""
        masked = self.phone.masked if self.phone else ""
        today = self._clock.today()
        for row in rows:
            if row.contact_id and contact:
                same_shopper = row.contact_id == contact
            else:
                same_shopper = row.shopper_masked == masked
            when = self._clock.local(row.created_at)
            if not same_shopper or when.date() != today:
                return self.tr(
                    "POS transaction {txid} was already used on {day} for {shopper}. Check the "
                    "transaction ID of this sale.").format(
                        txid=transaction_id, day=f"{when:%b} {when.day} at {when:%H:%M}",
                        shopper=row.shopper_masked or self.tr("another shopper"))
        return ""

    def cancel(self) -> None:
        """Esc: undo the current step. Redeeming cannot be cancelled."""
        if self.step is Step.REDEEMING:
            self._say("info", self.tr("Redeeming with AIQ: wait for its answer."))
            return
        if self.step is Step.CART:
            return
        self._stop_cancellable()
        if self.step is Step.DONE:
            self.new_sale()
            return
        leaving_wallet = self.step is Step.WALLET
        self._go(Event.CANCEL)
        if leaving_wallet:
            self._end_redemption(self.tr("cancelled in the wallet (Esc)"))
        else:
            self._say("", "")

    def abandon(self) -> None:
        """Give up this shopper's redemption before checkout: no points are taken."""
        try:
            transition(self.step, Event.ABANDON)
        except InvalidTransition:
            return
        self._stop_cancellable()
        self._go(Event.ABANDON)
        self._end_redemption(self.tr("cancelled by the cashier (Cancel redemption)"))

    def _end_redemption(self, why: str) -> None:
        """The shopper's redemption is given up before checkout: nothing was or will be sent."""
        was_applied = self._forget_applied(why)
        self._reset_shopper()
        self._refilter()
        if was_applied:
            self._say("info", self.tr("Redemption cancelled: nothing was redeemed. Remove the discounts "
                                      "you applied from the POS sale."))
        else:
            self._say("info", self.tr("Redemption cancelled: nothing was redeemed."))

    def new_sale(self) -> None:
        if self.step is not Step.DONE:
            return
        self._reset_sale()
        self._go(Event.NEW_SALE)
        self._refilter()
        self._say("", "")

    async def wait_idle(self) -> None:
        """Until nothing is in flight (for tests and for a clean quit)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- async work --------------------------------------------------------------------------

    async def _redeem_all(self, transaction_id: str, chosen: list[Discount]) -> None:
        self.outcomes = []
        try:
            # Journal before network: every chosen redemption is on disk before any PUT.
            # The same transaction forgets the sale in progress: never both, never neither.
            entries = self._applied.checkout(
                transaction_id, chosen, shopper_masked=self.shopper_masked,
                contact_id=self.wallet.contact_id if self.wallet else "")
        except Exception:
            log.exception("could not journal transaction %s", transaction_id)
            self.outcomes = [Outcome(d, Status.NOT_SENT, self.tr(
                "The terminal could not record this redemption, so it was not sent.")) for d in chosen]
            self._finish_redeeming()
            return
        for index, (discount, entry) in enumerate(zip(chosen, entries), start=1):
            self._set_busy(self.tr("Redeeming {i} of {n} with AIQ…").format(i=index, n=len(chosen)))
            if entry.state is State.QUEUED:
                entry = await self._sender.redeem(entry)
            else:
                log.info("transaction %s discount %s was journaled already: not sent again",
                         transaction_id, entry.discount_id)
            outcome = entry.outcome()
            self.outcomes.append(Outcome(discount, outcome.status, outcome.message, outcome.redemption_id))
            self.outcomes_changed.emit()
        self._finish_redeeming()

    def _finish_redeeming(self) -> None:
        self._set_busy("")
        self._go(Event.REDEMPTIONS_FINISHED)
        self.outcomes_changed.emit()
        self._emit_pending()
        if self.outcomes and all(o.status is Status.REDEEMED for o in self.outcomes):
            self._say("info", self.tr("Redeemed. Copy the record onto the POS transaction."))
        else:
            self._say("error", self.tr("Not everything was redeemed: check each line before the shopper leaves."))

    @property
    def pending_count(self) -> int:
        return len(self._journal.pending())

    def _emit_pending(self) -> None:
        self.pending_changed.emit(self.pending_count)

    async def resume_queued(self) -> None:
        """At start: send what an earlier run journaled but never got to AIQ (safe: never sent)."""
        await self._sender.send_queued()
        self._emit_pending()

    async def retry_queued_forever(self, every: float = RETRY_QUEUED_EVERY) -> None:
        """Now and then, send again what never reached AIQ (the network came back).

        Only rows that were already waiting at the last look (so never the rows of a checkout
        still being worked through), and never while a checkout is being redeemed.
        """
        waiting: set[int] = set()
        while True:
            await self._sleep(every)
            queued = {entry.id for entry in self._journal.queued_to_send()}
            ready, waiting = queued & waiting, queued
            if ready:
                await self._sender.send_queued(only=ready, may_send=lambda: self.step is not Step.REDEEMING)
                self._emit_pending()

    def start_resume(self) -> None:
        """At start: offer the sale left applied in the POS, resend what never reached AIQ,
        then keep retrying now and then."""
        self.resume_applied()
        self._spawn(self.resume_queued())
        self._background = asyncio.ensure_future(self.retry_queued_forever())

    def stop_background(self) -> None:
        if self._background is not None:
            self._background.cancel()
            self._background = None

    # -- the sale in progress (applied in the POS, not yet checked out) ------------------------

    def resume_applied(self) -> None:
        """At start: a sale applied in the POS before a quit or crash comes back at the POS step,
        to be finished (F9 and the transaction ID) or cancelled. Nothing is sent by itself."""
        if self.step is not Step.CART:
            return
        try:
            sale = self._applied.current()
        except Exception:
            log.exception("the sale in progress could not be read")
            self._say("error", self.tr("A sale in progress could not be read back from the journal. "
                                       "Call a manager before redeeming for that shopper again."))
            return
        if sale is not None:
            self._restore(sale)

    def _restore(self, sale: AppliedSale) -> None:
        self.cart_total = sale.cart_total
        self._reset_shopper()
        self._resumed_shopper = sale.shopper_masked
        self.pin_skipped = sale.pin_skipped
        self.wallet = Wallet(contact_id=sale.contact_id, points=sale.balance or 0,
                             hide_points=sale.balance is None, discounts=sale.discounts)
        # Exactly what was applied in the POS: not filtered again (an expiry passed meanwhile is
        # AIQ's to refuse at checkout, and the cashier sees that answer).
        self.offers = [Offer(d, None) for d in sale.discounts]
        self.selected_ids = [d.id for d in sale.discounts]
        self._go(Event.RESUME_APPLIED)
        self.offers_changed.emit()
        when = self._clock.local(sale.applied_at) if sale.applied_at else None
        self._say("error", self.tr(
            "A sale was not finished: {n} applied in the POS{at} for {shopper}. If that POS sale went "
            "through, press F9 and type its transaction ID. If not, press Cancel redemption.").format(
                n=self.discount_count(len(sale.discounts)),
                at=f" at {when:%H:%M}" if when else "", shopper=sale.shopper_masked or self.tr("a shopper")))

    def _save_applied(self) -> bool:
        sale = AppliedSale(cart_total=self.cart_total or Decimal(0), discounts=tuple(self.selected),
                           shopper_masked=self.shopper_masked,
                           contact_id=self.wallet.contact_id if self.wallet else "",
                           balance=self.balance, pin_skipped=self.pin_skipped)
        try:
            self._applied.save(sale)
        except Exception:
            log.exception("could not save the applied selection")
            self._say("error", self.tr("The terminal cannot record this sale, so its discounts could not be "
                                       "redeemed: do not apply them in the POS. Call a manager."))
            return False
        return True

    def _forget_applied(self, why: str) -> bool:
        try:
            return self._applied.cancel(why)
        except Exception:
            log.exception("could not forget the applied selection")
            return False

    # -- plumbing ----------------------------------------------------------------------------

    def _go(self, event: Event) -> None:
        self.step = transition(self.step, event)
        log.debug("step %s", self.step.name)
        self.step_changed.emit(self.step)

    def _say(self, level: str, text: str) -> None:
        if (level, text) != self.message:
            self.message = (level, text)
            self.message_changed.emit(level, text)

    def _set_busy(self, text: str) -> None:
        if text != self.busy:
            self.busy = text
            self.busy_changed.emit(text)

    def _refilter(self) -> None:
        if self.wallet is None:
            self.offers = []
        elif self.cart_total is None:
            reason = self.tr("type a valid cart total first")
            self.offers = [Offer(d, reason) for d in self.wallet.discounts]
        else:
            self.offers = evaluate(self.wallet.discounts, self.cart_total, self.balance, self._clock())
        usable = {o.discount.id for o in self.offers if o.usable}
        dropped = [i for i in self.selected_ids if i not in usable]
        self.selected_ids = [i for i in self.selected_ids if i in usable]
        if self.cart_total is not None and self.selected and selection_problem(
                self.selected, self.cart_total, self.balance):
            dropped += self.selected_ids
            self.selected_ids = []
        if dropped:
            self._say("info", self.tr("The cart total changed: the selection was cleared where it no longer fits."))
        self.offers_changed.emit()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # a strong reference: qasync keeps none
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("unexpected failure in the redemption flow", exc_info=task.exception())
            self._set_busy("")
            self._say("error", self.tr("Something went wrong. Nothing more was sent; start again."))

    def _run_cancellable(self, coro) -> None:
        self._stop_cancellable()
        self._cancellable = self._spawn(coro)

    def _stop_cancellable(self) -> None:
        if self._cancellable is not None and not self._cancellable.done():
            self._cancellable.cancel()
            self._set_busy("")
        self._cancellable = None
