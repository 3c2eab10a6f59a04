""""Loyalty status / Sign up": is this phone a member, and if not, sign them up with consent.

Opened with open(), never exec(). Keyboard first: Enter on the phone checks the status, Enter
in a sign-up field (or Ctrl+Enter anywhere) signs up once the shopper agreed, Esc stops a lookup
or closes. The view model does the work; this only draws it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from budtender_app.domain.messages import Level
from budtender_app.domain.money import format_points
from budtender_app.domain.receipt import SlipHeader
from budtender_app.domain.wallet import Wallet
from budtender_app.ui.common.dialog import AppDialog, button_row
from budtender_app.ui.common.style import PALETTE, set_level, styled
from budtender_app.ui.common.widgets import BusyStrip, named
from budtender_app.ui.loyalty.signup_form import SignUpForm, WrapLabel
from budtender_app.viewmodels.loyalty import LoyaltyViewModel

#: Wide enough for the consent text in four or five lines at counter size, narrower than a 1024 px screen.
LOYALTY_WIDTH = 880


class LoyaltyDialog(AppDialog):
    """The phone and its one-line status on top, the sign-up form below, the welcome wallet last."""

    #: "Redeem for this shopper": the counter's sale goes on for the member checked (side_dialogs.py)
    redeem_requested = Signal()

    def __init__(self, vm: LoyaltyViewModel, parent: QWidget | None = None, *, phone_text: str = "",
                 signup_url: str = "", brand: str = "", country: str = "US", can_redeem: bool = False,
                 slip_header: Callable[[], SlipHeader] | None = None) -> None:
        super().__init__(parent, "loyalty_dialog", "loyalty_message_label")
        self._vm = vm
        self._can_redeem = can_redeem  # opened from the counter, with a sale to go on with
        self._signup_url, self._brand, self._country = signup_url, brand, country
        self._slip_header = slip_header  # the store, terminal, time and mode every slip names
        self.slip_dialog: QDialog | None = None
        self.setWindowTitle(self.tr("Loyalty status / Sign up"))
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(self._build_phone_row())
        for widget in self._build_answers():
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addLayout(self._build_buttons())
        self.setMinimumWidth(LOYALTY_WIDTH)  # the consent text in few lines: it fits a 1024x768 screen
        for keys in (Qt.Modifier.CTRL | Qt.Key.Key_Return, Qt.Modifier.CTRL | Qt.Key.Key_Enter):
            QShortcut(QKeySequence(keys), self, self._on_form_submitted)
        vm.status_changed.connect(self._on_vm_status_changed)
        vm.message_changed.connect(self._on_vm_message_changed)
        vm.busy_changed.connect(self._on_vm_busy_changed)
        vm.field_errors_changed.connect(self._on_vm_field_errors_changed)
        vm.signed_up.connect(self._on_vm_signed_up)
        self.phone_edit.setText(phone_text)
        self.phone_edit.setFocus()

    def _build_phone_row(self) -> QHBoxLayout:
        self.phone_edit = named(QLineEdit(self), "loyalty_phone_edit", "Shopper's phone number")
        self.phone_edit.setPlaceholderText("(555) 123-4567")
        self.phone_edit.setMaxLength(25)
        font = QFont(self.phone_edit.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.phone_edit.setFont(font)
        self.phone_edit.returnPressed.connect(self._on_check_button_clicked)
        self.phone_edit.textChanged.connect(self._on_form_edited)
        self.phone_edit.textEdited.connect(self._on_phone_edit_text_edited)
        self.check_button = self.button(self.tr("&Check status (Enter)"), "check_status_button",
                                        "Check loyalty status")
        self.check_button.clicked.connect(self._on_check_button_clicked)
        caption = QLabel(self.tr("Shopper's &phone:"), self)
        caption.setBuddy(self.phone_edit)
        phone_row = QHBoxLayout()
        phone_row.addWidget(caption)
        phone_row.addWidget(self.phone_edit, 1)
        phone_row.addWidget(self.check_button)
        return phone_row

    def _build_answers(self) -> list[QWidget]:
        self.phone_error_label = styled(QLabel(self), kind="field_error")
        self.phone_error_label.setObjectName("loyalty_phone_error_label")
        self.phone_error_label.setWordWrap(True)
        self.phone_error_label.hide()
        hint = styled(QLabel(self.tr("Checking asks AIQ only: no PIN is texted to the shopper."), self), kind="hint")
        self.status_label = styled(WrapLabel("", self), kind="status")
        named(self.status_label, "loyalty_status_label", "Loyalty status")
        self.status_label.hide()
        self.busy_strip = BusyStrip(self)
        self.busy_strip.cancel_button.clicked.connect(self._vm.cancel)
        self.form = SignUpForm(self._vm.consent_text, self._vm.consent_problem, self)
        self.form.submitted.connect(self._on_form_submitted)
        self.form.edited.connect(self._on_form_edited)
        self.wallet_label = named(WrapLabel("", self), "welcome_wallet_label", "The new member's wallet")
        self.wallet_label.setTextFormat(Qt.TextFormat.RichText)
        self.wallet_label.hide()
        return [self.phone_error_label, hint, self.status_label, self.message_label, self.busy_strip, self.form,
                self.wallet_label]

    def _build_buttons(self) -> QHBoxLayout:
        self.close_button = self.button(self.tr("Close (Esc)"), "loyalty_close_button", "Close")
        self.close_button.clicked.connect(self.reject)
        self.slip_button = self.button(self.tr("Print sign-up QR…"), "signup_slip_button",
                                       "Print a slip with the sign-up QR code")
        self.slip_button.clicked.connect(self.open_signup_slip)
        self.slip_button.hide()
        self.redeem_button = self.button(self.tr("&Redeem for this shopper"), "loyalty_redeem_button",
                                         "Redeem discounts for this shopper", auto_default=True)
        self.redeem_button.clicked.connect(self.redeem_requested)
        self.redeem_button.hide()
        return button_row(self.close_button, self.redeem_button, left=[self.slip_button])

    # -- from the cashier ----------------------------------------------------------------------

    def check_status(self) -> None:
        """Ask AIQ about the phone typed (also what Enter on the phone does)."""
        self._on_check_button_clicked()

    def _on_check_button_clicked(self) -> None:
        if self._vm.signing_up:
            return
        self.wallet_label.hide()
        self._vm.start_check_status(self.phone_edit.text())

    def _on_phone_edit_text_edited(self, _text: str) -> None:
        # An answer about the last number must not stand next to a different one.
        self.status_label.hide()
        self.wallet_label.hide()
        self.redeem_button.hide()  # it would go on with the number checked, not this one
        self.form.show()
        self._fit()

    def _on_form_submitted(self) -> None:
        # Also when "Sign up" is greyed: the view model refuses, sends nothing, and says what is missing.
        self._vm.start_sign_up(self.phone_edit.text(), **self.form.values())

    def _on_form_edited(self, *_args: object) -> None:
        agreed = self.form.agree_check.isChecked()
        self.form.sign_up_button.setEnabled(self._vm.can_sign_up(self.phone_edit.text(), agreed))

    def reject(self) -> None:  # Esc, Close or the window's close button
        if self._vm.busy and not self._vm.signing_up:
            self._vm.cancel()  # Esc first stops a lookup, like the counter window
            return
        if self._vm.signing_up:
            self.message_label.show_message(Level.INFO, self.tr(
                "Signing up with AIQ: wait for its answer before closing."))
            return
        super().reject()

    def _fit(self) -> None:
        # Shown or hidden parts change the layout only when it next runs: run it, then fit to it.
        # Wrapped labels need the height for the dialog's real width, not for a guessed one.
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        width = max(self.width(), self.minimumWidth())
        if layout.hasHeightForWidth():
            self.resize(width, layout.totalHeightForWidth(width))
        else:
            self.adjustSize()

    # -- from the view model -------------------------------------------------------------------

    def _on_vm_status_changed(self, line: str) -> None:
        status = self._vm.status
        self.status_label.setText(line)
        self.status_label.setVisible(bool(line))
        if status is not None:
            set_level(self.status_label, Level.OK if status.member else Level.WARNING)
        # A shopper who would rather sign up on their own phone takes the store's sign-up link home.
        self.slip_button.setVisible(bool(self._signup_url) and status is not None and not status.member)
        self.redeem_button.setVisible(self._can_redeem and status is not None and status.member)
        if not self._vm.signing_up:
            # A member needs no sign-up form; anyone else (or no answer) gets it.
            self.form.setVisible(status is None or not status.member)
            if status is not None and not status.member and self.form.agree_check.isEnabled():
                self.form.agree_check.setFocus()  # next: read the consent text, tick the box
            elif self.redeem_button.isVisible():
                self.redeem_button.setFocus()  # a member: Enter goes on with the sale for them
        self._fit()

    def open_signup_slip(self) -> None:
        """A slip with the store's sign-up QR code, to print or save as PDF."""
        from budtender_app.domain.receipt import build_receipt
        from budtender_app.ui.receipt.receipt_view import ReceiptView

        slip = QDialog(self)
        slip.setObjectName("signup_slip_dialog")
        slip.setWindowTitle(self.tr("Sign-up QR code"))
        self.slip_view = ReceiptView(slip)
        header = self._slip_header() if self._slip_header else None
        self.slip_view.set_receipt(build_receipt("", member=False, hide_points=True, signup_url=self._signup_url,
                                                 brand=self._brand, country=self._country, header=header),
                                   name="TRAINING-signup" if header and header.training else "signup")
        column = QVBoxLayout(slip)
        column.addWidget(self.slip_view)
        slip.finished.connect(slip.deleteLater)
        self.slip_dialog = slip
        slip.open()

    def _on_vm_message_changed(self, level: Level | str, text: str) -> None:
        self.message_label.show_message(level, text)
        self._fit()

    def _on_vm_busy_changed(self, text: str) -> None:
        self.busy_strip.show_busy(text, cancellable=bool(text) and not self._vm.signing_up)
        busy = bool(text)
        self.phone_edit.setReadOnly(busy)
        self.check_button.setEnabled(not busy)
        self.form.set_busy(busy)
        self._on_form_edited()

    def _on_vm_field_errors_changed(self, problems: dict[str, str]) -> None:
        self.phone_error_label.setText(problems.get("phone", ""))
        self.phone_error_label.setVisible("phone" in problems)
        self.form.show_errors(problems)
        self._fit()

    def _on_vm_signed_up(self, wallet: Wallet) -> None:
        self.wallet_label.setText(self.wallet_html(wallet))
        self.wallet_label.show()
        self.form.clear()  # the next shopper agrees, and is named, for themselves
        self.form.hide()  # done: the wallet is what matters now
        (self.redeem_button if self.redeem_button.isVisible() else self.close_button).setFocus()
        self._fit()

    def wallet_html(self, wallet: Wallet) -> str:
        """The opened wallet: its discounts (name and value), the balance unless the brand hides it."""
        title = self.tr("Welcome wallet")
        rows = "".join(
            f"<li><b>{_esc(d.name)}</b>{(' — ' + _esc(d.value_text)) if d.value_text else ''}</li>"
            for d in wallet.discounts)
        if not rows:
            rows = "<li>" + self.tr("No discounts in this wallet yet.") + "</li>"
        balance = "" if wallet.hide_points else "<p>" + self.tr("Balance: {points}").format(
            points=format_points(wallet.points)) + "</p>"
        note = self.tr("Opened without a PIN (the shopper just joined): show them what they can use today.")
        return (f"<p style='font-size:12pt'><b>{title}</b></p><ul style='margin:0'>{rows}</ul>{balance}"
                f"<p style='color:{PALETTE['wallet_note']}'>{note}</p>")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
