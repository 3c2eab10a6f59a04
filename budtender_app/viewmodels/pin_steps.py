"""The shopper's phone and PIN steps of the redemption flow: texting, resending, skipping.

A mixin of RedemptionViewModel (it uses the view model's state and plumbing: ``_go``, ``_say``,
``_set_busy``, ``_run_cancellable``, ``_journal``, ``_api``); kept apart so each file reads in one go.
"""

from __future__ import annotations

import logging

from budtender_app.domain import errors
from budtender_app.domain.flow import Event, Step
from budtender_app.domain.phone import Phone, PhoneError, parse_phone
from budtender_app.domain.pin import PinError, parse_pin
from budtender_app.domain.wallet import Wallet

log = logging.getLogger("budtender_app.viewmodels.redemption")

MAX_WRONG_PINS = 3
#: Seconds before "Resend PIN" works: carriers are slow, and each text costs the store.
RESEND_AFTER = 30


class PinSteps:
    """From the phone to an open wallet."""

    def submit_phone(self, text: str) -> None:
        """Enter on the phone: AIQ texts the shopper a PIN (E1). Nothing is sent for a bad phone."""
        if self.step is not Step.PHONE:
            return
        try:
            self.phone = parse_phone(text)
        except PhoneError as exc:
            self._say("error", str(exc))
            return
        self._go(Event.PHONE_SUBMITTED)
        if self.skip_pin:
            self._set_busy(self.tr("Opening the wallet of {phone} without a PIN…").format(phone=self.phone.masked))
            self._run_cancellable(self._open_without_pin(self.phone))
            return
        self._set_busy(self.tr("Texting a PIN to {phone}…").format(phone=self.phone.masked))
        self._run_cancellable(self._send_pin(self.phone))

    def resend_seconds_left(self) -> int:
        """Seconds until "Resend PIN" works (0: now)."""
        return max(0, int(self._resend_at - self._monotonic() + 0.999))

    def resend_pin(self) -> None:
        """Text a new PIN (the old one stops working). Does nothing during the countdown."""
        if self.step is not Step.PIN or self.phone is None or self.resend_seconds_left() or self.busy:
            return
        self._set_busy(self.tr("Texting a new PIN to {phone}…").format(phone=self.phone.masked))
        self._run_cancellable(self._resend_pin(self.phone))

    def skip_pin_by_manager(self, reason: str, manager: str) -> None:
        """A manager opens this shopper's wallet without a PIN for this sale (no phone with them).

        The manager PIN was checked by the caller; the reason and who go to the audit trail.
        """
        if self.step is not Step.PIN or self.phone is None:
            return
        reason, manager = " ".join(reason.split()), " ".join(manager.split())
        if not reason or not manager:
            self._say("error", self.tr("Type a reason and the manager's initials to skip the PIN."))
            return
        try:
            self._journal.record_event("pin_skipped", detail=(
                f"manager {manager[:40]} skipped the PIN for {self.phone.masked}: {reason[:200]}"))
        except Exception:
            log.exception("could not record the PIN skip")
            self._say("error", self.tr("The terminal could not record the skip, so the PIN is still needed."))
            return
        self.pin_skipped = self.tr("PIN skipped by manager {who}: {why}").format(who=manager[:40], why=reason[:200])
        self._go(Event.PIN_SUBMITTED)
        self._set_busy(self.tr("Opening the wallet without a PIN…"))
        self._run_cancellable(self._open_wallet(self.phone, None))

    def submit_pin(self, text: str) -> None:
        """Enter in the PIN popup: open the wallet with the PIN (E2)."""
        if self.step is not Step.PIN or self.phone is None:
            return
        try:
            pin = parse_pin(text)
        except PinError as exc:
            self._say("error", str(exc))
            return
        self._go(Event.PIN_SUBMITTED)
        self._set_busy(self.tr("Opening the wallet…"))
        self._run_cancellable(self._open_wallet(self.phone, pin))

    async def _send_pin(self, phone: Phone) -> None:
        try:
            await self._api.verify_wallet(phone)
        except errors.UnknownShopper as exc:
            self._go(Event.PIN_SEND_FAILED)
            self._say("error", str(exc) + " " + self.tr("Not a member yet? Press F3 to sign them up."))
            return
        except errors.AiqError as exc:
            self._go(Event.PIN_SEND_FAILED)
            self._say("error", str(exc))
            return
        finally:
            self._set_busy("")
        self._resend_at = self._monotonic() + RESEND_AFTER
        self.wrong_pins = 0  # a new PIN, a new count (after three misses too)
        self._go(Event.PIN_SENT)
        self._say("", "")  # the PIN popup says where the PIN went and what to do

    async def _resend_pin(self, phone: Phone) -> None:
        try:
            await self._api.verify_wallet(phone)
        except errors.AiqError as exc:
            self._say("error", str(exc))
            return
        finally:
            self._set_busy("")
        self._resend_at = self._monotonic() + RESEND_AFTER
        self.wrong_pins = 0  # a new PIN, a new count
        self._say("info", self.tr("A new PIN was texted to {phone}; the old one no longer works.").format(
            phone=phone.masked))

    async def _open_without_pin(self, phone: Phone) -> None:
        """The store's setting skips the PIN: E3 opens the wallet; the audit trail says so."""
        try:
            wallet = await self._api.wallet(phone)
        except errors.AiqError as exc:
            self._go(Event.PIN_SEND_FAILED)
            self._say("error", str(exc))
            return
        finally:
            self._set_busy("")
        try:
            self._journal.record_event("pin_skipped", detail=f"store setting; wallet of {phone.masked}")
        except Exception:
            log.exception("could not record the store-setting PIN skip")
        self.pin_skipped = self.tr("PIN skipped: this store's setting opens wallets without the texted PIN.")
        self._show_wallet(wallet, Event.PIN_SKIPPED)

    async def _open_wallet(self, phone: Phone, pin: str | None) -> None:
        try:
            wallet = await (self._api.view_wallet(phone, pin) if pin is not None else self._api.wallet(phone))
        except errors.WrongPin as exc:
            self.wrong_pins += 1
            if self.wrong_pins >= MAX_WRONG_PINS:
                self._go(Event.RESTART)
                self._say("error", self.tr(
                    "{n} wrong PINs. Check the phone number with the shopper and press Enter "
                    "to text a new PIN.").format(n=self.wrong_pins))
            else:
                self._go(Event.WALLET_FAILED)
                left = MAX_WRONG_PINS - self.wrong_pins
                self._say("error", str(exc) + " " + (self.tr("1 try left.") if left == 1 else self.tr("{n} tries left.").format(n=left)))
            return
        except errors.AiqError as exc:
            self._go(Event.WALLET_FAILED)
            self._say("error", str(exc))
            return
        finally:
            self._set_busy("")
        self._show_wallet(wallet, Event.WALLET_OPENED)

    def _show_wallet(self, wallet: Wallet, event: Event) -> None:
        self.wallet = wallet
        self.wrong_pins = 0
        self._refilter()
        self._go(event)
        notes = [self.pin_skipped] if self.pin_skipped else []
        if wallet.problems:
            notes.append(self.tr("Some discounts could not be read and are not offered: ") + "; ".join(wallet.problems))
        self._say("info" if notes else "", " ".join(notes))
