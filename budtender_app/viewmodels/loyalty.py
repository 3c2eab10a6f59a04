"""Loyalty status and sign-up at the counter, as a QObject: state, signals and the async calls.

Status is AIQ's lookup (E6, E7 as its fallback): no PIN is texted. Sign-up needs the shopper's
consent first, checks the form before anything is sent, asks AIQ again whether the phone is a
member (it may have become one since the status check: then no second member is created, and
their wallet does not open here, since an existing member's points need their texted PIN),
writes the consent down locally, creates the member (E5) and opens the new wallet without a PIN
(E3) so the cashier can show the welcome gift.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from budtender_app.domain import errors
from budtender_app.domain.actor import Acting, acting_counter
from budtender_app.domain.consent import ConsentError, CounterInfo, consent_hash, consent_text, validate_sign_up
from budtender_app.domain.loyalty import LoyaltyStatus, SignUp
from budtender_app.domain.messages import Level
from budtender_app.domain.phone import Phone, PhoneError, parse_phone
from budtender_app.domain.wallet import Wallet
from budtender_app.services.consent_log import ConsentLog, ConsentLogError
from budtender_app.viewmodels.operation import BusyText, MessageLine, MessageText, Operations

log = logging.getLogger(__name__)


class LoyaltyApi(Protocol):
    async def loyalty_status(self, phone: Phone) -> LoyaltyStatus: ...
    async def sign_up(self, signup: SignUp) -> str: ...
    async def wallet(self, phone: Phone) -> Wallet: ...


class LoyaltyViewModel(QObject):
    """One counter's "Loyalty status / Sign up". Actions return None (see RedemptionViewModel)."""

    status_changed = Signal(str)  # the one-line answer; "" when there is none
    message_changed = Signal(str, str)  # (Level, text)
    busy_changed = Signal(str)  # what is in flight; "" when nothing
    field_errors_changed = Signal(object)  # {"phone" | "email" | "first_name" | "last_name": message}
    signed_up = Signal(object)  # the new member's Wallet, opened without a PIN
    busy = BusyText()  # what is in flight, in words; "" when nothing is
    message = MessageText()  # (Level, text) the screen shows now

    def __init__(self, api: LoyaltyApi, consent_log: ConsentLog, where: CounterInfo,
                 parent: QObject | None = None, *, acting: Acting = acting_counter) -> None:
        super().__init__(parent)
        self._acting = acting  # who takes the consent: on its record (issue 13)
        self._api = api
        self._log = consent_log
        self.where = where
        try:
            self.consent_text = consent_text(where.brand, where.country)
            self.consent_problem = ""
        except ConsentError as exc:
            self.consent_text, self.consent_problem = "", str(exc)
        self.status: LoyaltyStatus | None = None
        self.status_phone: Phone | None = None
        self.status_text = ""
        self.wallet: Wallet | None = None
        #: After signed_up: True (only a member AIQ created just now gets a wallet without a PIN).
        self.new_member = False
        #: The phone AIQ created a member for in this dialog, and that new wallet (continue_sale.py).
        self._created: tuple[Phone, Wallet] | None = None
        self.signing_up = False
        self.field_errors: dict[str, str] = {}
        self._line = MessageLine(self.message_changed.emit, only_changes=True)
        self._ops = Operations(self.busy_changed.emit, self._line, on_crash=self._crashed, only_changes=True)

    @property
    def consent_hash(self) -> str:
        """The hash of the consent text read to the shopper (what the consent record keeps)."""
        return consent_hash(self.consent_text) if self.consent_text else ""

    @staticmethod
    def phone_problem(text: str) -> str:
        """What is wrong with a typed phone ("" when AIQ would take it)."""
        try:
            parse_phone(text)
        except PhoneError as exc:
            return str(exc)
        return ""

    def new_member_wallet(self, phone: Phone) -> Wallet | None:
        """The wallet of ``phone`` if AIQ created it as a new member in this dialog just now, else None.

        Only that wallet may continue into the sale without a PIN (the shopper gave consent at the
        counter); an existing member, even one "signed up" again, still needs the texted PIN.
        """
        if self._created is None or self._created[0] != phone:
            return None
        return self._created[1]

    def can_sign_up(self, phone_text: str, consent_given: bool) -> bool:
        """Whether "Sign up" may be pressed: consent ticked, a valid phone, nothing in flight."""
        return bool(consent_given and self.consent_text and not self.busy and not self.phone_problem(phone_text))

    # -- actions (widgets start them; tests await the coroutines) -----------------------------

    def start_check_status(self, phone_text: str) -> None:
        """Enter on the phone: a new lookup replaces one still in flight."""
        self._ops.replace(self.check_status(phone_text))

    def start_sign_up(self, phone_text: str, email: str, first_name: str, last_name: str,
                      sms_opt_in: bool, email_opt_in: bool, consent_given: bool) -> None:
        """The "Sign up" button: ``sign_up`` in the background (once at a time)."""
        if self.signing_up:
            return
        self._ops.spawn(self.sign_up(phone_text, email, first_name, last_name, sms_opt_in, email_opt_in, consent_given))

    def cancel(self) -> None:
        """Esc: stop a status lookup. A sign-up in flight is not stopped (it may have reached AIQ)."""
        self._ops.cancel_replaceable()

    async def wait_idle(self) -> None:
        """Until nothing is in flight (tests, and closing the dialog)."""
        await self._ops.wait_idle()

    async def check_status(self, phone_text: str) -> None:
        """Member or not, in one line. No PIN is texted."""
        phone = self._parse_phone(phone_text)
        if phone is None:
            return
        self._line.clear()
        await self._ops.query(lambda: self._api.loyalty_status(phone), success=lambda s: self._show_status(phone, s),
                              failure=self._status_unknown,
                              busy=self.tr("Asking AIQ about {phone}…").format(phone=phone.masked))

    def _show_status(self, phone: Phone, status: LoyaltyStatus) -> None:
        if status.member:
            line = self.tr("{phone} is a loyalty member").format(phone=phone.masked)
        else:
            line = self.tr("{phone} is not a member yet: sign them up?").format(phone=phone.masked)
        self._set_status(status, phone, line)

    def _status_unknown(self, exc: errors.AiqError) -> None:
        self._line.say(Level.ERROR, _words(exc))
        self._set_status(None, None, "")

    async def sign_up(self, phone_text: str, email: str, first_name: str, last_name: str,
                      sms_opt_in: bool, email_opt_in: bool, consent_given: bool) -> None:
        """Sign the shopper up (E5) and open their wallet without a PIN (E3).

        Nothing is sent without consent or with a form AIQ would store wrongly.
        """
        if self.signing_up:
            return
        if self.consent_problem:
            self._line.say(Level.ERROR, self.consent_problem)
            return
        if not consent_given:
            self._line.say(Level.ERROR, self.tr("Read the consent text to the shopper and tick \"The shopper agrees\" "
                                                "first. Nothing was sent."))
            return
        signup, problems = validate_sign_up(phone_text, email, first_name, last_name, sms_opt_in=sms_opt_in,
                                            email_opt_in=email_opt_in, where=self.where)
        self._set_field_errors(problems)
        if signup is None:
            first = next(iter(problems.values()))
            self._line.say(Level.ERROR, self.tr("Nothing was sent: fix what is marked. ") + first)
            return
        self.cancel()
        self.signing_up = True
        try:
            await self._sign_up(signup)
        finally:
            self.signing_up = False
            self._ops.set_busy("")
        phone = self.status_phone
        if self.status is not None and self.status.member and phone and self.new_member_wallet(phone) is None:
            self.status_changed.emit(self.status_text)  # a member already: the screen offers Redeem, not the form

    # -- the steps of a sign-up ----------------------------------------------------------------

    async def _sign_up(self, signup: SignUp) -> None:
        phone = signup.phone
        self._line.clear()
        self._ops.set_busy(self.tr("Checking whether {phone} is already a member…").format(phone=phone.masked))
        try:
            status = await self._api.loyalty_status(phone)
        except errors.AiqError as exc:
            self._line.say(Level.ERROR, _words(exc) + self.tr(" Nothing was signed up."))
            return
        if status.member:  # a member already, perhaps since the status check: no duplicate, and no wallet
            # without their PIN: typing a member's phone into the sign-up form must not open their points.
            self._set_status(status, phone, self.tr("{phone} is already a loyalty member").format(phone=phone.masked))
            self._line.say(Level.INFO, self.tr("{phone} is already a member, so no new sign-up was sent. Redeem for "
                                               "this shopper texts them a PIN, as always.").format(phone=phone.masked))
            return
        try:
            consent_id = await asyncio.to_thread(
                self._log.record_consent, self.consent_text, where=self.where, phone=phone,
                sms_opt_in=signup.sms_opt_in, email_opt_in=signup.email_opt_in, email_given=bool(signup.email),
                staff=self._acting())
        except ConsentLogError as exc:
            log.error("consent not recorded: %s", exc)  # noqa: TRY400 - the reason is enough: not a bug
            self._line.say(Level.ERROR, self.tr("The terminal could not write the consent down, so nothing was sent. "
                                                "Ask a manager."))
            return
        self._ops.set_busy(self.tr("Signing up {phone} with AIQ…").format(phone=phone.masked))
        try:
            contact_id = await self._api.sign_up(signup)
        except errors.AiqError as exc:
            self._line.say(Level.ERROR, _words(exc))
            return
        try:
            await asyncio.to_thread(self._log.record_sign_up, consent_id, contact_id)
        except ConsentLogError as exc:  # the member exists; the consent itself is on disk
            log.error("sign-up of consent %s not recorded: %s", consent_id, exc)  # noqa: TRY400 - as above
        self._set_status(LoyaltyStatus(True, contact_id), phone,
                         self.tr("{phone} is now a loyalty member").format(phone=phone.masked))
        await self._open_new_wallet(phone)

    async def _open_new_wallet(self, phone: Phone) -> None:
        """The wallet of the member AIQ created just now: the only one opened without a PIN."""
        self._ops.set_busy(self.tr("Opening the wallet…"))
        try:
            wallet = await self._api.wallet(phone)
        except errors.AiqError as exc:
            self._line.say(Level.ERROR, self.tr("Signed up {phone}.").format(phone=phone.masked) + " "
                           + self.tr("Their wallet did not open: ") + _words(exc))
            return
        self.wallet, self.new_member = wallet, True
        self._created = (phone, wallet)
        self._line.say(Level.INFO, self.tr("Signed up {phone}. Their wallet opened without a PIN: show them the "
                                           "welcome gift.").format(phone=phone.masked))
        self.signed_up.emit(wallet)

    # -- plumbing ------------------------------------------------------------------------------

    def _parse_phone(self, text: str) -> Phone | None:
        try:
            phone = parse_phone(text)
        except PhoneError as exc:
            self._set_field_errors({"phone": str(exc)})
            self._line.say(Level.ERROR, str(exc))
            self._set_status(None, None, "")
            return None
        self._set_field_errors({})
        return phone

    def _set_status(self, status: LoyaltyStatus | None, phone: Phone | None, line: str) -> None:
        self.status, self.status_phone = status, phone
        if line != self.status_text:
            self.status_text = line
        self.status_changed.emit(line)

    def _set_field_errors(self, problems: dict[str, str]) -> None:
        if problems != self.field_errors:
            self.field_errors = dict(problems)
            self.field_errors_changed.emit(dict(problems))

    def _crashed(self, exc: BaseException) -> None:
        log.error("unexpected failure in loyalty status or sign-up", exc_info=exc)
        self._ops.set_busy("")
        self._line.say(Level.ERROR, self.tr("Something went wrong. Check the status before signing up again."))


def _words(exc: errors.AiqError) -> str:
    """The domain error's cashier message, with AIQ's own reason when it refused."""
    text = str(exc)
    if isinstance(exc, errors.Rejected) and exc.detail:
        text += f" AIQ said: {exc.detail}"
    return text
