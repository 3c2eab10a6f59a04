"""The counter's sale after the selection: kept while it is applied in the POS, then checked out.

An object the redemption view model holds. It owns the journal's side of the sale: the sale in
progress (saved when the selection is applied in the POS, read back after a quit or crash,
forgotten on cancel), the check that a transaction ID is this sale's, and checkout itself:
every chosen discount journaled in one transaction before any PUT, then each sent once.
The view model keeps the sale's state and says what happened.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject

from budtender_app.domain.actor import Acting, Actor, acting_counter
from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.domain.redemption import Outcome, Status, TransactionIdError, parse_transaction_id
from budtender_app.domain.transaction_pattern import TransactionPattern
from budtender_app.domain.wallet import Discount, Wallet
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.services.journal import Journal, JournalEntry, State
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.viewmodels.operation import MessageLine, Operations

if TYPE_CHECKING:  # psycopg loads with the hub, after the window shows: not at start-up
    from budtender_app.services.hub.claims import ClaimResult

# The counter's log, as before this was split out of the view model.
log = logging.getLogger("budtender_app.viewmodels.redemption")


class Claimer(Protocol):
    """The store hub's claims (services/hub/claimer.py ``HubClaimer``), keyed by AIQ discount id."""

    async def claim(self, transaction_id: str, discount_ids: Sequence[str]) -> ClaimResult: ...

    async def release(self, transaction_id: str, discount_ids: Sequence[str]) -> None: ...


