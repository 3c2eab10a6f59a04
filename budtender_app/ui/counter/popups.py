"""The counter's popups, the shopper's PIN and "Checkout complete", opened and closed as the step says,
and the two questions the view model asks: "Cancel this redemption?" and "A PIN was texted 20 s ago:
use that one?".

One of each for the window's life, reset and reopened at each sale: building them anew cost
every sale a few milliseconds at the counter. The manager's "skip the PIN" prompt opens over
the PIN popup and closes with it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog, QMainWindow, QWidget

from budtender_app.domain.eligibility import off_text, pos_order, totals
from budtender_app.domain.flow import Event, Step, allowed
from budtender_app.domain.messages import Level
from budtender_app.domain.money import format_points
from budtender_app.ui.common.widgets import MessageLabel
from budtender_app.ui.counter.checkout_dialog import CheckoutDialog
from budtender_app.ui.counter.pin_dialog import PinDialog
from budtender_app.ui.counter.quit_question import Question
from budtender_app.ui.counter.texted_pin_question import TextedPinQuestion
from budtender_app.ui.manager.gate import ManagerGate
from budtender_app.viewmodels.manager_approval import ManagerApproval, Prompt
from budtender_app.viewmodels.redemption import RedemptionViewModel

#: The PIN popup is up while the PIN is asked and while the wallet opens with it.
PIN_STEPS = (Step.PIN, Step.OPENING_WALLET)
RESEND_TICK_MS = 250


class CounterPopups(QObject):
    """Opens the PIN popup at the PIN step and the checkout popup at checkout; closes them after."""

    def __init__(self, vm: RedemptionViewModel, window: QMainWindow, message_label: MessageLabel,
                 make_pin_vm: Callable[[], Prompt] | None, *, approval: ManagerApproval | None = None) -> None:
        super().__init__(window)
        self._vm = vm
        self._window = window
        self._message_label = message_label
        # A manager's approval, then why the PIN is skipped
        self.skip_gate = ManagerGate(make_pin_vm, self, approval=approval)
        self.pin_dialog: PinDialog | None = None  # while the PIN popup is open
        self._pin_dialog: PinDialog | None = None  # the one popup, kept between sales
        self.checkout_dialog: CheckoutDialog | None = None  # while the checkout popup is open
        self._checkout_dialog: CheckoutDialog | None = None
        self._resend_timer = QTimer(self)
        self._resend_timer.setInterval(RESEND_TICK_MS)
        self._resend_timer.timeout.connect(self._on_resend_timer_timeout)
        self.cancel_question = Question(window, "cancel", self.tr("Keep the redemption"),
                                        self.tr("Cancel redemption"))
        self.cancel_question.chosen.connect(vm.abandon)
        vm.abandon_asked.connect(self._on_vm_abandon_asked)
        self.texted_question: TextedPinQuestion | None = None  # built at its first use
        vm.texted_pin_offered.connect(self._on_vm_texted_pin_offered)

    def ensure_pin_dialog(self) -> PinDialog:
        """The one PIN popup, built at its first use (or while the window warms up)."""
        if self._pin_dialog is None:
            dialog = PinDialog("", self._window)
            dialog.pin_submitted.connect(self._vm.submit_pin)
            dialog.cancel_requested.connect(self._vm.cancel)
            dialog.resend_requested.connect(self._vm.resend_pin)
            dialog.manager_skip_requested.connect(self._on_pin_dialog_manager_skip_requested)
            dialog.skip_button.setVisible(self.skip_gate.available)
            self._pin_dialog = dialog
        return self._pin_dialog

    def ensure_checkout_dialog(self) -> CheckoutDialog:
        """The one checkout popup, built at its first use (or while the window warms up)."""
        if self._checkout_dialog is None:
            self._checkout_dialog = CheckoutDialog("", self._window)
            self._checkout_dialog.confirmed.connect(self._vm.confirm_checkout)
            self._checkout_dialog.cancel_requested.connect(self._vm.cancel)
        return self._checkout_dialog

    def sync(self, step: Step) -> None:
        """Open or close each popup for ``step``."""
        self._sync_pin_dialog(step)
        self._sync_checkout_dialog(step)
        if not allowed(step, Event.ABANDON):
            self.cancel_question.close()  # nothing left to cancel (cancelled, or checked out)
        if step is not Step.PHONE and self.texted_question is not None and self.texted_question.asking:
            self.texted_question.done(0)

    def _sync_pin_dialog(self, step: Step) -> None:
        if step in PIN_STEPS:
            if self.pin_dialog is None:
                self.pin_dialog = self.ensure_pin_dialog()
                self.pin_dialog.reset(self._vm.phone.masked if self._vm.phone else "")
                if self._message_label.text():  # words about the phone step are stale now
                    self._message_label.show_message(Level.CLEAR, "")
                self._on_resend_timer_timeout()
                self._resend_timer.start()
                self._raise(self.pin_dialog, self.pin_dialog.pin_edit)
        elif self.pin_dialog is not None:
            dialog, self.pin_dialog = self.pin_dialog, None
            # The popup is kept for the next shopper, so a manager prompt opened from it
            # (skip the PIN) must be closed with it, not left asking over the counter.
            self.skip_gate.close()
            self._close(dialog)

    def _sync_checkout_dialog(self, step: Step) -> None:
        if step is Step.CHECKOUT:
            if self.checkout_dialog is None:
                self.checkout_dialog = self.ensure_checkout_dialog()
                # A transaction ID the POS handed over opens filled in; the cashier still confirms it.
                self.checkout_dialog.reset(self._checkout_summary(), self._pos_ids(), self._vm.handoff.transaction)
                self._raise(self.checkout_dialog, self.checkout_dialog.transaction_edit)
        elif self.checkout_dialog is not None:
            dialog, self.checkout_dialog = self.checkout_dialog, None
            self._close(dialog)

    def _checkout_summary(self) -> str:
        vm = self._vm
        cart = vm.cart_total or Decimal(0)
        sums = totals(vm.selected, cart)
        count, off = vm.discount_count(len(vm.selected)), off_text(sums, cart)
        if vm.wallet is not None and vm.wallet.hide_points:  # no point figure where a shopper may look
            return self.tr("{count}, {off}.").format(count=count, off=off)
        return self.tr("{count} for {points}, {off}.").format(count=count, points=format_points(sums.points), off=off)

    def _pos_ids(self) -> list[str]:
        # In the apply table's order (the order keyed into the POS); one with no POS ID is named, not skipped.
        keyed = pos_order(self._vm.selected, self._vm.cart_total or Decimal(0))
        return [k.discount.pos_discount_id or self.tr("{name} (no POS ID)").format(name=k.discount.name)
                for k in keyed]

    @staticmethod
    def _raise(dialog: QDialog, field: QWidget) -> None:
        dialog.open()
        dialog.activateWindow()
        field.setFocus()

    def _close(self, dialog: QDialog) -> None:
        dialog.done(0)
        self._window.activateWindow()  # give the keyboard back to the counter window

    def _on_resend_timer_timeout(self) -> None:
        if self.pin_dialog is not None:
            self.pin_dialog.set_resend_seconds(self._vm.resend_seconds_left())
        elif self.texted_question is not None and self.texted_question.asking:
            self.texted_question.set_resend_seconds(self._vm.resend_seconds_left())
        else:
            self._resend_timer.stop()

    # -- the view model's questions ---------------------------------------------------------------

    def _on_vm_abandon_asked(self, text: str) -> None:
        self.cancel_question.ask(self.tr("Cancel redemption"), text)

    def _on_vm_texted_pin_offered(self, text: str) -> None:
        if self.texted_question is None:
            self.texted_question = TextedPinQuestion(self._window)
            self.texted_question.use_requested.connect(self._vm.use_texted_pin)
            self.texted_question.new_requested.connect(self._vm.text_new_pin)
        self.texted_question.ask(text, self._vm.resend_seconds_left())
        self._resend_timer.start()

    # -- a manager skips the shopper's PIN ------------------------------------------------------

    def _on_pin_dialog_manager_skip_requested(self) -> None:
        """A shopper without their phone: the manager PIN, a reason and initials in one dialog, then E3."""
        if self.pin_dialog is None:
            return
        self.skip_gate.open(self.tr("A manager approves skipping the shopper's PIN for this sale."),
                            self._create_skip_dialog, self.pin_dialog, together=self._create_skip_dialog)

    def _create_skip_dialog(self, pin_vm: Prompt | None = None) -> QDialog | None:
        from budtender_app.ui.manager.skip_pin_dialog import SkipPinDialog

        if self.pin_dialog is None or self._vm.phone is None:
            return None
        approving = self._vm.approving  # staff sign-in: the passcode (or the signed-in manager) says who
        approver = approving() if approving is not None else None
        why = SkipPinDialog(self._vm.phone.masked, self.pin_dialog, pin_vm=pin_vm,
                            approved_by=None if approving is None else approver.name if approver else "")
        why.confirmed.connect(self._vm.skip_pin_by_manager)
        return why
