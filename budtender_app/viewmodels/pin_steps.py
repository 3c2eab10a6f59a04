"""The shopper's phone and PIN steps of the redemption flow: texting, resending, skipping.

An object the redemption view model holds (composition, not a mixin): it reads and writes the
sale only through ``PinHost`` and the two callables it is given, and runs its calls through the
view model's ``Operations``, so each file reads in one go and mypy checks what crosses between.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from budtender_app.domain import errors
from budtender_app.domain.actor import Acting, Actor, Approving
from budtender_app.domain.flow import KEEP_VERIFIED_FOR, Event, Step, still_verified
from budtender_app.domain.messages import Level
from budtender_app.domain.phone import Phone, PhoneError, parse_phone
from budtender_app.domain.pin import PinError, parse_pin
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.domain.wallet import Wallet
from budtender_app.viewmodels.operation import MessageLine, Operations

log = logging.getLogger("budtender_app.viewmodels.redemption")

MAX_WRONG_PINS = 3
#: Seconds before "Resend PIN" works: carriers are slow, and each text costs the store.
RESEND_AFTER = 30


class PinApi(Protocol):
    async def verify_wallet(self, phone: Phone) -> None: ...
    async def view_wallet(self, phone: Phone, pin: str) -> Wallet: ...
    async def wallet(self, phone: Phone) -> Wallet: ...


class EventLog(Protocol):
    def record_event(self, event: str, *, staff: Actor, approver: Actor | None = None, detail: str = "") -> None: ...


class PinHost(Protocol):
    """What the PIN steps read and write of the sale they belong to."""

    @property
    def step(self) -> Step: ...
    @property
    def skip_pin(self) -> bool: ...

    phone: Phone | None
    wallet: Wallet | None  # kept at the phone step for a moment after Esc in the wallet
    pin_skipped: str  # why the PIN was skipped for this shopper ("" when it was not)
    pin_approver: Actor | None  # the manager who skipped it, if one did
    acting: Acting  # who works the counter now: the PIN skips are theirs
    approving: Approving | None  # with staff sign-in: the manager who approved (None: typed initials)

    @property
    def sale_applied(self) -> bool: ...
    @property
    def shopper_masked(self) -> str: ...

    def forget_shopper(self) -> None:
        """Another phone is typed at the phone step: the shopper kept there is forgotten."""


class PinSteps(QObject):
    """From the phone to an open wallet.

    ``go(event)`` moves the sale's step; ``take_wallet(wallet)`` gives the host the opened wallet
    (it re-filters the offers and returns a line for each chosen discount it dropped) before the
    step moves to the wallet. No PIN is texted twice in a row within ``RESEND_AFTER`` to the same
    phone without asking first (``texted_pin_offered``), and a shopper who stepped back from the
    wallet a moment ago (flow.KEEP_VERIFIED_FOR) gets the same wallet back with no new PIN.
    """

    #: "A PIN was texted 20 s ago: use that one?" (answered by use_texted_pin / text_new_pin)
    texted_pin_offered = Signal(str)
    #: AIQ has no member with this phone: the phone page offers "Sign up this shopper (F3)" (masked phone)
    signup_offered = Signal(str)

    def __init__(self, host: PinHost, api: PinApi, journal: EventLog, ops: Operations, line: MessageLine, *,
                 go: Callable[[Event], None], take_wallet: Callable[[Wallet], list[str]],
                 monotonic: Callable[[], float], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self._api = api
        self._journal = journal
        self._ops = ops
        self._line = line
        self._go = go
        self._take_wallet = take_wallet
        self._monotonic = monotonic
        self._resend_at = 0.0
        self.wrong_pins = 0
        self._texted: Phone | None = None  # where the last PIN went, while it may still be typed
        self._texted_at = 0.0
        self._left_wallet_at: float | None = None  # Esc in the wallet (flow.still_verified)

    # -- what the cashier does ---------------------------------------------------------------

    def submit_phone(self, text: str) -> None:
        """Enter on the phone: AIQ texts the shopper a PIN (E1). Nothing is sent for a bad phone;
        the shopper verified a moment ago gets their wallet back, and a PIN texted a moment ago
        to this phone is offered again instead of a new text."""
        if self._host.step is not Step.PHONE:
            return
        try:
            phone = parse_phone(text)
        except PhoneError as exc:
            self._line.say(Level.ERROR, str(exc))
            return
        if self._host.wallet is not None:  # the shopper stepped back from the wallet (Esc)
            if phone == self._host.phone and still_verified(self._left_wallet_at, self._monotonic()):
                self._reopen_wallet(self._host.wallet)
                return
            if not self._release_shopper(phone):
                return
        self._host.phone = phone
        if phone == self._texted and self.resend_seconds_left():
            ago = max(0, int(self._monotonic() - self._texted_at))
            self.texted_pin_offered.emit(self.tr("A PIN was texted {s} s ago: use that one?").format(s=ago))
            return
        self._send_pin(phone)

    def use_texted_pin(self) -> None:
        """"Use that one": back to the PIN popup for the PIN texted a moment ago; nothing is sent."""
        if self._host.step is not Step.PHONE or self._texted is None or self._texted != self._host.phone:
            return
        self._go(Event.REOPEN_PIN)
        self._line.say(Level.INFO, self.tr("No new PIN was texted: type the one the shopper already has."))

    def text_new_pin(self) -> None:
        """"Text a new PIN" instead of using the one texted a moment ago: once the countdown allows."""
        phone = self._host.phone
        if self._host.step is not Step.PHONE or phone is None:
            return
        if self.resend_seconds_left():
            self._line.say(Level.INFO, self.tr("A new PIN can be texted in {s} s; the one texted already still "
                                               "works.").format(s=self.resend_seconds_left()))
            return
        self._send_pin(phone)

    def left_wallet(self) -> None:
        """Esc in the wallet: the shopper stays verified for a moment (flow.KEEP_VERIFIED_FOR)."""
        self._left_wallet_at = self._monotonic()

    def forget_wallet(self) -> None:
        """The kept shopper is gone (cancelled, a new sale): their wallet needs a PIN again."""
        self._left_wallet_at = None

    def kept_note(self) -> str:
        """What the phone step says while the shopper who left the wallet is kept."""
        phone = self._host.phone
        return self.tr("Back at the phone. Enter re-opens the wallet of {phone} with no new PIN (within "
                       "{minutes} minutes); Shift+Esc cancels the redemption.").format(
                           phone=phone.masked if phone else "", minutes=int(KEEP_VERIFIED_FOR // 60))

    def _release_shopper(self, phone: Phone) -> bool:
        """Another phone than the kept shopper's (or theirs, no longer fresh): the kept shopper is
        forgotten, unless their discounts are applied in the POS (refused: cancel that first)."""
        if phone != self._host.phone:
            if self._host.sale_applied:
                self._line.say(Level.ERROR, self.tr(
                    "The discounts of {phone} are applied in the POS. Type their number to go back to their "
                    "wallet, or cancel the redemption first (Shift+Esc).").format(phone=self._host.shopper_masked))
                return False
            self._host.forget_shopper()
        # else the same shopper, only needing a new PIN: their choice stays
        self._left_wallet_at = None
        return True

    def _send_pin(self, phone: Phone) -> None:
        self._host.pin_skipped, self._host.pin_approver = "", None  # a new PIN: a skip of before does not carry over
        self._go(Event.PHONE_SUBMITTED)
        if self._host.skip_pin:
            self._ops.start(lambda: self._api.wallet(phone), success=lambda w: self._opened_without_pin(phone, w),
                            failure=self._pin_not_sent,
                            busy=self.tr("Opening the wallet of {phone} without a PIN…").format(phone=phone.masked))
            return
        self._ops.start(lambda: self._api.verify_wallet(phone), success=self._pin_sent, failure=self._pin_not_sent,
                        busy=self.tr("Texting a PIN to {phone}…").format(phone=phone.masked))

    def open_for_new_member(self, phone: Phone, wallet: Wallet) -> None:
        """The shopper just signed up at this counter (consent given there): their new wallet, opened
        by the sign-up without a PIN, continues into this sale. The caller (continue_sale.py) gives
        only the wallet of the phone signed up just now, never an existing member's."""
        if self._host.step is not Step.PHONE:
            return
        if self._host.wallet is not None and phone != self._host.phone and not self._release_shopper(phone):
            return
        try:
            self._journal.record_event("pin_skipped", staff=self._host.acting(),
                                       detail=f"new member signed up at the counter; wallet of {phone.masked}")
        except Exception:
            log.exception("could not record the new member's PIN skip")
            self._line.say(Level.ERROR, self.tr("The terminal could not record the sign-up, so the PIN is still "
                                                "needed: press Enter to text one."))
            return
        log.info("wallet of %s continues into the sale without a PIN: signed up just now", phone.masked)
        self._host.phone = phone
        self._host.pin_skipped = self.tr("No PIN: {phone} just signed up at this counter.").format(
            phone=phone.masked)
        self._go(Event.PHONE_SUBMITTED)
        self._show_wallet(wallet, Event.PIN_SKIPPED)

    def _reopen_wallet(self, wallet: Wallet) -> None:
        self._left_wallet_at = None
        dropped = self._take_wallet(wallet)
        self._go(Event.REOPEN_WALLET)
        self._line.say(Level.INFO, " ".join([self.tr("Wallet re-opened with no new PIN."), *dropped]))

    def resend_seconds_left(self) -> int:
        """Seconds until "Resend PIN" works (0: now)."""
        return max(0, int(self._resend_at - self._monotonic() + 0.999))

    def resend_pin(self) -> None:
        """Text a new PIN (the old one stops working). Does nothing during the countdown."""
        phone = self._host.phone
        if self._host.step is not Step.PIN or phone is None or self.resend_seconds_left() or self._ops.busy:
            return
        self._ops.start(lambda: self._api.verify_wallet(phone), success=lambda _: self._pin_resent(phone),
                        busy=self.tr("Texting a new PIN to {phone}…").format(phone=phone.masked))

    def skip_pin_by_manager(self, reason: str, manager: str = "") -> None:
        """A manager opens this shopper's wallet without a PIN for this sale (no phone with them).

        With staff sign-in the manager who approved (their own passcode, or signed in) is asked of
        ``approving`` and ``manager`` is not read; none approved: refused, nothing recorded. Without
        sign-in the caller checked the manager PIN and ``manager`` is the initials typed. The reason
        and who go to the audit trail, and onto the sale's redemption rows.
        """
        phone = self._host.phone
        if self._host.step is not Step.PIN or phone is None:
            return
        reason = " ".join(reason.split())
        approving = self._host.approving
        approver = approving() if approving is not None else Actor.typed(manager) if manager.strip() else None
        if approver is None and approving is not None:
            self._line.say(Level.ERROR, self.tr(NEEDS_MANAGER))
            return
        if not reason or approver is None:
            self._line.say(Level.ERROR, self.tr("Type a reason and the manager's initials to skip the PIN."))
            return
        manager = approver.name
        try:
            self._journal.record_event("pin_skipped", staff=self._host.acting(), approver=approver,
                                       detail=f"manager {manager[:40]} skipped the PIN for {phone.masked}: "
                                              f"{reason[:200]}")
        except Exception:
            log.exception("could not record the PIN skip")
            self._line.say(Level.ERROR, self.tr("The terminal could not record the skip, so the PIN is still needed."))
            return
        self._host.pin_skipped = self.tr("PIN skipped by manager {who}: {why}").format(
            who=manager[:40], why=reason[:200])
        self._host.pin_approver = approver
        self._go(Event.PIN_SUBMITTED)
        self._ops.start(lambda: self._api.wallet(phone), success=self._opened, failure=self._wallet_refused,
                        busy=self.tr("Opening the wallet without a PIN…"))

    def submit_pin(self, text: str) -> None:
        """Enter in the PIN popup: open the wallet with the PIN (E2)."""
        phone = self._host.phone
        if self._host.step is not Step.PIN or phone is None:
            return
        try:
            pin = parse_pin(text)
        except PinError as exc:
            self._line.say(Level.ERROR, str(exc))
            return
        self._go(Event.PIN_SUBMITTED)
        self._ops.start(lambda: self._api.view_wallet(phone, pin), success=self._opened, failure=self._wallet_refused,
                        busy=self.tr("Opening the wallet…"))

    # -- AIQ's answers -----------------------------------------------------------------------

    def _pin_not_sent(self, exc: errors.AiqError) -> None:
        self._go(Event.PIN_SEND_FAILED)
        if isinstance(exc, errors.UnknownShopper):  # not an error at the counter: an offer to sign them up
            phone = self._host.phone
            self._line.say(Level.INFO, str(exc) + " " + self.tr("Not a member yet? Press F3 to sign them up."))
            self.signup_offered.emit(phone.masked if phone else "")
        else:
            self._line.say(Level.ERROR, str(exc))

    def _pin_sent(self, _: None) -> None:
        self._texted, self._texted_at = self._host.phone, self._monotonic()
        self._resend_at = self._texted_at + RESEND_AFTER
        self.wrong_pins = 0  # a new PIN, a new count (after three misses too)
        self._go(Event.PIN_SENT)
        self._line.clear()  # the PIN popup says where the PIN went and what to do

    def _pin_resent(self, phone: Phone) -> None:
        self._texted, self._texted_at = phone, self._monotonic()
        self._resend_at = self._texted_at + RESEND_AFTER
        self.wrong_pins = 0  # a new PIN, a new count
        self._line.say(Level.INFO, self.tr("A new PIN was texted to {phone}; the old one no longer works.").format(
            phone=phone.masked))

    def _opened_without_pin(self, phone: Phone, wallet: Wallet) -> None:
        """The store's setting skips the PIN: E3 opened the wallet; the audit trail says so."""
        try:
            self._journal.record_event("pin_skipped", staff=self._host.acting(),
                                       detail=f"store setting; wallet of {phone.masked}")
        except Exception:
            log.exception("could not record the store-setting PIN skip")
        self._host.pin_skipped = self.tr("PIN skipped: this store's setting opens wallets without the texted PIN.")
        self._show_wallet(wallet, Event.PIN_SKIPPED)

    def _wallet_refused(self, exc: errors.AiqError) -> None:
        if not isinstance(exc, errors.WrongPin):
            self._go(Event.WALLET_FAILED)
            self._line.say(Level.ERROR, str(exc))
            return
        self.wrong_pins += 1
        if self.wrong_pins >= MAX_WRONG_PINS:
            self._texted = None  # that PIN is spent: Enter on the phone texts a new one
            self._go(Event.RESTART)
            self._line.say(Level.ERROR, self.tr(
                "{n} wrong PINs. Check the phone number with the shopper and press Enter "
                "to text a new PIN.").format(n=self.wrong_pins))
            return
        self._go(Event.WALLET_FAILED)
        left = MAX_WRONG_PINS - self.wrong_pins
        tries = self.tr("1 try left.") if left == 1 else self.tr("{n} tries left.").format(n=left)
        self._line.say(Level.ERROR, str(exc) + " " + tries)

    def _opened(self, wallet: Wallet) -> None:
        self._show_wallet(wallet, Event.WALLET_OPENED)

    def _show_wallet(self, wallet: Wallet, event: Event) -> None:
        self.wrong_pins = 0
        self._texted, self._left_wallet_at = None, None  # the PIN did its work
        dropped = self._take_wallet(wallet)
        self._go(event)
        skipped = self._host.pin_skipped
        notes = ([skipped] if skipped else []) + dropped
        if wallet.problems:
            notes.append(self.tr("Some discounts could not be read and are not offered: ") + "; ".join(wallet.problems))
        self._line.say(Level.INFO if notes else Level.CLEAR, " ".join(notes))
