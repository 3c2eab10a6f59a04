""""Redeem for this shopper" from the loyalty dialog (F3): the counter's sale goes on for that phone.

A shopper AIQ created as a new member in that dialog just now continues with the wallet the
sign-up opened: no second PIN, since they gave their consent at the counter a moment ago (the
PIN steps write that to the journal's audit trail). Anyone else, an existing member included,
gets the texted PIN as always. Nothing here sends a redemption: those still wait for checkout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from budtender_app.domain.flow import Step
from budtender_app.domain.phone import Phone
from budtender_app.domain.wallet import Wallet

if TYPE_CHECKING:  # the sale is passed in; only its type is needed here
    from budtender_app.viewmodels.redemption import RedemptionViewModel


def phone_text(phone: Phone) -> str:
    """The phone as the cashier types it: (555) 123-4567."""
    d = phone.digits
    return f"({d[:3]}) {d[3:6]}-{d[6:]}"


class ContinueSale(QObject):
    """Takes "Redeem for this shopper" into the sale, now or once the cart total is typed and F2 pressed."""

    #: The sale goes on for this phone (as typed, for the phone field): the screen shows it there.
    continued = Signal(str)

    def __init__(self, sale: RedemptionViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sale = sale
        #: Asked for before the cart total was typed: (phone, the new member's wallet or None).
        self._waiting: tuple[Phone, Wallet | None] | None = None
        sale.step_changed.connect(self._on_sale_step_changed)

    def redeem_for(self, phone: Phone, new_member_wallet: Wallet | None) -> str:
        """Go on with the sale for ``phone``: "" when it did, else what the cashier must do first.

        ``new_member_wallet`` is LoyaltyViewModel.new_member_wallet(phone): not None only for the
        phone AIQ created as a member in the dialog just now.
        """
        sale = self._sale
        self._waiting = None
        if sale.step is Step.DONE:
            sale.new_sale()
        if sale.step is Step.CART:
            if not sale.cart_total:  # None or $0.00: the sale needs its total before any PIN or wallet
                self._waiting = (phone, new_member_wallet)
                return self.tr("Type the cart total first, then press F2: the sale goes on for {phone}.").format(
                    phone=phone.masked)
            sale.start()
        if sale.step is not Step.PHONE:
            return self.tr("Finish or cancel this redemption first.")
        self._go_on(phone, new_member_wallet)
        return ""

    def _go_on(self, phone: Phone, new_member_wallet: Wallet | None) -> None:
        self.continued.emit(phone_text(phone))
        if new_member_wallet is not None:
            self._sale.open_for_new_member(phone, new_member_wallet)
        else:
            self._sale.submit_phone(phone.digits)  # a member already: the texted PIN, as always

    def _on_sale_step_changed(self, step: Step) -> None:
        if self._waiting is None:
            return
        if step is Step.PHONE:
            # After F2's own redraw (it clears the message and the phone field), not inside it.
            QTimer.singleShot(0, self._go_on_waiting)
        elif step is not Step.CART:
            self._waiting = None  # the sale went elsewhere (a sale resumed at start): nothing carries over

    def _go_on_waiting(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None and self._sale.step is Step.PHONE and self._sale.phone is None:
            self._go_on(*waiting)
