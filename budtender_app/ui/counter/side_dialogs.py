"""The windows the counter opens beside a sale: loyalty (F3), and behind the manager PIN, settings (F12)
and redemptions (F11). Each opens only between redemptions, one at a time, with open().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QLineEdit, QPushButton, QWidget

from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.domain.receipt import SlipHeader
from budtender_app.ui.common.widgets import MessageLabel
from budtender_app.ui.manager.gate import ManagerGate
from budtender_app.viewmodels.continue_sale import ContinueSale
from budtender_app.viewmodels.redemption import RedemptionViewModel

if TYPE_CHECKING:  # these screens load when first opened, not at start
    from budtender_app.domain.consent import CounterInfo
    from budtender_app.viewmodels.loyalty import LoyaltyViewModel
    from budtender_app.viewmodels.manager_approval import ManagerApproval, Prompt
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.settings import SettingsViewModel

#: A manager's window opens only between redemptions; loyalty also while the phone is asked.
MANAGER_STEPS = (Step.CART, Step.DONE)
LOYALTY_STEPS = (Step.CART, Step.PHONE, Step.DONE)


class SideDialogs(QObject):
    """Opens the loyalty, settings and redemptions windows over the counter, and gives the keyboard back."""

    def __init__(self, window: QWidget, vm: RedemptionViewModel, message_label: MessageLabel,
                 keyboard_homes: tuple[QLineEdit, QLineEdit], *,
                 settings_vm: SettingsViewModel | None, pending_vm: PendingViewModel | None,
                 make_pin_vm: Callable[[], Prompt] | None, approval: ManagerApproval | None = None,
                 make_loyalty_vm: Callable[[], LoyaltyViewModel] | None,
                 counter: CounterInfo | None, signup_url: str) -> None:
        super().__init__(window)
        self._window, self._vm, self._message_label = window, vm, message_label
        self._settings_vm, self._pending_vm, self._make_loyalty_vm = settings_vm, pending_vm, make_loyalty_vm
        self._counter, self._signup_url = counter, signup_url
        self.gate = ManagerGate(make_pin_vm, self, approval=approval)  # F11 and F12: a manager approves first
        self.gate.finished.connect(self._on_gate_finished)
        self.loyalty_dialog: QDialog | None = None
        self._loyalty_vm: LoyaltyViewModel | None = None
        self._cart_edit, self._phone_edit = keyboard_homes  # where the keyboard goes back to
        self._continue = ContinueSale(vm, self)  # "Redeem for this shopper" in the loyalty dialog
        self._continue.continued.connect(self._phone_edit.setText)
        offer = window.findChild(QPushButton, "signup_offer_button")  # the phone page's "Sign up this shopper"
        if offer is not None:
            offer.clicked.connect(lambda: self.open_loyalty(self._phone_edit.text()))

    def show_store(self, counter: CounterInfo, signup_url: str) -> None:
        """The store the next loyalty window and slip name (Manager settings switched it)."""
        self._counter, self._signup_url = counter, signup_url

    @property
    def has_settings(self) -> bool:
        """F12 leads somewhere."""
        return self._settings_vm is not None

    @property
    def has_redemptions(self) -> bool:
        """F11 leads somewhere."""
        return self._pending_vm is not None and self.gate.available

    @property
    def has_loyalty(self) -> bool:
        """F3 leads somewhere."""
        return self._make_loyalty_vm is not None

    def _slip_header(self) -> SlipHeader:
        """Now, at this counter, in this mode: what a sign-up slip prints at its top."""
        clock, counter = self._vm.clock, self._counter
        return SlipHeader(store=counter.store if counter else "", terminal=counter.terminal if counter else "",
                          moment=clock.local(clock.now()), training=self._window.property("training") == "true")

    # -- the manager's windows ---------------------------------------------------------------------

    def open_settings(self) -> None:
        """The manager PIN first (chosen at the first visit), then the store settings."""
        if not self.has_settings or self.gate.dialog is not None:
            return
        if self._refused_mid_sale(MANAGER_STEPS, self.tr(
                "Finish or cancel this redemption before opening the settings.")):
            return
        self.gate.open(self.tr("A manager approves opening the AIQ settings."), self._create_settings_dialog,
                       self._window)

    def open_redemptions(self) -> None:
        """The manager PIN, then the Redemptions window (pending, refund/void, export)."""
        if not self.has_redemptions or self.gate.dialog is not None:
            return
        if self._refused_mid_sale(MANAGER_STEPS, self.tr(
                "Finish or cancel this redemption before opening the redemptions window.")):
            return
        self.gate.open(self.tr("A manager approves opening Redemptions: pending redemptions, points given back, "
                               "the export for auditors and the shift report."), self._create_pending_dialog,
                       self._window)

    def _create_settings_dialog(self) -> QDialog:
        from budtender_app.ui.manager.settings_dialog import SettingsDialog

        assert self._settings_vm is not None  # only open_settings opens it
        dialog = SettingsDialog(self._settings_vm, self._window)
        self._settings_vm.profiles_changed.connect(self._on_settings_profiles_changed)
        dialog.finished.connect(self._on_settings_dialog_finished)
        return dialog

    def _create_pending_dialog(self) -> QDialog:
        from budtender_app.ui.manager.pending_dialog import PendingDialog

        assert self._pending_vm is not None  # only open_redemptions opens it
        self._pending_vm.refresh()
        return PendingDialog(self._pending_vm, self._window)

    def _on_settings_profiles_changed(self) -> None:
        vm = self._settings_vm
        if vm is not None and vm.follows_changes:  # the counter itself said what it did with them
            self._message_label.show_message(Level.INFO, " ".join(filter(None, [
                self.tr("Settings saved."), vm.switch_note])))
            return
        self._message_label.show_message(Level.INFO, self.tr(
            "Settings saved. Close and start the terminal again to use the store settings."))

    def _on_settings_dialog_finished(self, _result: int = 0) -> None:
        if self._settings_vm is not None:
            self._settings_vm.profiles_changed.disconnect(self._on_settings_profiles_changed)

    def _on_gate_finished(self) -> None:
        self._give_back_keyboard((Step.CART,))

    # -- loyalty -------------------------------------------------------------------------------------

    def open_loyalty(self, phone: str) -> None:
        """Is ``phone`` a member (no PIN texted)? If not, sign them up with their consent."""
        if self._make_loyalty_vm is None or self.loyalty_dialog is not None:
            return
        if self._refused_mid_sale(LOYALTY_STEPS, self.tr(
                "Finish or cancel this redemption before checking a loyalty status.")):
            return
        from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog

        counter = self._counter
        self._loyalty_vm = self._make_loyalty_vm()
        dialog = LoyaltyDialog(self._loyalty_vm, self._window, phone_text=phone, signup_url=self._signup_url,
                               brand=counter.brand if counter else "", country=counter.country if counter else "US",
                               can_redeem=True, slip_header=self._slip_header)
        dialog.finished.connect(self._on_loyalty_dialog_finished)
        dialog.redeem_requested.connect(self._on_loyalty_redeem_requested)
        self.loyalty_dialog = dialog
        dialog.open()
        if phone.strip():
            dialog.check_status()  # the phone that was not a member: its status at once

    def _on_loyalty_dialog_finished(self, _result: int = 0) -> None:
        if self.loyalty_dialog is not None:
            self.loyalty_dialog.deleteLater()
        self.loyalty_dialog, self._loyalty_vm = None, None
        self._give_back_keyboard((Step.CART, Step.PHONE))

    def _on_loyalty_redeem_requested(self) -> None:
        """"Redeem for this shopper": the dialog closes and the sale goes on for the member checked."""
        loyalty_vm, dialog = self._loyalty_vm, self.loyalty_dialog
        phone = loyalty_vm.status_phone if loyalty_vm and loyalty_vm.status and loyalty_vm.status.member else None
        if phone is None or dialog is None or loyalty_vm is None or loyalty_vm.busy:
            return
        new_member_wallet = loyalty_vm.new_member_wallet(phone)  # None for anyone not created just now
        dialog.accept()
        why = self._continue.redeem_for(phone, new_member_wallet)
        if why:
            self._message_label.show_message(Level.INFO, why)
            self._give_back_keyboard((Step.CART, Step.PHONE))

    # -- both ------------------------------------------------------------------------------------------

    def _refused_mid_sale(self, steps: tuple[Step, ...], why: str) -> bool:
        if self._vm.step in steps:
            return False
        self._message_label.show_message(Level.INFO, why)
        return True

    def _give_back_keyboard(self, steps: tuple[Step, ...]) -> None:
        self._window.activateWindow()
        if self._vm.step is Step.CART and Step.CART in steps:
            self._cart_edit.setFocus()
        elif self._vm.step is Step.PHONE and Step.PHONE in steps:
            self._phone_edit.setFocus()
