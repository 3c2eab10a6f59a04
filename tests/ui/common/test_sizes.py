"""Counter size on the real windows: 12 pt text, 44 px buttons and rows, nothing cut off or too wide.

The counter is driven through a whole sale at 1024x768 and at 1920x1080, in training and in real
mode; at every step each visible control is measured. Each dialog is measured as it opens.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QWidget,
)

from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level
from budtender_app.domain.redemption import Status
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.services.settings_store import SettingsStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.common.style import (
    BASE_POINTS,
    CONTENT_MAX_WIDTH,
    DIALOG_MAX_WIDTH,
    PALETTE,
    PRIMARY_NAMES,
    TOUCH_HEIGHT,
)
from budtender_app.ui.counter.pages import outcome_level
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from budtender_app.viewmodels.manager_pin import ManagerPinViewModel
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers import make_journal, wait_for_step
from tests.helpers.memory_keyring import MemoryKeyring

BASE = "https://simulator.invalid"
SMALL, LARGE = (1024, 768), (1920, 1080)
#: A 768 px screen less a task bar and a title bar: the tallest a dialog may be.
DIALOG_MAX_HEIGHT = 720
COUNTER = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")


@pytest_asyncio.fixture(params=[True, False], ids=["training", "real"])
async def counter(request, qtbot, tmp_path):
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    api = AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))
    vm = RedemptionViewModel(api, journal)
    pending_vm = PendingViewModel(journal, api, RedemptionSender(api, journal))
    consents = ConsentLog(Path(tmp_path) / "consents.sqlite3")
    win = MainWindow(vm, training=request.param, location="Training · try (555) 123-4567, (555) 987-6543 or "
                     "(555) 222-3333" if request.param else "Main St · till-1",
                     settings_vm=SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester),
                     make_pin_vm=lambda: ManagerPinViewModel(ManagerPinGuard(SettingsStore())),
                     pending_vm=pending_vm, counter=COUNTER,
                     make_loyalty_vm=lambda: LoyaltyViewModel(api, consents, COUNTER))
    qtbot.addWidget(win)
    yield win, vm, api, pending_vm, consents
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()
    consents.close()
    journal.close()


async def _tester(_profile, _credentials) -> None:
    return None


def _show(win: QWidget, size: tuple[int, int]) -> None:
    win.resize(*size)
    win.show()
    QApplication.processEvents()


def _visible(root: QWidget, kind: type) -> list:
    return [w for w in root.findChildren(kind) if w.isVisibleTo(root) and w.window() is root]


def _primary(button: QPushButton) -> bool:
    return button.property("kind") == "primary" or button.objectName() in PRIMARY_NAMES


def assert_counter_size(root: QWidget) -> None:
    """Every control a cashier reads or touches in ``root`` at counter size, and none cut off."""
    QApplication.processEvents()
    for button in _visible(root, QPushButton):
        assert button.height() >= TOUCH_HEIGHT, f"{button.objectName()} is {button.height()} px tall"
    for edit in _visible(root, QLineEdit) + _visible(root, QAbstractSpinBox):
        if isinstance(edit.parent(), QAbstractSpinBox):
            continue  # a date box's own line edit: the box is the field
        assert edit.height() >= TOUCH_HEIGHT, f"{edit.objectName()} is {edit.height()} px tall"
    for widget in _visible(root, QLabel) + _visible(root, QPushButton) + _visible(root, QLineEdit) + \
            _visible(root, QCheckBox) + _visible(root, QListWidget) + _visible(root, QTableWidget):
        assert widget.font().pointSizeF() >= BASE_POINTS, f"{widget.objectName()}: {widget.font().pointSizeF()} pt"
    for label in _visible(root, QLabel):
        if label.text() and not label.wordWrap() and label.width() > 0:
            assert label.width() >= label.minimumSizeHint().width(), f"{label.objectName()} cut off: {label.text()}"
    for area in _visible(root, QAbstractScrollArea):
        assert not area.horizontalScrollBar().isVisible(), f"{area.objectName()} scrolls sideways"


def assert_rows(table_or_list: QWidget) -> None:
    if isinstance(table_or_list, QTableWidget):
        heights = [table_or_list.rowHeight(r) for r in range(table_or_list.rowCount())]
    else:
        heights = [table_or_list.visualItemRect(table_or_list.item(r)).height() for r in range(table_or_list.count())]
    assert heights and min(heights) >= TOUCH_HEIGHT, f"{table_or_list.objectName()} rows: {heights}"


def assert_one_primary(win: MainWindow, expected: QPushButton | None) -> None:
    live = [b for b in _visible(win, QPushButton) if _primary(b) and b.isEnabled()]
    assert live == ([expected] if expected is not None else []), [b.objectName() for b in live]


def assert_dialog_fits(dialog: QWidget) -> None:
    QApplication.processEvents()
    assert dialog.isVisible()
    assert dialog.width() <= DIALOG_MAX_WIDTH and dialog.height() <= DIALOG_MAX_HEIGHT, \
        f"{dialog.objectName()} is {dialog.width()}x{dialog.height()}"
    assert dialog.minimumWidth() <= DIALOG_MAX_WIDTH and dialog.minimumSizeHint().width() <= DIALOG_MAX_WIDTH
    assert_counter_size(dialog)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["1024x768", "1920x1080"])
async def test_a_whole_sale_at_counter_size(counter, size):
    win, vm, *_ = counter
    _show(win, size)
    width = win.width()
    assert win.minimumWidth() <= SMALL[0] and win.minimumSizeHint().width() <= SMALL[0]
    win.cart_edit.setText("42.00")
    vm.set_cart_text("42.00")
    assert_counter_size(win)
    assert_one_primary(win, win.redeem_button)
    vm.start()
    assert_counter_size(win)
    assert_one_primary(win, win.phone_page.send_button)
    vm.submit_phone("(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    assert_dialog_fits(win.pin_dialog)
    vm.submit_pin("4321")
    await wait_for_step(vm, Step.WALLET)
    for offer in [o for o in vm.offers if o.usable][:2]:
        vm.toggle(offer.discount.id)
    assert_counter_size(win)
    assert_rows(win.wallet_page.offer_list)
    assert_rows(win.wallet_page.unusable_list)
    assert_one_primary(win, win.wallet_page.apply_button)
    vm.apply_selection()
    assert_counter_size(win)
    assert_rows(win.apply_page.table)
    assert_one_primary(win, win.apply_page.checkout_button)
    vm.start_checkout()
    assert_dialog_fits(win.checkout_dialog)
    vm.confirm_checkout("POS-1")
    await wait_for_step(vm, Step.DONE)
    assert_counter_size(win)
    assert_rows(win.done_page.table)
    assert_one_primary(win, win.done_page.new_sale_button)
    assert win.width() == width, "the window's width jumped between steps"


@pytest.mark.asyncio
async def test_on_a_wide_screen_the_counter_is_a_centred_column(counter):
    win, *_ = counter
    _show(win, LARGE)
    content, central = win.content, win.centralWidget()
    assert content.width() == CONTENT_MAX_WIDTH
    left = content.geometry().left()
    right = central.width() - content.geometry().right() - 1
    assert abs(left - right) <= 2 and left > 400
    assert win.banner.width() == central.width() or not win.banner.isVisible()  # the banner spans it all


@pytest.mark.asyncio
async def test_on_a_small_screen_the_column_fills_it(counter):
    win, *_ = counter
    _show(win, SMALL)
    assert win.content.width() >= SMALL[0] - 30


@pytest.mark.asyncio
async def test_the_done_banner_says_done_in_green(counter):
    win, vm, *_ = counter
    _show(win, SMALL)
    vm.set_cart_text("42.00")
    vm.start()
    vm.submit_phone("(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("4321")
    await wait_for_step(vm, Step.WALLET)
    vm.toggle(next(o for o in vm.offers if o.usable).discount.id)
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("POS-1")
    await wait_for_step(vm, Step.DONE)
    [label] = [each for each in win.done_page.outcome_labels.values() if each.isVisible()]
    assert label.property("level") == "ok" and "Done" in label.text()


@pytest.mark.parametrize(("statuses", "level"), [
    ([Status.REDEEMED, Status.REDEEMED], Level.OK),
    ([Status.REDEEMED, Status.NOT_SENT], Level.WARNING),
    ([Status.NOT_SENT, Status.UNKNOWN], Level.ERROR),
    ([Status.REJECTED, Status.REDEEMED], Level.ERROR),
    ([], Level.CLEAR),
])
def test_the_done_banner_is_as_loud_as_its_loudest_outcome(statuses, level):
    assert outcome_level(statuses) is level


@pytest.mark.asyncio
async def test_the_focus_ring_shows(counter, qtbot):
    win, *_ = counter
    _show(win, SMALL)
    win.activateWindow()
    win.cart_edit.setFocus()
    qtbot.waitUntil(win.cart_edit.hasFocus)
    picture = win.cart_edit.grab().toImage()
    assert picture.pixelColor(1, picture.height() // 2).name() == PALETTE["focus"]


@pytest.mark.asyncio
@pytest.mark.parametrize(("count", "words"), [(1, "1 redemption pending"), (2, "2 redemptions pending")])
async def test_the_status_bar_counts_in_words_and_is_not_cut_off(counter, count, words):
    win, *_ = counter
    _show(win, SMALL)
    win._on_vm_pending_changed(count)
    QApplication.processEvents()
    assert f"⚠ {count} pending" == win.pending_label.text()
    assert words in win.pending_label.toolTip() and "(s)" not in win.pending_label.toolTip()
    for label in (win.pending_label, win.location_label):
        assert label.geometry().right() < win.width()
        needed = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
        assert label.width() >= label.minimumSizeHint().width() and label.height() >= needed - 1


def test_no_screen_says_redemption_s():
    ui = Path(__file__).resolve().parents[3] / "budtender_app" / "ui"
    found = [f"{p.name}: {line.strip()}" for p in ui.rglob("*.py")
             for line in p.read_text(encoding="utf-8").splitlines()
             if "(s)" in line and not line.strip().startswith("#")]
    assert not found


@pytest.mark.asyncio
async def test_every_dialog_fits_a_1024x768_screen(counter):
    win, _vm, api, pending_vm, consents = counter
    from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog
    from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
    from budtender_app.ui.manager.pending_dialog import PendingDialog
    from budtender_app.ui.manager.settings_dialog import SettingsDialog
    from budtender_app.ui.manager.skip_pin_dialog import SkipPinDialog

    _show(win, SMALL)
    settings = SettingsDialog(SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester), win)
    pin = ManagerPinDialog(ManagerPinViewModel(ManagerPinGuard(SettingsStore())), "Type the manager PIN.", win)
    skip = SkipPinDialog("***-***-4567", win)
    pending = PendingDialog(pending_vm, win)
    loyalty = LoyaltyDialog(LoyaltyViewModel(api, consents, COUNTER), win, phone_text="(555) 444-1212")
    for dialog in (settings, pin, skip, pending, loyalty):
        dialog.open()
        assert_dialog_fits(dialog)
        if dialog is pending:
            for tab in (pending.refund_tab, pending.export_tab):
                pending.tabs.setCurrentWidget(tab)
                assert_dialog_fits(dialog)
        dialog.done(0)
    await pending_vm.wait_idle()


@pytest.mark.asyncio
async def test_with_someone_signed_in_nothing_in_the_status_bar_is_cut_off(counter, tmp_path):
    """Issue 13 at 1024x768: the signed-in name, Switch cashier, the manager buttons, the pending
    warning and the store line all fit, none squeezed or past the window's edge."""
    from budtender_app.domain.staff import Actor as ChangeActor
    from budtender_app.domain.staff import Role
    from budtender_app.services.staff.store import StaffStore
    from budtender_app.ui.counter.staff_wiring import StaffWiring
    from budtender_app.viewmodels.staff_session import StaffSession
    from tests.helpers import MovingTime

    win, *_ = counter
    time = MovingTime()
    with StaffStore(tmp_path / "staff.sqlite3", clock=time.clock(), lookup_key=bytes(range(32))) as store:
        store.add("Dana Boss", Role.MANAGER, "2580", by=ChangeActor.command_line("it"))
        store.add("Alexandra Montgomery", Role.CASHIER, "4971", by=ChangeActor.command_line("it"))
        session = StaffSession(store, time.clock())
        wiring = StaffWiring(win, session)
        if win.property("training") == "true":
            from budtender_app.startup import DEMO_SHOPPERS
            from budtender_app.ui.counter.staff_wiring import show_training_hints

            show_training_hints(win, session, shoppers=DEMO_SHOPPERS)
        _show(win, SMALL)
        assert await session.sign_in("4971")
        win._on_vm_pending_changed(2)
        QApplication.processEvents()
        for widget in (wiring.name_label, wiring.switch_button, win.settings_button, win.pending_button,
                       win.pending_label, win.location_label):
            assert widget.geometry().right() < win.width(), widget.objectName()
            assert widget.width() >= widget.minimumSizeHint().width(), widget.objectName()
        assert wiring.name_label.width() >= wiring.name_label.sizeHint().width()
        label = win.location_label
        assert label.height() >= label.heightForWidth(label.width()) - 1, "the store line is cut off"
