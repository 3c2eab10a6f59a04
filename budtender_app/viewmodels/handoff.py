"""The counter's side of a hand-off from the POS (issue 14): fill in, never act.

``take(handoff)`` is what the local socket (and ``MainWindow.take_handoff``) calls. It only fills
in: the cart total (the window's cart field shows it, ``total_filled``), the transaction ID kept
for the checkout popup (``transaction``), the POS discount IDs to preselect when the wallet opens
(AIQ's Model B: the reward a shopper chose online) and, from the socket only, the shopper's phone
for the phone field once the cashier presses F2 (``take_phone``). It never texts a PIN, opens a
wallet or redeems: the cashier still presses F2, Enter and F9 as for a typed sale.

A hand-off is refused, saying why, while a sale is under way (from F2 on, or a sale applied in
the POS, or a finished sale's outcome still on screen): it never silently replaces one. At the
cart step it replaces what was typed, and says so. A total or transaction ID that fails the
usual rules, or the store's transaction ID shape, is refused with their words and changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from budtender_app.domain.flow import Step
from budtender_app.domain.handoff import Handoff, HandoffError, from_fields
from budtender_app.domain.messages import Level
from budtender_app.domain.money import format_money
from budtender_app.domain.wallet import Wallet
from budtender_app.viewmodels.operation import MessageLine
from budtender_app.viewmodels.selection import Selection

if TYPE_CHECKING:  # the view model holds this one
    from budtender_app.viewmodels.redemption import RedemptionViewModel

log = logging.getLogger(__name__)

#: Steps of a sale under way, and what the cashier does to end it (after "Finish or cancel … first: ").
UNDER_WAY = {
    Step.PHONE: "a redemption for a shopper is under way (Esc goes back to the cart total)",
    Step.SENDING_PIN: "a PIN is being texted to a shopper",
    Step.PIN: "a shopper's PIN is being asked",
    Step.OPENING_WALLET: "a shopper's wallet is opening",
    Step.WALLET: "a shopper's wallet is open; apply the selection or Cancel redemption",
    Step.APPLY_IN_POS: "discounts are applied in the POS; press F9 once that sale is paid, or Cancel redemption",
    Step.CHECKOUT: "checkout is under way",
    Step.REDEEMING: "AIQ is redeeming the last sale",
    Step.DONE: "the last sale's outcome is on screen; press Enter for a new sale, then hand the sale over again",
}


class HandoffIntake(QObject):
    """What the POS handed over for this sale, filled in and kept until a new sale."""

    total_filled = Signal(str)  # "42.50": the cart field shows it (the view model read it already)

    def __init__(self, host: RedemptionViewModel, selection: Selection, line: MessageLine,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self._selection = selection
        self._line = line
        #: The handed-off POS transaction ID: the checkout popup opens with it (the cashier still confirms).
        self.transaction = ""
        self.discounts: tuple[str, ...] = ()  # POS discount IDs to preselect when the wallet opens
        self._phone = ""  # from the socket only; never logged, shown only in the phone field
        self._preselected_for: str | None = None  # the wallet (contact) the discounts were offered to
        self._step = host.step
        host.step_changed.connect(self._on_step_changed)

    def take(self, handoff: Handoff) -> tuple[bool, str]:
        """Fill in what the POS handed over: (True, what was filled in) or (False, why not), said too."""
        if handoff.raise_only:
            return True, ""
        refused = self._refusal(handoff)
        if refused:
            log.info("hand-off refused at %s", self._host.step.name)
            self._line.say(Level.WARNING, refused)
            return False, refused
        replaced = self._replaced(handoff)
        total = handoff.total
        assert total is not None  # _refusal refuses a hand-off without one
        self.transaction, self.discounts, self._phone = handoff.transaction, handoff.discounts, handoff.phone
        self._preselected_for = None
        self._host.set_cart_text(f"{total:.2f}")
        self._host.finish_cart_edit()
        self.total_filled.emit(f"{total:.2f}")
        log.info("hand-off taken: cart total %s, %s, %d POS discount ID(s)%s", total,
                 f"transaction {handoff.transaction}" if handoff.transaction else "no transaction",
                 len(handoff.discounts), ", a phone for F2" if handoff.phone else "")
        text = self._filled_text(handoff, replaced)
        self._line.say(Level.INFO, text)
        return True, text

    def take_phone(self) -> str:
        """The phone the POS sent over the socket, once, for the phone field at F2 ("" when none)."""
        phone, self._phone = self._phone, ""
        return phone

    def forget(self) -> str:
        """The redemption was given up (Cancel redemption): what the POS handed over was that sale's,
        never the next one's (its transaction ID, its online order's reward). A sentence when it held any."""
        held = bool(self.transaction or self.discounts or self._phone)
        self.transaction, self.discounts, self._phone, self._preselected_for = "", (), "", None
        if not held:
            return ""
        log.info("hand-off forgotten")
        return " " + self.tr("What the POS handed over is forgotten: hand the sale over again to redeem for it.")

    def preselect(self, wallet: Wallet, balance: int | None) -> list[str]:
        """The wallet opened: select each handed-off POS discount ID this sale can take, by the
        cashier's own rules (Space), and a line for each: selected, not offered, or why not."""
        if not self.discounts or self._preselected_for == wallet.contact_id:
            return []  # once per shopper: a re-opened wallet keeps what the cashier chose since
        self._preselected_for = wallet.contact_id
        lines = [self._preselect_one(pos_id, balance) for pos_id in self.discounts]
        self._host.offers_changed.emit()
        return lines

    # -- the parts -------------------------------------------------------------------------------

    def _refusal(self, handoff: Handoff) -> str:
        """Why this hand-off cannot be taken now ("" when it can)."""
        host = self._host
        if host.step is not Step.CART or host.sale_applied:
            why = UNDER_WAY.get(host.step, UNDER_WAY[Step.APPLY_IN_POS])
            return self.tr("Finish or cancel the current sale first: {why}. The hand-off changed nothing.").format(
                why=why)
        if handoff.total is None:
            return self.tr("A hand-off needs the cart total.")
        try:  # the usual rules again: a Handoff built by hand is checked as a typed one
            from_fields(str(handoff.total), handoff.transaction, handoff.discounts, handoff.phone)
        except HandoffError as exc:
            return str(exc)
        return host.transaction_ids.problem(handoff.transaction) if handoff.transaction else ""

    def _replaced(self, handoff: Handoff) -> list[str]:
        """What this hand-off replaces at the cart step, in words."""
        replaced = []
        before = self._host.cart_total
        if before is not None and before != handoff.total:
            replaced.append(self.tr("the {total} typed").format(total=format_money(before)))
        if self.transaction and self.transaction != handoff.transaction:
            replaced.append(self.tr("transaction {txid}").format(txid=self.transaction))
        return replaced

    def _filled_text(self, handoff: Handoff, replaced: list[str]) -> str:
        assert handoff.total is not None
        parts = [self.tr("Cart total {total} filled in").format(total=format_money(handoff.total))]
        if handoff.transaction:
            parts.append(self.tr("transaction {txid} kept for checkout").format(txid=handoff.transaction))
        if handoff.discounts:
            parts.append(self.tr("{ids} to preselect when the wallet opens").format(ids=", ".join(handoff.discounts)))
        if handoff.phone:
            parts.append(self.tr("the shopper's phone fills in at F2"))
        text = "; ".join(parts)
        if replaced:
            text += self.tr(" (replacing {what})").format(what=" and ".join(replaced))
        return text

    def _preselect_one(self, pos_id: str, balance: int | None) -> str:
        offers = [o for o in self._selection.offers if o.discount.pos_discount_id == pos_id]
        if not offers:
            return self.tr("{pos_id} (from the POS) is not offered to this shopper.").format(pos_id=pos_id)
        chosen = [o for o in offers if o.discount.id in self._selection.selected_ids]
        offer = chosen[0] if chosen else next((o for o in offers if o.usable), offers[0])
        name = offer.discount.name
        if chosen:
            return self.tr("{name} ({pos_id}, from the POS) is selected.").format(name=name, pos_id=pos_id)
        refused = self._selection.toggle(offer.discount.id, balance)
        if refused is None:  # no cart total that reads: nothing can be chosen yet
            refused = self.tr("type a valid cart total first.")
        if refused:
            return self.tr("{pos_id} (from the POS) was not selected: {why}").format(pos_id=pos_id, why=refused)
        return self.tr("Selected {name} ({pos_id}), as the POS asked.").format(name=name, pos_id=pos_id)

    def _on_step_changed(self, step: Step) -> None:
        if self._step is Step.DONE and step is Step.CART:  # a new sale: the last one's hand-off is done with
            self.forget()
        self._step = step
