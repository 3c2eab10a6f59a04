"""Every counter step and every dialog at 1024x768 and 1920x1080, in training and in real mode.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/sizes.py [OUT_DIR]

OUT_DIR defaults to /tmp/budtender-sizes; one PNG per screen, named MODE-SIZE-NN-screen.png (with
BUDTENDER_SHOTS=redemptions only the Redemptions window's, the Shift report tab among them). A
popup or dialog is drawn over the counter window it opens on, centred as a window manager puts
it, so each picture is what that screen shows: cut-off text, a dialog wider than the screen or
a column stretched across it show at a glance. Real mode is the real window (training=False)
against the simulator, so no real AIQ is called.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from budtender_app.domain.actor import Actor

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # the settings store writes here, not in ~

import httpx
import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtCore import QPoint, qInstallMessageHandler
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from budtender_app.app import make_event_loop, show_texted_pins
from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.services.settings_store import SettingsStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers import make_journal, screenshot_clock, wait_for_step
from tests.helpers.memory_keyring import MemoryKeyring

CASHIER = Actor("7", "Dana Cashier")

BASE = "https://simulator.invalid"
SCREENS = {"1024x768": (1024, 768), "1920x1080": (1920, 1080)}
COUNTER = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")
#: BUDTENDER_SHOTS=redemptions: only the Redemptions window's tabs.
ONLY = os.environ.get("BUDTENDER_SHOTS", "")
LINKS = ("https://lab.alpineiq.com/wallet/1234", "https://lab.alpineiq.com/join/1234")


async def settle() -> None:
    for _ in range(6):
        QApplication.processEvents()
        await asyncio.sleep(0)


class Shots:
    """Saves the window, or a dialog over it, as one screen's picture."""

    def __init__(self, out: Path, prefix: str, win: QWidget) -> None:
        self.out, self.prefix, self.win, self.count = out, prefix, win, 0

    async def save(self, name: str, dialog: QWidget | None = None) -> None:
        await settle()
        picture = self.win.grab()
        if dialog is not None:
            over = dialog.grab()
            painter = QPainter(picture)
            painter.fillRect(picture.rect(), QColor(0, 0, 0, 60))  # the window behind, dimmed
            at = QPoint(max(0, (picture.width() - over.width()) // 2), max(0, (picture.height() - over.height()) // 2))
            painter.drawPixmap(at, over)
            painter.setPen(QColor("#444444"))
            painter.drawRect(at.x() - 1, at.y() - 1, over.width() + 1, over.height() + 1)
            painter.end()
            if over.width() > picture.width() or over.height() > picture.height():
                print(f"TOO BIG: {name} {over.width()}x{over.height()} on {picture.width()}x{picture.height()}")
        self.count += 1
        path = self.out / f"{self.prefix}-{self.count:02d}-{name}.png"
        picture.save(str(path))


def build(training: bool, clock) -> tuple[MainWindow, RedemptionViewModel, Simulator, httpx.AsyncClient, object]:
    sim = Simulator(base_url=BASE, pin_source=lambda: "4821", clock=clock.epoch)
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(Path(tempfile.mkdtemp()), store="Main St", clock=clock)
    api = AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))
    vm = RedemptionViewModel(api, journal, clock=clock)
    pending_vm = PendingViewModel(journal, api, RedemptionSender(api, journal), clock=clock)
    location = ("Training · shoppers (555) 123-4567, 987-6543, 222-3333" if training
                else "Main St · till-1 · Green Leaf")
    consents = ConsentLog(Path(tempfile.mkdtemp()) / "consents.sqlite3")
    win = MainWindow(vm, training=training, location=location, pending_vm=pending_vm,
                     make_pin_vm=lambda: _pin_vm(), counter=COUNTER, receipt_links=LINKS,
                     make_loyalty_vm=lambda: LoyaltyViewModel(api, consents, COUNTER),
                     settings_vm=SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester))
    return win, vm, sim, http, (journal, api, pending_vm)


async def _tester(_profile, _creds) -> None:
    await asyncio.sleep(0)


def _pin_vm():
    from budtender_app.viewmodels.manager_pin import ManagerPinViewModel

    return ManagerPinViewModel(ManagerPinGuard(SettingsStore()))