class Checkout(QObject):
    """The sale in progress and its checkout, with the cashier's words when the journal fails."""

    def __init__(self, journal: Journal, applied: AppliedSales, sender: RedemptionSender, *, clock: Clock,
                 ops: Operations, line: MessageLine, acting: Acting = acting_counter,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._journal = journal
        self._applied = applied
        self._sender = sender
        self._clock = clock
        self._ops = ops
        self._line = line
        self._acting = acting  # the cashier: the sale in progress, its cancel and its checkout are theirs
        #: Whether a sale is applied in the POS now (saved, read back at start; gone at checkout or cancel).
        self.applied = False
        #: The store hub's claims (hub_wiring.py sets it once the hub is joined); None: no hub, as before.
        self.claimer: Claimer | None = None
        #: Called after each checkout's redemptions end (hub_wiring.py: the hub's push, at once).
        self.after_checkout: Callable[[], None] = lambda: None
        self._claiming = False

    @property
    def store(self) -> str:
        """The store this counter's journal (and its claims on the hub) are of."""
        return self._journal.store

    # -- the sale in progress (applied in the POS, not yet checked out) ------------------------

    def read(self) -> AppliedSale | None:
        """The sale left applied in the POS by an earlier run, if any (None, said, when unreadable)."""
        try:
            sale = self._applied.current()
            self.applied = sale is not None
            return sale
        except Exception:
            log.exception("the sale in progress could not be read")
            self._line.say(Level.ERROR, self.tr("A sale in progress could not be read back from the journal. "
                                                "Call a manager before redeeming for that shopper again."))
            return None

    @staticmethod
    def wallet_of(sale: AppliedSale) -> Wallet:
        """The wallet a resumed sale stands on: its shopper, balance and the discounts applied."""
        return Wallet(contact_id=sale.contact_id, points=sale.balance or 0,
                      hide_points=sale.balance is None, discounts=sale.discounts)

    def resumed_text(self, sale: AppliedSale, discounts: str) -> str:
        """What the cashier reads about a sale that came back at start."""
        when = self._clock.local(sale.applied_at) if sale.applied_at else None
        return self.tr(
            "A sale was not finished: {n} applied in the POS{at} for {shopper}. If that POS sale went "
            "through, press F9 and type its transaction ID. If not, press Cancel redemption.").format(
                n=discounts, at=f" at {when:%H:%M}" if when else "",
                shopper=sale.shopper_masked or self.tr("a shopper"))

    def save(self, sale: AppliedSale) -> bool:
        """Keep the sale applied in the POS; False (and said) when the journal cannot."""
        try:
            self._applied.save(sale, staff=self._acting(), approver=sale.pin_approver)
            self.applied = True
        except Exception:
            log.exception("could not save the applied selection")
            self._line.say(Level.ERROR, self.tr(
                "The terminal cannot record this sale, so its discounts could not be redeemed: do not apply "
                "them in the POS. Call a manager."))
            return False
        return True

    def forget(self, why: str) -> bool:
        """The sale in progress is given up; True when one was applied in the POS."""
        try:
            gone = self._applied.cancel(why, staff=self._acting())
            self.applied = False
            return gone
        except Exception:
            log.exception("could not forget the applied selection")
            return False

    def abandon_question(self, chosen: bool) -> str:
        """What the cashier is asked before the whole redemption is given up (``chosen``: discounts are)."""
        text = self.tr("Cancel this redemption? The shopper's selection is dropped.") if chosen else self.tr(
            "Cancel this redemption? Nothing has been redeemed.")
        if self.applied:
            text += " " + self.tr("Then remove the discounts you applied from the POS sale.")
        return text

    def cancelled_text(self, was_applied: bool) -> str:
        """What the cashier reads once the redemption is given up."""
        if was_applied:
            return self.tr("Redemption cancelled: nothing was redeemed. Remove the discounts you applied from "
                           "the POS sale.")
        return self.tr("Redemption cancelled: nothing was redeemed.")

    def not_yet_text(self, step: Step) -> str:
        """What F9 (Checkout complete) says at a step where there is nothing to check out yet."""
        if step is Step.CART:
            return self.tr("Nothing to check out yet: type the cart total and press F2 to redeem for a shopper.")
        if step is Step.WALLET:
            return self.tr("Apply the selection first (Enter), key the discounts into the POS, then press F9 "
                           "when the sale is finished.")
        if step in (Step.PHONE, Step.SENDING_PIN, Step.PIN, Step.OPENING_WALLET):
            return self.tr("Open the shopper's wallet first, then apply the selection (Enter) and key it into "
                           "the POS; press F9 when the sale is finished.")
        if step is Step.DONE:
            return self.tr("This sale is checked out: Enter starts a new sale.")
        return ""  # redeeming, or the checkout popup is up already

    # -- checkout ------------------------------------------------------------------------------

    def transaction(self, text: str, ids: TransactionPattern, *, contact_id: str,
                    shopper_masked: str) -> tuple[str, str]:
        """The transaction ID typed (or scanned) at checkout, and why it is refused ("" when it is
        not): checkout's rule, then the store's ID shape (``ids``), then a clash with another sale."""
        try:
            txid = parse_transaction_id(text)
        except TransactionIdError as exc:
            return "", str(exc)
        shape = ids.problem(txid)
        if shape:
            log.info("transaction ID refused: not this store's ID shape (%s)", ids)
            return txid, shape
        clash = self.clash(txid, contact_id=contact_id, shopper_masked=shopper_masked)
        if clash:
            log.info("transaction ID refused: already used for another sale")
        return txid, clash

    def clash(self, transaction_id: str, *, contact_id: str, shopper_masked: str) -> str:
        """Why this ID cannot be this sale's: journaled already for another shopper or day.

        The journal keeps one row per (transaction, discount) so that confirming twice never
        redeems twice; a POS number reused by a daily counter or a typo must not match then.
        """
        try:
            rows = self._journal.for_transaction(transaction_id)
        except Exception:  # noqa: BLE001 - queueing will fail too, and then nothing is sent
            return ""
        today = self._clock.today()
        for row in rows:
            if row.contact_id and contact_id:
                same_shopper = row.contact_id == contact_id
            else:
                same_shopper = row.shopper_masked == shopper_masked
            when = self._clock.local(row.created_at)
            if not same_shopper or when.date() != today:
                return self.tr(
                    "POS transaction {txid} was already used on {day} for {shopper}. Check the "
                    "transaction ID of this sale.").format(
                        txid=transaction_id, day=f"{when:%b} {when.day} at {when:%H:%M}",
                        shopper=row.shopper_masked or self.tr("another shopper"))
        return ""

    def claim_then(self, transaction_id: str, chosen: Sequence[Discount], *, still: Callable[[], bool],
                   go: Callable[[str, list[Discount]], None]) -> None:
        """With a hub joined, claim the sale's discounts on it first (a worker thread, never the GUI),
        then ``go``: another register's claim refuses the checkout with where and when, and the
        cashier stays at checkout; an unreachable hub lets it go on (claimed later by the push).
        No hub: ``go`` at once, as before."""
        if self.claimer is None:
            go(transaction_id, list(chosen))
        elif not self._claiming:  # Enter pressed again while the hub answers: one claim
            self._claiming = True
            self._ops.spawn(self._claim(self.claimer, transaction_id, list(chosen), still, go))

    async def _claim(self, claimer: Claimer, transaction_id: str, chosen: list[Discount], still: Callable[[], bool],
                     go: Callable[[str, list[Discount]], None]) -> None:
        try:
            with self._ops.showing(self.tr("Checking with the store hub…")):
                result = await claimer.claim(transaction_id, [d.id for d in chosen])
        finally:
            self._claiming = False
        if result.outcome.value == "held" and result.held_since is not None:
            log.info("checkout of transaction %s refused: another register holds a discount", transaction_id)
            held = next((d.name for d in chosen if result.held and d.id == result.held.discount_id), "")
            words = result.message(self._clock.local(result.held_since).tzinfo or UTC)
            self._line.say(Level.ERROR, self.tr("Not redeemed: {discount} is {words}. Nothing was sent; check the "
                                                "sale with a manager.").format(discount=held, words=words))
        elif not still():  # the cashier went back while the hub answered: the claims are given back
            await claimer.release(transaction_id, [d.id for d in chosen])
        else:
            go(transaction_id, chosen)

    async def redeem_all(self, transaction_id: str, chosen: Sequence[Discount], *, shopper_masked: str,
                         contact_id: str, approver: Actor | None = None) -> AsyncIterator[list[Outcome]]:
        """Journal, then send each chosen discount once; yields the outcomes so far as each one
        ends (all NOT_SENT at once, and nothing sent, when the journal cannot take them)."""
        try:
            # Journal before network: every chosen redemption is on disk before any PUT.
            # The same transaction forgets the sale in progress: never both, never neither.
            entries = self._applied.checkout(transaction_id, chosen, shopper_masked=shopper_masked,
                                             contact_id=contact_id, staff=self._acting(), approver=approver)
            self.applied = False
        except Exception:
            log.exception("could not journal transaction %s", transaction_id)
            why = self.tr("The terminal could not record this redemption, so it was not sent.")
            yield [Outcome(d, Status.NOT_SENT, why) for d in chosen]
            return
        outcomes: list[Outcome] = []
        async for outcome in self._send(transaction_id, chosen, entries):
            outcomes.append(outcome)
            yield list(outcomes)
        refused = [o.discount.id for o in outcomes if o.status is Status.REJECTED]
        if refused and self.claimer is not None:  # AIQ said no: other registers may redeem them
            await self.claimer.release(transaction_id, refused)
        self.after_checkout()

    async def _send(self, transaction_id: str, chosen: Sequence[Discount],
                   entries: Sequence[JournalEntry]) -> AsyncIterator[Outcome]:
        """Send each journaled row once, in order, yielding each outcome as it ends."""
        for index, (discount, entry) in enumerate(zip(chosen, entries, strict=False), start=1):
            self._ops.set_busy(self.tr("Redeeming {i} of {n} with AIQ…").format(i=index, n=len(chosen)))
            if entry.state is State.QUEUED:
                entry = await self._sender.redeem(entry)
            else:
                log.info("transaction %s discount %s was journaled already: not sent again",
                         transaction_id, entry.discount_id)
            outcome = entry.outcome()
            yield Outcome(discount, outcome.status, outcome.message, outcome.redemption_id)
