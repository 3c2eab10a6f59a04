"""Staff sign-in on the counter window (issue 13): the sign-in screen covers the counter, Enter
signs in, Ctrl+L switches cashier, and a sale in progress survives a lock."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from budtender_app.app import show_texted_pins
from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import ActorKind, Role
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.staff.store import StaffStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.counter.staff_wiring import StaffWiring, training_staff_note
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.first_setup import FirstSetup
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import make_journal, wait_for_focus, wait_for_step

BASE = "https://simulator.invalid"
KEY = bytes(range(32))


class Ticks:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def clock(self) -> Clock:
        moment = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        return Clock(wall=lambda: moment, ticks=lambda: self.seconds)


@pytest.fixture
def ticks():
    return Ticks()


@pytest.fixture
def store(tmp_path, ticks):
    with StaffStore(tmp_path / "staff.sqlite3", clock=ticks.clock(), lookup_key=KEY) as s:
        s.add("Dana Boss", Role.MANAGER, "2580", by=ChangeActor.command_line("it"))
        s.add("Sam Till", Role.CASHIER, "4971", by=ChangeActor.command_line("it"))
        yield s


@pytest_asyncio.fixture
async def signed(qtbot, store, ticks, tmp_path):
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    session = StaffSession(store, ticks.clock())
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal, acting=session.actor)
    win = MainWindow(vm, training=True, location="test")
    show_texted_pins(sim, win.banner)
    wiring = StaffWiring(win, session)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    yield win, session, wiring
    await vm.wait_idle()
    await http.aclose()
    journal.close()


def focused():
    return QApplication.focusWidget()


async def sign_in(qtbot, wiring, session, passcode):
    await wait_for_focus(wiring.page.passcode_edit)
    qtbot.keyClicks(wiring.page.passcode_edit, passcode)
    qtbot.keyClick(wiring.page.passcode_edit, Qt.Key.Key_Return)
    await wiring.page._task
    assert session.current is not None


@pytest.mark.asyncio
async def test_the_counter_starts_covered_and_a_passcode_signs_in(qtbot, signed):
    win, session, wiring = signed
    page = wiring.page
    assert page.isVisible() and page.title_label.text() == "Sign in"
    assert page.passcode_edit.echoMode() is page.passcode_edit.EchoMode.Password
    assert page.geometry().contains(win.content.geometry().center())
    assert page.geometry().top() > win.banner.geometry().top(), "the training banner stays readable"
    assert not win.cart_edit.isEnabled()
    qtbot.keyClick(page.passcode_edit, Qt.Key.Key_F12)  # a counter key while locked does nothing
    assert win.manager_dialog is None
    qtbot.keyClicks(page.passcode_edit, "9999")
    qtbot.keyClick(page.passcode_edit, Qt.Key.Key_Return)
    await page._task
    assert page.message_label.text() == "That passcode is not right."
    assert page.passcode_edit.text() == ""
    await sign_in(qtbot, wiring, session, "4971")
    assert not page.isVisible()
    assert wiring.name_label.text() == "Signed in: Sam Till"
    assert win._vm.acting().name == "Sam Till"
    await wait_for_focus(win.cart_edit)


@pytest.mark.asyncio
async def test_sign_in_put_on_a_window_already_shown_holds_its_keys_as_well(qtbot, store, ticks, tmp_path):
    # app.py puts sign-in on the window before it shows (the keys are watched from its show on);
    # put on a window already on screen, the keys are watched at once.
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    session = StaffSession(store, ticks.clock())
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal, acting=session.actor)
    win = MainWindow(vm, training=True, location="test")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    wiring = StaffWiring(win, session)
    qtbot.keyClick(wiring.page.passcode_edit, Qt.Key.Key_F12)  # a counter key while locked does nothing
    assert win.manager_dialog is None
    await sign_in(qtbot, wiring, session, "4971")
    await wait_for_focus(win.cart_edit)
    ticks.seconds += session.idle_seconds - 1
    qtbot.keyClicks(win.cart_edit, "4")  # someone at the counter: the idle time starts again
    ticks.seconds += session.idle_seconds - 1
    session.check_idle()
    assert session.current is not None and wiring.name_label.text() == "Signed in: Sam Till"
    await vm.wait_idle()
    await http.aclose()
    journal.close()


@pytest.mark.asyncio
async def test_a_sale_survives_switching_cashier(qtbot, signed):
    win, session, wiring = signed
    vm = win._vm
    await sign_in(qtbot, wiring, session, "4971")
    await wait_for_focus(win.cart_edit)
    qtbot.keyClicks(win.cart_edit, "42.00")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(focused(), "(555) 123-4567")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    await wait_for_step(vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    qtbot.keyClicks(focused(), "4321")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    await wait_for_step(vm, Step.WALLET)
    offers = win.wallet_page.offer_list
    await wait_for_focus(offers)
    qtbot.keyClick(offers, Qt.Key.Key_Space)
    picks = vm.selected_ids
    assert picks

    qtbot.keyClick(offers, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # Switch cashier
    assert session.current is None and wiring.page.isVisible()
    assert win._vm.acting().name == "Counter"
    await sign_in(qtbot, wiring, session, "2580")
    assert vm.step is Step.WALLET and vm.selected_ids == picks
    assert wiring.name_label.text() == "Signed in: Dana Boss"
    await wait_for_focus(offers)


@pytest.mark.asyncio
async def test_idle_time_locks_the_counter(qtbot, signed, ticks):
    win, session, wiring = signed
    await sign_in(qtbot, wiring, session, "4971")
    ticks.seconds += 300
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_1)  # a key press is use: the idle time starts again
    ticks.seconds += 599
    session.check_idle()
    assert not wiring.page.isVisible()
    ticks.seconds += 1
    session.check_idle()
    assert wiring.page.isVisible() and session.current is None
    assert "Locked after no use" in wiring.page.message_label.text()


# -- first-start setup -------------------------------------------------------------------------

@pytest_asyncio.fixture
async def fresh(qtbot, ticks, tmp_path):
    """A real terminal whose staff file has no manager."""
    with StaffStore(tmp_path / "fresh.sqlite3", clock=ticks.clock(), lookup_key=KEY) as store:
        sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
        http = httpx.AsyncClient(transport=SimulatorTransport(sim))
        journal = make_journal(tmp_path)
        session = StaffSession(store, ticks.clock())
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal,
                                 acting=session.actor)
        win = MainWindow(vm, training=False, location="test")
        wiring = StaffWiring(win, session, setup=FirstSetup(store) if FirstSetup.needed(store) else None)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        yield win, session, wiring, store
        await vm.wait_idle()
        await http.aclose()
        journal.close()


@pytest.mark.asyncio
async def test_a_terminal_with_no_manager_shows_the_setup_first_then_sign_in(qtbot, fresh):
    win, session, wiring, store = fresh
    setup = wiring.setup_page
    assert setup is not None and setup.isVisible() and not wiring.page.isVisible()
    assert setup.title_label.text() == "Set up this terminal"
    qtbot.keyClick(setup.name_edit, Qt.Key.Key_F12)  # settings (the old PIN's first visit) cannot come first
    assert win.manager_dialog is None
    await wait_for_focus(setup.name_edit)
    qtbot.keyClicks(setup.name_edit, "Robin Owner")
    qtbot.keyClick(setup.name_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(setup.passcode_edit, "2580")
    qtbot.keyClick(setup.passcode_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(setup.again_edit, "2581")
    qtbot.keyClick(setup.again_edit, Qt.Key.Key_Return)
    assert "not the same" in setup.message_label.text() and not store.has_manager()
    qtbot.keyClicks(setup.passcode_edit, "2580")
    qtbot.keyClicks(setup.again_edit, "2580")
    qtbot.keyClick(setup.again_edit, Qt.Key.Key_Return)
    assert store.has_manager()
    [event] = [e for e in store.events() if e.action == "added"]
    assert event.actor_kind is ActorKind.FIRST_START_SETUP
    assert not setup.isVisible() and wiring.setup_page is None
    assert wiring.page.isVisible()
    await sign_in(qtbot, wiring, session, "2580")
    assert session.actor().name == "Robin Owner"


@pytest.mark.asyncio
async def test_each_setup_field_has_its_label_and_its_alt_key_works_over_the_locked_counter(qtbot, fresh):
    from PySide6.QtWidgets import QLabel

    win, _session, wiring, _store = fresh
    setup = wiring.setup_page
    labels = {label.buddy(): label for label in setup.findChildren(QLabel) if label.buddy() is not None}
    assert [labels[e].text() for e in (setup.name_edit, setup.passcode_edit, setup.again_edit)] == [
        "Manager's &name", "&Passcode (4 to 8 digits)", "The same passcode &again"]
    for edit, label in labels.items():
        assert label.isVisible() and label.geometry().bottom() < edit.geometry().top(), "each label above its field"
    await wait_for_focus(setup.name_edit)
    qtbot.keyClick(setup.name_edit, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    await wait_for_focus(setup.again_edit)
    assert setup.name_edit.text() == "" and setup.again_edit.text() == "", "Alt+A moved, typed nothing"
    qtbot.keyClick(setup.again_edit, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    await wait_for_focus(setup.name_edit)
    assert win.manager_dialog is None


def test_the_setup_is_refused_once_a_manager_exists(store):
    setup = FirstSetup(store)
    assert not FirstSetup.needed(store)
    assert not setup.create("Grabber", "8642", "8642")
    assert "already set up" in setup.message[1]
    assert [m.name for m in store.list()] == ["Dana Boss", "Sam Till"]


def test_only_the_first_start_setup_makes_staff_accounts_in_the_gui():
    """No other screen or view model adds an account: none can make a manager on an empty terminal."""
    import pathlib

    root = pathlib.Path(__file__).parents[3] / "budtender_app"
    adders = sorted(str(p.relative_to(root)) for folder in ("ui", "viewmodels") for p in (root / folder).rglob("*.py")
                    if "first_start_setup()" in p.read_text() or "Role.MANAGER" in p.read_text())
    assert adders == ["viewmodels/first_setup.py"]


@pytest.mark.asyncio
async def test_the_training_banner_shows_the_demo_staffs_passcodes(signed):
    win = signed[0]
    win.banner.show_staff(training_staff_note())
    text = win.banner.text()
    assert "Trainee Cashier (2468)" in text and "Trainer Manager (1357)" in text
    assert text.startswith("TRAINING")


@pytest.mark.asyncio
async def test_the_first_sign_in_gives_the_keyboard_to_the_cart_total_not_the_trainers_button(qtbot, signed):
    win, session, wiring = signed
    win.banner.add_practice(lambda: None)
    await sign_in(qtbot, wiring, session, "4971")
    await wait_for_focus(win.cart_edit)


@pytest.mark.asyncio
async def test_managers_arriving_from_the_store_hub_end_the_setup_and_sign_in_opens(qtbot, fresh):
    _win, session, wiring, store = fresh
    assert wiring.setup_page is not None and wiring.setup_page.isVisible()
    session.recheck()  # a sync that changed nothing worth a setup: it stays
    assert wiring.setup_page is not None and wiring.setup_page.isVisible()
    store.add("Dana Boss", Role.MANAGER, "2580", by=ChangeActor.command_line("it"))  # as the sync writes it
    session.recheck()
    assert wiring.setup_page is None and wiring.page.isVisible()
    assert "came from the store hub" in wiring.page.message_label.text()
    await sign_in(qtbot, wiring, session, "2580")
    assert session.actor().name == "Dana Boss"
