"""The counter window: cart total, the redemption steps, and the keys that drive them.

Built by named builders (``_build_*``/``_create_*``); the popups live in counter/popups.py, the
keys in counter/shortcuts.py, the quit question in counter/quit_question.py, and every manager's
dialog opens through the one manager PIN gate (manager/gate.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from budtender_app import APP_NAME
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.ui.common.style import CONTENT_MAX_WIDTH, ensure_style, styled
from budtender_app.ui.common.widgets import BUSY_SHOWS_AFTER_MS, BusyStrip, MessageLabel, centred, named, plural
from budtender_app.ui.counter.banner import TrainingBanner
from budtender_app.ui.counter.checkout_dialog import CheckoutDialog
from budtender_app.ui.counter.field_errors import CART_ROW_SPACING, FieldErrors, create_field_error_row
from budtender_app.ui.counter.handoff_view import HandoffView
from budtender_app.ui.counter.pages import ApplyPage, CartPage, DonePage, PhonePage
from budtender_app.ui.counter.pin_dialog import PinDialog
from budtender_app.ui.counter.popups import CounterPopups
from budtender_app.ui.counter.quit_question import SALE_IN_PROGRESS, QuitQuestion
from budtender_app.ui.counter.shortcuts import (
    CANCEL_REDEMPTION_KEY,
    FocusLog,
    create_counter_shortcuts,
    create_done_keys,
)
from budtender_app.ui.counter.side_dialogs import SideDialogs
from budtender_app.ui.counter.status_bar import create_status_bar, show_location
from budtender_app.ui.counter.wallet_page import WalletPage
from budtender_app.ui.counter.warm_up import draw_off_screen
from budtender_app.viewmodels.redemption import CART_EDITABLE, RedemptionViewModel

if TYPE_CHECKING:  # the manager's and the loyalty screens load when first opened, not at start
    from budtender_app.domain.consent import CounterInfo
    from budtender_app.domain.handoff import Handoff
    from budtender_app.viewmodels.loyalty import LoyaltyViewModel
    from budtender_app.viewmodels.manager_approval import ManagerApproval, Prompt
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.settings import SettingsViewModel

#: A 1024x768 till's screen, less its task bar and title bar: the window's first size un-maximised.
WINDOW_WIDTH, WINDOW_HEIGHT = 1024, 700
#: Below this a page would be cut off; the window never gets narrower, so no step makes it jump.
MIN_WINDOW_WIDTH, MIN_WINDOW_HEIGHT = 980, 660

class MainWindow(QMainWindow):
    """The cashier's window; every word and every decision comes from the RedemptionViewModel."""

    closed = Signal()

    def __init__(self, vm: RedemptionViewModel, *, training: bool, location: str,
                 settings_vm: SettingsViewModel | None = None,
                 make_pin_vm: Callable[[], Prompt] | None = None, approval: ManagerApproval | None = None,
                 pending_vm: PendingViewModel | None = None,
                 make_loyalty_vm: Callable[[], LoyaltyViewModel] | None = None,
                 counter: CounterInfo | None = None, receipt_links: tuple[str, str] = ("", "")) -> None:
        super().__init__()
        ensure_style()  # a window built without app.py (tests, screenshots) looks the same
        self._vm = vm
        self._counter = counter
        self._receipt_links = receipt_links
        self._training = training
        self._quit_question = QuitQuestion(self)
        self._quit_question.quit_chosen.connect(self.close_without_asking)
        self._quit_confirmed = False
        self._cart_editable: bool | None = None
        self.setObjectName("main_window")
        self.setProperty("training", "true" if training else "false")  # tints its dialogs (style.py)
        self.setWindowTitle(f"{APP_NAME} · AIQ wallet" + (self.tr(" · TRAINING") if training else ""))
        central = self._build_frame(training)
        cart_row, stack, status = self._build_cart_row(), self._build_pages(), self._build_status_band()
        self._build_central(central, cart_row, status, stack)
        self._side = SideDialogs(self, vm, self.message_label, (self.cart_edit, self.phone_page.phone_edit),
                                 settings_vm=settings_vm, pending_vm=pending_vm, make_pin_vm=make_pin_vm,
                                 approval=approval, make_loyalty_vm=make_loyalty_vm, counter=counter,
                                 signup_url=receipt_links[1])
        self.loyalty_button.setVisible(self._side.has_loyalty)
        self._create_status_bar(location)
        # app.py shows it maximised; un-maximised it starts at a 1024x768 screen's size and
        # never below it, so no step's page or band is cut off and the width never jumps.
        self.setMinimumSize(MIN_WINDOW_WIDTH, MIN_WINDOW_HEIGHT)
        self.resize(WINDOW_WIDTH, WINDOW_HEIGHT)
        self.popups = CounterPopups(vm, self, self.message_label, make_pin_vm, approval=approval)
        self.field_errors = FieldErrors(vm, self.message_label, self.popups, self.cart_error_label,
                                        self.phone_page.error_label)
        self._create_shortcuts()
        self._connect_view_model(pending_vm)
        self.handoff_view = HandoffView(vm, self.cart_edit, self.phone_page.phone_edit, self)  # after the redraw's

    # -- builders ------------------------------------------------------------------------------

    def _build_frame(self, training: bool) -> QWidget:
        # Every widget made where it stays: made in the window and moved into the sale's column by
        # its layout, each was styled by the application's sheet twice (again as it moved).
        central = QWidget(self)
        self.content = QWidget(central)
        self.banner = TrainingBanner(central)
        self.banner.setVisible(training)
        return central

    def _build_cart_row(self) -> QHBoxLayout:
        host = self.content
        self.cart_edit = named(QLineEdit(host), "cart_edit", "Cart total")
        self.cart_edit.setPlaceholderText("0.00")
        # No validator and no length limit: both drop keys without a word ("1e9" became $19,
        # "-5" $5). The field keeps what was typed; parse_money refuses it with a message in the
        # band right under the field, and F2 starts nothing until the total reads.
        self.cart_edit.setMaximumWidth(220)  # its type size: style.py
        self.cart_edit.textEdited.connect(self._vm.set_cart_text)
        self.cart_edit.editingFinished.connect(self._vm.finish_cart_edit)  # with a wallet open: read now
        self.cart_edit.returnPressed.connect(self._on_start)
        self.redeem_button = named(QPushButton(self.tr("Redeem discounts for shopper (F2)"), host),
                                   "redeem_button", "Redeem discounts for shopper")
        styled(self.redeem_button, kind="primary")
        self.redeem_button.clicked.connect(self._on_start)
        self._cart_label = cart_label = QLabel(self.tr("Cart total  $"), host)
        cart_label.setObjectName("cart_label")
        cart_label.setBuddy(self.cart_edit)
        self.loyalty_button = named(QPushButton(self.tr("Loyalty status / sign up (F3)"), host), "loyalty_button",
                                    "Loyalty status or sign up")
        self.loyalty_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.loyalty_button.clicked.connect(self.open_loyalty)
        cart_row = QHBoxLayout()
        cart_row.setSpacing(CART_ROW_SPACING)
        cart_row.addWidget(cart_label)
        cart_row.addWidget(self.cart_edit)
        cart_row.addStretch(1)
        cart_row.addWidget(self.loyalty_button)
        cart_row.addWidget(self.redeem_button)
        return cart_row

    def _build_pages(self) -> QStackedWidget:
        vm, counter = self._vm, self._counter
        # Each page made inside the stack: made in the window and moved into it, each page's
        # widgets were styled by the application's sheet twice (again as they changed parent).
        self.stack = stack = QStackedWidget(self.content)
        self.cart_page = CartPage(stack)
        self.phone_page = PhonePage(vm, stack, training=self._training)
        if vm.skip_pin:  # the store opens wallets without the texted PIN (AIQ's 2FA bypass)
            self.phone_page.send_button.setText(self.tr("Open wallet, no PIN (Enter)"))
            self.phone_page.hint_label.setText(self.tr(
                "This store skips the texted PIN: check the shopper's ID before redeeming."))
        self.wallet_page = WalletPage(vm, stack)
        self.apply_page = ApplyPage(vm, stack)
        self.done_page = DonePage(vm, stack, receipt_links=self._receipt_links, counter=counter,
                                  training=self._training)
        for page in (self.cart_page, self.phone_page, self.wallet_page, self.apply_page, self.done_page):
            stack.addWidget(page)
        return stack

    def _build_status_band(self) -> QWidget:
        # Messages and the busy strip share one band right under the cart (where the cashier is
        # looking), tall enough for either: the screen below never jumps as they come and go.
        status = QWidget(self.content)
        status.setObjectName("status_band")
        self.busy_strip = BusyStrip(status, show_after_ms=BUSY_SHOWS_AFTER_MS)
        self.busy_strip.cancel_button.clicked.connect(self._vm.cancel)
        self.message_label = MessageLabel("message_label", status)
        status_layout = QVBoxLayout(status)
        status_layout.setContentsMargins(0, 0, 0, 0)
        status_layout.setSpacing(4)
        # A bad cart total is said right under the field (field_errors.py), in the band's room.
        cart_row, self.cart_error_label = create_field_error_row("cart_error_label", status, self._cart_label)
        status_layout.addLayout(cart_row)
        status_layout.addWidget(self.message_label)
        status_layout.addWidget(self.busy_strip)
        status_layout.addStretch(1)
        # Measured on a label of its own: restyling this one back to "no message" would be the
        # process's first touch of QStyle, which PySide6 makes cost ~10 ms (prepare_screens pays it).
        probe = MessageLabel("message_probe", status)
        probe.show_message(Level.INFO, "M")
        status.setMinimumHeight(max(probe.sizeHint().height(), self.busy_strip.sizeHint().height()))
        probe.setParent(None)  # hidden, and gone with this function
        return status

    def _build_central(self, central: QWidget, cart_row: QLayout, status: QWidget, stack: QWidget) -> None:
        # The sale in one readable column, centred: on a 1920 px screen the cart total and the
        # buttons that act on it stay within a glance, not 1,500 px apart. The banner spans it all.
        self.content.setObjectName("counter_content")
        body = QVBoxLayout(self.content)
        body.setContentsMargins(16, 12, 16, 12)
        body.addLayout(cart_row)
        body.addWidget(status)
        body.addWidget(stack, 1)
        for widget in (self._cart_label, self.cart_edit, self.loyalty_button, self.redeem_button, status, stack):
            widget.raise_()  # stacked in the layout's order, as when the layout moved them here
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addLayout(centred(self.content, CONTENT_MAX_WIDTH), 1)
        self.setCentralWidget(central)

    def _create_status_bar(self, location: str) -> None:
        self.settings_button, self.pending_button, self.pending_label, self.location_label = create_status_bar(
            self, location, settings=self.open_manager_settings if self._side.has_settings else None,
            redemptions=self.open_pending_redemptions if self._side.has_redemptions else None)

    def show_location(self, location: str) -> None:
        """The store, till and brand at the status bar's right (a saved profile changes them)."""
        show_location(self.location_label, location)

    def _create_shortcuts(self) -> None:
        vm = self._vm
        create_counter_shortcuts(self, {
            Qt.Key.Key_F2: self._on_start, Qt.Key.Key_F9: vm.start_checkout, Qt.Key.Key_Escape: vm.cancel,
            Qt.Key.Key_F12: self.open_manager_settings, Qt.Key.Key_F11: self.open_pending_redemptions,
            Qt.Key.Key_F3: self.open_loyalty, CANCEL_REDEMPTION_KEY: vm.ask_abandon}, self.close)
        self._done_keys = create_done_keys(self, vm.new_sale)
        self._focus_log = FocusLog(self)

    def _connect_view_model(self, pending_vm: PendingViewModel | None) -> None:
        vm = self._vm
        vm.step_changed.connect(self._on_vm_step_changed)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        vm.message_changed.connect(self.field_errors.show)  # where the cashier is looking
        vm.outcomes_changed.connect(self.done_page.redraw)
        vm.pending_changed.connect(self._on_vm_pending_changed)
        if pending_vm is not None:  # the count follows a manager's decisions too
            pending_vm.pending_changed.connect(self._on_vm_pending_changed)
        self._on_vm_step_changed(vm.step)
        self._on_vm_pending_changed(vm.pending_count)

    # -- the popups, for the tests and the warm-up -----------------------------------------------

    @property
    def pin_dialog(self) -> PinDialog | None:
        """The shopper's PIN popup while it is open."""
        return self.popups.pin_dialog

    @property
    def checkout_dialog(self) -> CheckoutDialog | None:
        """The checkout popup while it is open."""
        return self.popups.checkout_dialog

    @property
    def manager_dialog(self) -> QDialog | None:
        """The manager PIN prompt, or the settings or redemptions window behind it, while open."""
        return self._side.gate.dialog

    @property
    def loyalty_dialog(self) -> QDialog | None:
        """The loyalty window while it is open."""
        return self._side.loyalty_dialog

    # -- keys ------------------------------------------------------------------------------

    def _on_start(self) -> None:
        if self._vm.step is Step.DONE:
            self._vm.new_sale()
            return
        self._vm.set_cart_text(self.cart_edit.text())
        if self._vm.cart_total is not None:  # else the message already says what is wrong
            self._vm.start()

    def take_handoff(self, handoff: Handoff) -> tuple[bool, str]:
        """The POS's sale (issue 14; the socket calls this): fills in, never redeems; said in the band."""
        return self.handoff_view.take(handoff)

    # -- managers and loyalty (counter/side_dialogs.py) ------------------------------------------

    def open_manager_settings(self) -> None:
        """F12: the manager PIN first (chosen at the first visit), then the store settings."""
        self._side.open_settings()

    def open_pending_redemptions(self) -> None:
        """F11: the manager PIN, then the Redemptions window (pending, refund/void, export)."""
        self._side.open_redemptions()

    def open_loyalty(self) -> None:
        """F3: is this phone a member (no PIN texted)? If not, sign them up with their consent."""
        self._side.open_loyalty(self.phone_page.phone_edit.text() if self._vm.step is Step.PHONE else "")

    def _on_vm_pending_changed(self, count: int) -> None:
        # Short (it stands beside "Redemptions (F11)"), the whole sentence in its tooltip.
        self.pending_label.setText(self.tr("⚠ {n} pending").format(n=count) if count else "")
        self.pending_label.setToolTip(self.tr("{count} pending: a manager looks at them in Redemptions (F11)").format(
            count=plural(count, self.tr("redemption"), self.tr("redemptions"))) if count else "")
        self.pending_label.setVisible(bool(count))

    # -- redraw from the view model --------------------------------------------------------

    def _on_vm_step_changed(self, step: Step) -> None:
        pages = {Step.CART: self.cart_page, Step.WALLET: self.wallet_page, Step.APPLY_IN_POS: self.apply_page,
                 Step.CHECKOUT: self.apply_page, Step.REDEEMING: self.done_page, Step.DONE: self.done_page}
        self.stack.setCurrentWidget(pages.get(step, self.phone_page))
        self._show_cart_editable(step in CART_EDITABLE)
        self.redeem_button.setEnabled(step is Step.CART)
        for keys in self._done_keys:
            keys.setEnabled(step is Step.DONE)
        self.popups.sync(step)
        self._focus_for(step)
        # Read-only, not disabled, while the PIN goes out: a disabled field would hand the
        # keyboard to the cart total, and a cashier typing on would change the sale.
        self.phone_page.phone_edit.setReadOnly(step is not Step.PHONE)
        self.phone_page.send_button.setEnabled(step is Step.PHONE)
        self._redraw_page(step)
        if step is Step.PHONE and self._vm.phone is None:
            self.phone_page.phone_edit.clear()

    def _show_cart_editable(self, editable: bool) -> None:
        self.cart_edit.setReadOnly(not editable)
        if editable != self._cart_editable:  # a restyle relayouts the window: only on change
            self._cart_editable = editable
            styled(self.cart_edit, locked="false" if editable else "true")
        if not editable and self._vm.cart_total is not None and not self.cart_edit.text():
            self.cart_edit.setText(f"{self._vm.cart_total:.2f}")  # a sale resumed at start

    def _focus_for(self, step: Step) -> None:
        if step is Step.CART:
            if self._vm.cart_total is None:
                self.cart_edit.clear()
            self.cart_edit.setFocus()
            self.cart_edit.selectAll()
        elif step is Step.PHONE:
            self.phone_page.phone_edit.setFocus()
            self.phone_page.phone_edit.selectAll()

    def _redraw_page(self, step: Step) -> None:
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

    async def prepare_screens(self) -> None:
        """Right after start: draw, once and off screen, every page and popup the first sale will show."""
        await draw_off_screen(self, [self.phone_page, self.wallet_page, self.apply_page, self.done_page,
                                     self.busy_strip, self.popups.ensure_pin_dialog(),
                                     self.popups.ensure_checkout_dialog()], lambda: self._vm.step is Step.CART)

    def _on_vm_busy_changed(self, text: str) -> None:
        cancellable = self._vm.step in (Step.SENDING_PIN, Step.OPENING_WALLET)
        if self.pin_dialog is not None:
            self.pin_dialog.show_busy(text)
            self.busy_strip.show_busy("", False)
        else:
            self.busy_strip.show_busy(text, cancellable)

    # -- quitting ----------------------------------------------------------------------------

    def close_without_asking(self) -> None:
        """Quit for the system (SIGTERM, log-out): a sale in progress is saved, so do not ask."""
        self._quit_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._vm.step is Step.REDEEMING:
            # Quitting mid-redemption would leave AIQ's answer unseen; wait for it.
            self.message_label.show_message(Level.ERROR, self.tr("Redeeming with AIQ: wait for its answer first."))
            event.ignore()
            return
        if (self._vm.step in SALE_IN_PROGRESS or self._vm.sale_applied) and not self._quit_confirmed:
            event.ignore()
            self._quit_question.ask()  # discounts are keyed into the POS: never quit by a stray Ctrl+Q
            return
        super().closeEvent(event)
        self.closed.emit()