async def counter_steps(shots: Shots, win: MainWindow, vm: RedemptionViewModel) -> None:
    win.cart_edit.setText("42.00")
    vm.set_cart_text("42.00")
    await shots.save("cart")
    vm.start()
    win.phone_page.phone_edit.setText("(555) 123-4567")
    await shots.save("phone")
    vm.submit_phone("(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    win.pin_dialog.pin_edit.setText("48")
    await shots.save("pin-popup", win.pin_dialog)
    vm.submit_pin("4821")
    await wait_for_step(vm, Step.WALLET)
    for offer in [o for o in vm.offers if o.usable][:2]:
        vm.toggle(offer.discount.id)
    await shots.save("wallet")
    vm.apply_selection()
    await shots.save("apply")
    vm.start_checkout()
    win.checkout_dialog.transaction_edit.setText("POS-2026-11-22-0042")
    await shots.save("checkout-popup", win.checkout_dialog)
    vm.confirm_checkout("POS-2026-11-22-0042")
    await wait_for_step(vm, Step.DONE)
    await shots.save("done")
    vm.new_sale()
    await settle()


async def handoff_steps(shots: Shots, win: MainWindow, vm: RedemptionViewModel) -> None:
    """Issue 14: the POS handed the sale over (total, transaction, the online order's reward)."""
    from budtender_app.domain.handoff import from_fields

    win.take_handoff(from_fields("42.50", "POS-77001", ["POS-5OFF"]))
    await shots.save("handoff-filled")
    vm.start()
    vm.submit_phone("(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("4821")
    await wait_for_step(vm, Step.WALLET)
    await shots.save("handoff-preselected")
    vm.apply_selection()
    vm.start_checkout()
    await shots.save("handoff-checkout", win.checkout_dialog)
    vm.cancel()
    vm.abandon()
    await settle()


async def manager_dialogs(shots: Shots, win: MainWindow, services) -> None:
    from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
    from budtender_app.ui.manager.settings_dialog import SettingsDialog
    from budtender_app.viewmodels.manager_pin import ManagerPinViewModel

    settings = SettingsDialog(SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester), win)
    settings.open()
    await shots.save("settings", settings)
    settings.done(0)
    ask = ManagerPinDialog(ManagerPinViewModel(ManagerPinGuard(SettingsStore())),
                           "Type the manager PIN to open the AIQ settings.", win)
    ask.open()
    await shots.save("manager-pin", ask)
    ask.done(0)
    from budtender_app.ui.manager.skip_pin_dialog import SkipPinDialog

    skip = SkipPinDialog("***-***-4567", win)
    skip.open()
    await shots.save("manager-skip-pin", skip)
    skip.done(0)
    await redemptions(shots, win, services)


async def redemptions(shots: Shots, win: MainWindow, services) -> None:
    from budtender_app.ui.manager.pending_dialog import PendingDialog

    journal, api, pending_vm = services
    wallet = await api.wallet(parse_phone(DEMO_PHONE))
    [lost] = journal.queue("POS-1042", wallet.discounts[:1], staff=CASHIER, shopper_masked="***-***-4567",
                           contact_id=wallet.contact_id)
    journal.mark_sending(lost.id)
    journal.mark_unknown(lost.id, "AIQ did not answer in time. The points may or may not have been taken: "
                                  "do not redeem again; ask a manager to check.")
    pending_vm.refresh()
    dialog = PendingDialog(pending_vm, win)
    dialog.open()
    await shots.save("redemptions-pending", dialog)
    dialog.tabs.setCurrentWidget(dialog.refund_tab)
    dialog.refund_tab.transaction_edit.setText("POS-2026-11-22-0042")
    dialog.refund_tab.find_button.click()
    await shots.save("redemptions-refund", dialog)
    dialog.tabs.setCurrentWidget(dialog.export_tab)
    await shots.save("redemptions-export", dialog)
    await shift_report(shots, dialog, journal, wallet)
    dialog.done(0)


async def shift_report(shots: Shots, dialog, journal, wallet) -> None:
    """The Shift report tab over a day with two cashiers, a repeat shopper and PIN skips."""
    other = Actor("8", "Sam Cashier")
    for n in range(3):
        rows = journal.queue(f"POS-20{n}", wallet.discounts[1:2], staff=CASHIER, shopper_masked="***-***-4567",
                             contact_id=wallet.contact_id)
        for row in rows:
            journal.mark_sending(row.id)
            journal.mark_redeemed(row.id, f"aiq-{n}")
    for _ in range(2):
        journal.record_event("pin_skipped", staff=other, approver=Actor("2", "Max Manager"), detail="no phone")
    dialog.tabs.setCurrentWidget(dialog.report_tab)
    dialog.report_tab.date_edit.setDate(dialog.report_tab.date_edit.date().addDays(-1))
    dialog.report_tab.date_edit.setDate(dialog.report_tab.date_edit.maximumDate())
    dialog.report_tab.flags_tree.expandAll()
    await shots.save("redemptions-shift-report", dialog)


async def loyalty_dialogs(shots: Shots, win: MainWindow, http: httpx.AsyncClient) -> None:
    from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog

    consents = ConsentLog(Path(tempfile.mkdtemp()) / "consents.sqlite3")
    vm = LoyaltyViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), consents, COUNTER)
    dialog = LoyaltyDialog(vm, win, signup_url=LINKS[1], brand=COUNTER.brand)
    dialog.open()
    dialog.phone_edit.setText("(555) 123-4567")
    await vm.check_status(dialog.phone_edit.text())
    await shots.save("loyalty-member", dialog)
    dialog.phone_edit.setText("(555) 444-1212")
    await vm.check_status(dialog.phone_edit.text())
    await shots.save("loyalty-sign-up", dialog)
    dialog.open_signup_slip()
    await shots.save("receipt-sign-up-slip", dialog.slip_dialog)
    dialog.slip_dialog.done(0)
    dialog.done(0)
    consents.close()


