"""The counter window: cart total, the redemption steps, and the keys that drive them."""

from __future__ import annotations

import asyncio
import logging

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from budtender_app import APP_NAME
from budtender_app.domain.eligibility import totals
from budtender_app.domain.flow import Step

#: Discounts are keyed into the POS and not checked out: quitting asks first.
SALE_IN_PROGRESS = frozenset({Step.APPLY_IN_POS, Step.CHECKOUT})
from budtender_app.domain.money import format_money, format_points
from budtender_app.ui.common.widgets import BUSY_SHOWS_AFTER_MS, BusyStrip, MessageLabel, named
from budtender_app.ui.counter.checkout_dialog import CheckoutDialog
from budtender_app.ui.counter.pages import ApplyPage, CartPage, DonePage, PhonePage
from budtender_app.ui.counter.pin_dialog import PinDialog
from budtender_app.ui.counter.wallet_page import WalletPage
from budtender_app.viewmodels.redemption import CART_EDITABLE, RedemptionViewModel

log = logging.getLogger(__name__)

PIN_STEPS = (Step.PIN, Step.OPENING_WALLET)


class TrainingBanner(QLabel):
    """On every screen in demo mode, so nobody mistakes training for a real sale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("training_banner")
        self.setAccessibleName("Training mode")
        self.setStyleSheet("background: #ffd54f; color: #3e2723; font-size: 13pt; font-weight: 700; padding: 8px;")
        self.setWordWrap(True)
        self.show_pin("", "")

    def show_pin(self, phone_masked: str, pin: str) -> None:
        text = self.tr("TRAINING: no real points (simulated AIQ)")
        if pin:
            text += self.tr("   ·   PIN texted to {phone}: {pin}").format(phone=phone_masked, pin=pin)
        self.setText(text)


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, vm: RedemptionViewModel, *, training: bool, location: str,
                 settings_vm=None, make_pin_vm=None, pending_vm=None, make_loyalty_vm=None,
                 counter=None, receipt_links: tuple[str, str] = ("", "")) -> None:
        super().__init__()
        self._vm = vm
        self._pending_vm = pending_vm
        self._make_loyalty_vm = make_loyalty_vm
        self._counter = counter
        self._receipt_links = receipt_links
        self.loyalty_dialog = None
        self._settings_vm = settings_vm
        self._make_pin_vm = make_pin_vm
        self.manager_dialog = None  # the manager PIN or settings dialog while one is open
        self._skip_dialog = None  # the manager's PIN-skip dialogs while open
        self._quit_box = None  # "Sale in progress: quit anyway?" while it is open
        self._quit_confirmed = False
        self._profiles_watched = False  # the settings dialog's saves are being announced
        self.setObjectName("main_window")
        self.setWindowTitle(f"{APP_NAME} · AIQ wallet" + (self.tr(" · TRAINING") if training else ""))
        self.banner = TrainingBanner(self)
        self.banner.setVisible(training)

        self.cart_edit = named(QLineEdit(self), "cart_edit", "Cart total")
        self.cart_edit.setPlaceholderText("0.00")
        # No validator and no length limit: both drop keys without a word ("1e9" became $19,
        # "-5" $5). The field keeps what was typed; parse_money refuses it with a message in the
        # band right under the field, and F2 starts nothing until the total reads.
        font = self.cart_edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.cart_edit.setFont(font)
        self.cart_edit.setMaximumWidth(220)
        self.cart_edit.textEdited.connect(vm.set_cart_text)
        self.cart_edit.returnPressed.connect(self._on_start)
        self.redeem_button = named(QPushButton(self.tr("Redeem discounts for shopper (F2)"), self),
                                   "redeem_button", "Redeem discounts for shopper")
        self.redeem_button.setStyleSheet("font-size: 12pt; font-weight: 600; padding: 8px 14px;")
        self.redeem_button.clicked.connect(self._on_start)
        cart_label = QLabel(self.tr("Cart total  $"), self)
        cart_label.setStyleSheet("font-size: 13pt;")
        cart_label.setBuddy(self.cart_edit)
        cart_row = QHBoxLayout()
        cart_row.addWidget(cart_label)
        cart_row.addWidget(self.cart_edit)
        cart_row.addStretch(1)
        self.loyalty_button = named(QPushButton(self.tr("Loyalty status / sign up (F3)"), self), "loyalty_button",
                                    "Loyalty status or sign up")
        self.loyalty_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.loyalty_button.clicked.connect(self.open_loyalty)
        self.loyalty_button.setVisible(make_loyalty_vm is not None)
        cart_row.addWidget(self.loyalty_button)
        cart_row.addWidget(self.redeem_button)

        self.cart_page = CartPage(self)
        self.phone_page = PhonePage(vm, self)
        if vm.skip_pin:  # the store opens wallets without the texted PIN (AIQ's 2FA bypass)
            self.phone_page.send_button.setText(self.tr("Open wallet, no PIN (Enter)"))
            self.phone_page.hint_label.setText(self.tr(
                "This store skips the texted PIN: check the shopper's ID before redeeming."))
        self.wallet_page = WalletPage(vm, self)
        self.apply_page = ApplyPage(vm, self)
        self.done_page = DonePage(vm, self, receipt_links=receipt_links,
                                  brand=counter.brand if counter else "", country=counter.country if counter else "US")
        self.stack = QStackedWidget(self)
        for page in (self.cart_page, self.phone_page, self.wallet_page, self.apply_page, self.done_page):
            self.stack.addWidget(page)
        # Messages and the busy strip share one band right under the cart (where the cashier is
        # looking), tall enough for either: the screen below never jumps as they come and go.
        status = QWidget(self)
        status.setObjectName("status_band")
        self.busy_strip = BusyStrip(status, show_after_ms=BUSY_SHOWS_AFTER_MS)
        self.busy_strip.cancel_button.clicked.connect(vm.cancel)
        self.message_label = MessageLabel("message_label", status)
        status_layout = QVBoxLayout(status)
        status_layout.setContentsMargins(0, 0, 0, 0)
        status_layout.setSpacing(4)
        status_layout.addWidget(self.message_label)
        status_layout.addWidget(self.busy_strip)
        status_layout.addStretch(1)
        self.message_label.show_message("info", "M")
        status.setMinimumHeight(max(self.message_label.sizeHint().height(), self.busy_strip.sizeHint().height()))
        self.message_label.show_message("", "")

        body = QVBoxLayout()
        body.setContentsMargins(16, 12, 16, 12)
        body.addLayout(cart_row)
        body.addWidget(status)
        body.addWidget(self.stack, 1)
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.location_label = QLabel(location, self)
        self.location_label.setObjectName("location_label")
        self.settings_button = named(QPushButton(self.tr("Manager settings (F12)"), self), "settings_button",
                                     "Manager settings")
        self.settings_button.setFlat(True)
        self.settings_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.settings_button.clicked.connect(self.open_manager_settings)
        self.settings_button.setVisible(settings_vm is not None)
        self.pending_label = QLabel(self)
        self.pending_label.setObjectName("pending_label")
        self.pending_label.setStyleSheet("color: #b00020; font-weight: 700;")
        self.pending_button = named(QPushButton(self.tr("Redemptions (F11)"), self), "pending_button",
                                    "Pending redemptions, refunds and export")
        self.pending_button.setFlat(True)
        self.pending_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pending_button.clicked.connect(self.open_pending_redemptions)
        self.pending_button.setVisible(pending_vm is not None and make_pin_vm is not None)
        self.statusBar().addWidget(self.settings_button)
        self.statusBar().addWidget(self.pending_button)
        self.statusBar().addWidget(self.pending_label)
        self.statusBar().addPermanentWidget(self.location_label)
        self.resize(820, 600)

        self.pin_dialog: PinDialog | None = None  # while the PIN popup is open
        self._pin_dialog: PinDialog | None = None  # the one popup, kept between sales
        self._resend_timer = QTimer(self)
        self._resend_timer.setInterval(250)
        self._resend_timer.timeout.connect(self._on_resend_timer_timeout)
        self.checkout_dialog: CheckoutDialog | None = None  # while the checkout popup is open
        self._checkout_dialog: CheckoutDialog | None = None
        self._cart_editable: bool | None = None
        QShortcut(QKeySequence(Qt.Key.Key_F2), self, self._on_start)
        QShortcut(QKeySequence(Qt.Key.Key_F9), self, vm.start_checkout)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, vm.cancel)
        # The platform's Quit keys, and Ctrl+Q where the platform names none (Windows, offscreen).
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        for keys in quit_keys:
            QShortcut(keys, self, self.close)
        QShortcut(QKeySequence(Qt.Key.Key_F12), self, self.open_manager_settings)
        QShortcut(QKeySequence(Qt.Key.Key_F11), self, self.open_pending_redemptions)
        QShortcut(QKeySequence(Qt.Key.Key_F3), self, self.open_loyalty)
        QApplication.instance().focusChanged.connect(self._on_app_focus_changed)
        self._done_enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self, vm.new_sale)
        self._done_enter_pad = QShortcut(QKeySequence(Qt.Key.Key_Enter), self, vm.new_sale)

        vm.step_changed.connect(self._on_vm_step_changed)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        vm.message_changed.connect(self._on_vm_message_changed)
        vm.outcomes_changed.connect(self.done_page.redraw)
        vm.pending_changed.connect(self._on_vm_pending_changed)
        if pending_vm is not None:  # the count follows a manager's decisions too
            pending_vm.pending_changed.connect(self._on_vm_pending_changed)
        self._on_vm_step_changed(vm.step)
        self._on_vm_pending_changed(vm.pending_count)

    # -- keys ------------------------------------------------------------------------------

    def _on_app_focus_changed(self, _old, new) -> None:
        # At DEBUG, where the keyboard is: the end-to-end test types only where it should.
        if new is not None and new.objectName():
            log.debug("focus %s", new.objectName())

    def _on_start(self) -> None:
        if self._vm.step is Step.DONE:
            self._vm.new_sale()
            return
        self._vm.set_cart_text(self.cart_edit.text())
        if self._vm.cart_total is not None:  # else the message already says what is wrong
            self._vm.start()

    # -- managers ----------------------------------------------------------------------------

    def open_manager_settings(self) -> None:
        """F12: the manager PIN first (chosen at the first visit), then the store settings."""
        if self._settings_vm is None or self.manager_dialog is not None:
            return
        if self._vm.step not in (Step.CART, Step.DONE):
            self.message_label.show_message("info", self.tr("Finish or cancel this redemption before opening the settings."))
            return
        from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog

        dialog = ManagerPinDialog(self._make_pin_vm(), self.tr("Type the manager PIN to open the AIQ settings."), self)
        dialog.accepted_pin.connect(self._on_manager_pin_accepted)
        dialog.finished.connect(self._on_manager_dialog_finished)
        self.manager_dialog = dialog
        dialog.open()

    def open_loyalty(self) -> None:
        """F3: is this phone a member (no PIN texted)? If not, sign them up with their consent."""
        if self._make_loyalty_vm is None or self.loyalty_dialog is not None:
            return
        if self._vm.step not in (Step.CART, Step.PHONE, Step.DONE):
            self.message_label.show_message("info", self.tr(
                "Finish or cancel this redemption before checking a loyalty status."))
            return
        from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog

        phone = self.phone_page.phone_edit.text() if self._vm.step is Step.PHONE else ""
        dialog = LoyaltyDialog(self._make_loyalty_vm(), self, phone_text=phone, signup_url=self._receipt_links[1],
                               brand=self._counter.brand if self._counter else "",
                               country=self._counter.country if self._counter else "US")
        dialog.finished.connect(self._on_loyalty_dialog_finished)
        self.loyalty_dialog = dialog
        dialog.open()
        if phone.strip():
            dialog.check_status()  # the phone that was not a member: its status at once

    def _on_loyalty_dialog_finished(self, _result: int = 0) -> None:
        if self.loyalty_dialog is not None:
            self.loyalty_dialog.deleteLater()
        self.loyalty_dialog = None
        self.activateWindow()
        if self._vm.step is Step.CART:
            self.cart_edit.setFocus()
        elif self._vm.step is Step.PHONE:
            self.phone_page.phone_edit.setFocus()

    def open_pending_redemptions(self) -> None:
        """F11: the manager PIN, then the Redemptions window (pending, refund/void, export)."""
        if self._pending_vm is None or self._make_pin_vm is None or self.manager_dialog is not None:
            return
        if self._vm.step not in (Step.CART, Step.DONE):
            self.message_label.show_message("info", self.tr(
                "Finish or cancel this redemption before opening the redemptions window."))
            return
        from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog

        dialog = ManagerPinDialog(self._make_pin_vm(), self.tr(
            "Type the manager PIN to settle pending redemptions, give points back or export for auditors."), self)
        dialog.accepted_pin.connect(self._on_pending_pin_accepted)
        dialog.finished.connect(self._on_manager_dialog_finished)
        self.manager_dialog = dialog
        dialog.open()

    def _on_pending_pin_accepted(self) -> None:
        from budtender_app.ui.manager.pending_dialog import PendingDialog

        if self.manager_dialog is not None:
            self.manager_dialog.finished.disconnect(self._on_manager_dialog_finished)
            self.manager_dialog.done(0)
        self._pending_vm.refresh()
        dialog = PendingDialog(self._pending_vm, self)
        dialog.finished.connect(self._on_manager_dialog_finished)
        self.manager_dialog = dialog
        dialog.open()

    def _on_manager_pin_accepted(self) -> None:
        from budtender_app.ui.manager.settings_dialog import SettingsDialog

        if self.manager_dialog is not None:
            self.manager_dialog.finished.disconnect(self._on_manager_dialog_finished)
            self.manager_dialog.done(0)
        dialog = SettingsDialog(self._settings_vm, self)
        dialog.finished.connect(self._on_manager_dialog_finished)
        self._settings_vm.profiles_changed.connect(self._on_settings_profiles_changed)
        self._profiles_watched = True
        self.manager_dialog = dialog
        dialog.open()

    def _on_settings_profiles_changed(self) -> None:
        self.message_label.show_message("info", self.tr(
            "Settings saved. Close and start the terminal again to use the store settings."))

    def _on_manager_dialog_finished(self, _result: int = 0) -> None:
        if self._profiles_watched and self._settings_vm is not None:  # only the settings dialog did
            self._settings_vm.profiles_changed.disconnect(self._on_settings_profiles_changed)
            self._profiles_watched = False
        if self.manager_dialog is not None:
            self.manager_dialog.deleteLater()
        self.manager_dialog = None
        self.activateWindow()
        if self._vm.step is Step.CART:
            self.cart_edit.setFocus()

    def _on_resend_timer_timeout(self) -> None:
        if self.pin_dialog is not None:
            self.pin_dialog.set_resend_seconds(self._vm.resend_seconds_left())

    def _on_pin_dialog_manager_skip_requested(self) -> None:
        """A shopper without their phone: the manager PIN, then a reason, then E3 for this sale."""
        if self.pin_dialog is None or self._make_pin_vm is None:
            return
        from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog

        ask = ManagerPinDialog(self._make_pin_vm(), self.tr("Manager PIN to skip the shopper's PIN for this sale."),
                               self.pin_dialog)
        ask.accepted_pin.connect(self._on_skip_manager_pin_accepted)
        ask.finished.connect(ask.deleteLater)
        self._skip_dialog = ask
        ask.open()

    def _on_skip_manager_pin_accepted(self) -> None:
        from budtender_app.ui.manager.skip_pin_dialog import SkipPinDialog

        if self.pin_dialog is None or self._vm.phone is None:
            return
        self._skip_dialog.done(0)
        why = SkipPinDialog(self._vm.phone.masked, self.pin_dialog)
        why.confirmed.connect(self._vm.skip_pin_by_manager)
        why.finished.connect(why.deleteLater)
        self._skip_dialog = why
        why.open()

    def _on_vm_pending_changed(self, count: int) -> None:
        self.pending_label.setText(self.tr("⚠ {n} redemption(s) need a manager or are waiting to be sent").format(n=count)
                                   if count else "")
        self.pending_label.setVisible(bool(count))

    # -- redraw from the view model --------------------------------------------------------

    def _on_vm_step_changed(self, step: Step) -> None:
        pages = {Step.CART: self.cart_page, Step.WALLET: self.wallet_page, Step.APPLY_IN_POS: self.apply_page,
                 Step.CHECKOUT: self.apply_page, Step.REDEEMING: self.done_page, Step.DONE: self.done_page}
        self.stack.setCurrentWidget(pages.get(step, self.phone_page))
        editable = step in CART_EDITABLE
        self.cart_edit.setReadOnly(not editable)
        if editable != self._cart_editable:  # a style sheet restyles and relayouts: only on change
            self._cart_editable = editable
            self.cart_edit.setStyleSheet("" if editable else "background: #eeeeee; color: #555;")
        if not editable and self._vm.cart_total is not None and not self.cart_edit.text():
            self.cart_edit.setText(f"{self._vm.cart_total:.2f}")  # a sale resumed at start
        self.redeem_button.setEnabled(step is Step.CART)
        self._done_enter.setEnabled(step is Step.DONE)
        self._done_enter_pad.setEnabled(step is Step.DONE)
        self._sync_pin_dialog(step)
        self._sync_checkout_dialog(step)
        if step is Step.CART:
            if self._vm.cart_total is None:
                self.cart_edit.clear()
            self.cart_edit.setFocus()
            self.cart_edit.selectAll()
        elif step is Step.PHONE:
            self.phone_page.phone_edit.setFocus()
            self.phone_page.phone_edit.selectAll()
        # Read-only, not disabled, while the PIN goes out: a disabled field would hand the
        # keyboard to the cart total, and a cashier typing on would change the sale.
        self.phone_page.phone_edit.setReadOnly(step is not Step.PHONE)
        self.phone_page.send_button.setEnabled(step is Step.PHONE)
        if step is Step.CART:
            self.banner.show_pin("", "")  # the last shopper's PIN is no business of the next
        elif step is Step.WALLET:
            self.wallet_page.offer_list.setFocus()
        elif step is Step.APPLY_IN_POS:
            self.apply_page.redraw()
            self.apply_page.checkout_button.setFocus()
        elif step in (Step.REDEEMING, Step.DONE):
            self.done_page.redraw()
            self.done_page.new_sale_button.setEnabled(step is Step.DONE)
            if step is Step.DONE:
                self.done_page.new_sale_button.setFocus()
        if step is Step.PHONE and self._vm.phone is None:
            self.phone_page.phone_edit.clear()

    async def prepare_screens(self) -> None:
        """Right after start: lay out and draw, once and off screen, every page and popup the
        first sale will show. Qt does its first-time work (style, layout, glyphs) then, one
        screen per turn of the loop, instead of freezing the first shopper's sale by 20-30 ms."""
        screens = [self.phone_page, self.wallet_page, self.apply_page, self.done_page, self.busy_strip,
                   self._ensure_pin_dialog(), self._ensure_checkout_dialog()]
        for screen in screens:
            await asyncio.sleep(0)
            if self._vm.step is not Step.CART:
                return  # a sale has begun: it does its own drawing
            screen.ensurePolished()
            if screen.layout() is not None:
                screen.layout().activate()
            screen.grab()

    def _ensure_pin_dialog(self) -> PinDialog:
        if self._pin_dialog is None:
            self._pin_dialog = PinDialog("", self)
            self._pin_dialog.pin_submitted.connect(self._vm.submit_pin)
            self._pin_dialog.cancel_requested.connect(self._vm.cancel)
            self._pin_dialog.resend_requested.connect(self._vm.resend_pin)
            self._pin_dialog.manager_skip_requested.connect(self._on_pin_dialog_manager_skip_requested)
            self._pin_dialog.skip_button.setVisible(self._make_pin_vm is not None)
        return self._pin_dialog

    def _ensure_checkout_dialog(self) -> CheckoutDialog:
        if self._checkout_dialog is None:
            self._checkout_dialog = CheckoutDialog("", self)
            self._checkout_dialog.confirmed.connect(self._vm.confirm_checkout)
            self._checkout_dialog.cancel_requested.connect(self._vm.cancel)
        return self._checkout_dialog

    def _sync_pin_dialog(self, step: Step) -> None:
        # One PIN popup and one checkout popup for the window's life, reset and reopened at each
        # sale: building them anew cost every sale a few milliseconds at the counter.
        if step in PIN_STEPS:
            if self.pin_dialog is None:
                self.pin_dialog = self._ensure_pin_dialog()
                self.pin_dialog.reset(self._vm.phone.masked if self._vm.phone else "")
                if self.message_label.text():  # words about the phone step are stale now
                    self.message_label.show_message("", "")
                self._on_resend_timer_timeout()
                self._resend_timer.start()
                self.pin_dialog.open()
                self.pin_dialog.activateWindow()
                self.pin_dialog.pin_edit.setFocus()
        elif self.pin_dialog is not None:
            self._resend_timer.stop()
            dialog, self.pin_dialog = self.pin_dialog, None
            # The popup is kept for the next shopper, so a manager prompt opened from it
            # (skip the PIN) must be closed with it, not left asking over the counter.
            skip, self._skip_dialog = self._skip_dialog, None
            if skip is not None and shiboken6.isValid(skip) and skip.isVisible():
                skip.done(0)
            dialog.done(0)
            self.activateWindow()  # give the keyboard back to the counter window

    def _sync_checkout_dialog(self, step: Step) -> None:
        if step is Step.CHECKOUT:
            if self.checkout_dialog is None:
                sums = totals(self._vm.selected, self._vm.cart_total or 0)
                summary = self.tr("{count} for {points}, {off} off.").format(
                    count=self._vm.discount_count(len(self._vm.selected)),
                    points=format_points(sums.points), off=format_money(sums.amount_off))
                self.checkout_dialog = self._ensure_checkout_dialog()
                self.checkout_dialog.reset(summary)
                self.checkout_dialog.open()
                self.checkout_dialog.activateWindow()
                self.checkout_dialog.transaction_edit.setFocus()
        elif self.checkout_dialog is not None:
            dialog, self.checkout_dialog = self.checkout_dialog, None
            dialog.done(0)
            self.activateWindow()  # give the keyboard back to the counter window

    def _on_vm_busy_changed(self, text: str) -> None:
        cancellable = self._vm.step in (Step.SENDING_PIN, Step.OPENING_WALLET)
        if self.pin_dialog is not None:
            self.pin_dialog.show_busy(text)
            self.busy_strip.show_busy("", False)
        else:
            self.busy_strip.show_busy(text, cancellable)

    def _on_vm_message_changed(self, level: str, text: str) -> None:
        if self.pin_dialog is not None:  # every word goes where the cashier is looking
            self.pin_dialog.show_message(level, text)
        elif self.checkout_dialog is not None and level != "info":
            self.checkout_dialog.show_error(text)
        else:
            self.message_label.show_message(level, text)

    def close_without_asking(self) -> None:
        """Quit for the system (SIGTERM, log-out): a sale in progress is saved, so do not ask."""
        self._quit_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._vm.step is Step.REDEEMING:
            # Quitting mid-redemption would leave AIQ's answer unseen; wait for it.
            self.message_label.show_message("error", self.tr("Redeeming with AIQ: wait for its answer before closing."))
            event.ignore()
            return
        if self._vm.step in SALE_IN_PROGRESS and not self._quit_confirmed:
            event.ignore()
            self._ask_before_quitting()
            return
        super().closeEvent(event)
        self.closed.emit()

    def _ask_before_quitting(self) -> None:
        """Discounts are keyed into the POS: quitting is allowed, but never by a stray Ctrl+Q."""
        from PySide6.QtWidgets import QMessageBox

        if self._quit_box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Sale in progress"), self.tr(
            "This sale's discounts are applied in the POS and not checked out yet.\n\n"
            "Quit anyway? The sale is saved: at the next start, finish it (F9 and the POS "
            "transaction ID) or cancel it."), QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("quit_confirm_box")
        keep = box.addButton(self.tr("Keep working"), QMessageBox.ButtonRole.RejectRole)
        box.addButton(self.tr("Quit"), QMessageBox.ButtonRole.AcceptRole).setObjectName("quit_confirm_button")
        keep.setObjectName("quit_keep_button")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _result: self._on_quit_box_finished(box.clickedButton() is not keep))
        self._quit_box = box
        box.open()  # never exec(): the event loop keeps running

    def _on_quit_box_finished(self, quit_now: bool) -> None:
        self._quit_box = None
        if quit_now:
            self.close_without_asking()