async def staff_screens(out: Path, training: bool, size: str) -> None:
    """Issue 13: the first-start setup (a real terminal with no manager) and the sign-in screen."""
    from budtender_app.domain.staff import TRAINING_STAFF, ActorKind
    from budtender_app.domain.staff import Actor as ChangeActor
    from budtender_app.services.staff.lookup import TRAINING_LOOKUP_KEY
    from budtender_app.services.staff.store import StaffStore
    from budtender_app.ui.counter.staff_wiring import StaffWiring, show_training_hints
    from budtender_app.viewmodels.first_setup import FirstSetup
    from budtender_app.viewmodels.staff_session import StaffSession

    clock = screenshot_clock()
    win, vm, _sim, http, _services = build(training, clock)
    store = StaffStore(Path(tempfile.mkdtemp()) / "staff.sqlite3", clock=clock, lookup_key=TRAINING_LOOKUP_KEY)
    if training:
        store.seed(TRAINING_STAFF, by=ChangeActor(ActorKind.TRAINING, "training"))
    session = StaffSession(store, clock)
    wiring = StaffWiring(win, session, setup=None if training else FirstSetup(store))
    if training:
        from budtender_app.startup import DEMO_SHOPPERS

        show_training_hints(win, session, shoppers=DEMO_SHOPPERS)
    win.resize(*SCREENS[size])
    win.show()
    shots = Shots(out, f"{'training' if training else 'real'}-{size}-staff", win)
    if wiring.setup_page is not None:
        wiring.setup_page.name_edit.setText("Robin Owner")
        wiring.setup_page.passcode_edit.setText("2580")
        await shots.save("first-start-setup")
        wiring.setup_page.again_edit.setText("2580")
        wiring.setup_page.submit()
    await shots.save("sign-in")
    await session.sign_in("9999")
    await shots.save("sign-in-wrong")
    await session.sign_in("2468" if training else "2580")
    await shots.save("signed-in")
    if training:
        await switching_cashier(shots, win, vm, session)
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()
    store.close()


async def switching_cashier(shots: Shots, win: MainWindow, vm: RedemptionViewModel, session) -> None:
    """Issue 13: a manager approves over the cashier's session, then Switch cashier mid-sale."""
    from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
    from budtender_app.viewmodels.manager_approval import ApprovalPrompt, ManagerApproval

    approval = ManagerApproval(session)
    prompt = ApprovalPrompt(approval)
    ask = ManagerPinDialog(prompt, "A manager approves opening Redemptions: pending redemptions, points given "
                                   "back, the export for auditors and the shift report.", win)
    ask.open()
    prompt.submit("2468")  # the cashier's own: refused with a wrong passcode's words
    await shots.save("manager-approval", ask)
    ask.done(0)
    win.cart_edit.setText("42.50")
    vm.set_cart_text("42.50")
    vm.finish_cart_edit()
    session.lock()  # Ctrl+L: Switch cashier, the sale stays
    await shots.save("switch-cashier")


async def shoot(out: Path, training: bool, size: str) -> None:
    clock = screenshot_clock()
    win, vm, sim, http, services = build(training, clock)
    relay = show_texted_pins(sim, win.banner) if training else None  # noqa: F841 - kept alive for the run
    win.resize(*SCREENS[size])
    win.show()
    await settle()
    if win.size() != QPixmap(*SCREENS[size]).size():
        print(f"window is {win.width()}x{win.height()} on a {size} screen")
    shots = Shots(out, f"{'training' if training else 'real'}-{size}", win)
    if ONLY == "redemptions":  # one window's pictures, quickly (the Redemptions window's tabs)
        await redemptions(shots, win, services)
    else:
        await counter_steps(shots, win, vm)
        await handoff_steps(shots, win, vm)
        await manager_dialogs(shots, win, services)
        await loyalty_dialogs(shots, win, http)
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()


def _quiet(mode, context, message: str) -> None:
    if "propagateSizeHints" not in message:  # the offscreen platform says it at every window
        print(message, file=sys.stderr)


def main() -> int:
    qInstallMessageHandler(_quiet)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/budtender-sizes")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        for training in (True, False):
            for size in SCREENS:
                runner.run(shoot(out, training, size))
                runner.run(staff_screens(out, training, size))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
