"""A lock while a popup is open (issue 13): the popup goes out of sight and out of reach, its
secret fields are wiped, and the next sign-in (by anyone) brings it back as it was; an AIQ answer
that arrives meanwhile is not lost."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from budtender_app.domain.flow import Step
from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import Role
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.settings_store import SettingsStore
from budtender_app.services.staff.store import StaffStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.counter.staff_wiring import StaffWiring
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.manager_pin import ManagerPinViewModel
from budtender_app.viewmodels.redemption import RedemptionViewModel
from budtender_app.viewmodels.settings import SettingsViewModel
from budtender_app.viewmodels.staff_session import IDLE_SECONDS, StaffSession
from tests.helpers import MovingTime, make_journal, wait_for_focus, wait_for_step
from tests.helpers.memory_keyring import MemoryKeyring

BASE = "https://simulator.invalid"
KEY = bytes(range(32))


class HeldTransport(SimulatorTransport):
    """The simulator's wire, whose answers wait while ``gate`` is set (an AIQ request in flight)."""

    gate: asyncio.Event | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            await self.gate.wait()
        return await super().handle_async_request(request)


async def no_test(_profile, _credentials) -> None:
    return None


@pytest_asyncio.fixture
async def counter(qtbot, tmp_path):
    time = MovingTime()
    with StaffStore(tmp_path / "staff.sqlite3", clock=time.clock(), lookup_key=KEY) as store:
        store.add("Dana Boss", Role.MANAGER, "2580", by=ChangeActor.command_line("it"))
        store.add("Sam Till", Role.CASHIER, "4971", by=ChangeActor.command_line("it"))
        wire = HeldTransport(Simulator(base_url=BASE, pin_source=lambda: "4321"))
        http = httpx.AsyncClient(transport=wire)
        journal = make_journal(tmp_path)
        session = StaffSession(store, time.clock())
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal,
                                 acting=session.actor)
        guard = ManagerPinGuard(SettingsStore())
        guard.set_pin("4826")
        settings_vm = SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), no_test)
        win = MainWindow(vm, training=True, location="test", settings_vm=settings_vm,
                         make_pin_vm=lambda: ManagerPinViewModel(guard))
        wiring = StaffWiring(win, session)
        qtbot.addWidget(win)
        win.show()
        win.activateWindow()
        qtbot.waitExposed(win)
        yield win, session, wiring, time, wire
        if wire.gate is not None:
            wire.gate.set()
        await vm.wait_idle()
        await http.aclose()
        journal.close()


async def sign_in(qtbot, wiring, passcode):
    await wait_for_focus(wiring.page.passcode_edit)
    qtbot.keyClicks(wiring.page.passcode_edit, passcode)
    qtbot.keyClick(wiring.page.passcode_edit, Qt.Key.Key_Return)
    await wiring.page._task


async def to_the_pin_popup(qtbot, win, wiring):
    await sign_in(qtbot, wiring, "4971")
    await wait_for_focus(win.cart_edit)
    qtbot.keyClicks(win.cart_edit, "42.00")
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F2)
    qtbot.keyClicks(QApplication.focusWidget(), "(555) 123-4567")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    await wait_for_step(win._vm, Step.PIN)
    await wait_for_focus(win.pin_dialog.pin_edit)
    return win.pin_dialog


def idle_lock(session, time):
    time.pass_(IDLE_SECONDS)
    session.check_idle()
    assert session.current is None


@pytest.mark.asyncio
async def test_an_idle_lock_hides_the_pin_popup_and_the_next_sign_in_brings_it_back(qtbot, counter):
    win, session, wiring, time, _wire = counter
    popup = await to_the_pin_popup(qtbot, win, wiring)
    intro = popup.intro_label.text()
    qtbot.keyClicks(popup.pin_edit, "43")
    idle_lock(session, time)
    assert not popup.isVisible() and wiring.page.isVisible()
    assert QApplication.activeModalWidget() is None, "no popup keeps the keyboard from the sign-in field"
    assert popup.pin_edit.text() == "", "the shopper's PIN does not outlive the lock"
    qtbot.keyClicks(popup.pin_edit, "4321")  # nobody can act in the popup unseen
    qtbot.keyClick(popup.pin_edit, Qt.Key.Key_Return)
    assert popup.pin_edit.text() == "" and win._vm.step is Step.PIN
    await sign_in(qtbot, wiring, "2580")  # anyone: the manager this time
    assert popup.isVisible() and popup.intro_label.text() == intro
    await wait_for_focus(popup.pin_edit)
    qtbot.keyClicks(popup.pin_edit, "4321")
    qtbot.keyClick(popup.pin_edit, Qt.Key.Key_Return)
    await wait_for_step(win._vm, Step.WALLET)
    assert not popup.isVisible()


@pytest.mark.asyncio
async def test_an_answer_that_arrives_while_locked_is_shown_after_sign_in(qtbot, counter):
    win, session, wiring, time, wire = counter
    popup = await to_the_pin_popup(qtbot, win, wiring)
    wire.gate = asyncio.Event()
    qtbot.keyClicks(popup.pin_edit, "1111")  # a wrong PIN, its answer held on the wire
    qtbot.keyClick(popup.pin_edit, Qt.Key.Key_Return)
    idle_lock(session, time)
    wire.gate.set()
    await win._vm.wait_idle()
    assert win._vm.step is Step.PIN and not popup.isVisible()
    refusal = popup.message_label.text()
    assert refusal, "the popup got AIQ's answer while out of sight"
    await sign_in(qtbot, wiring, "4971")
    assert popup.isVisible() and popup.message_label.text() == refusal


@pytest.mark.asyncio
async def test_a_popup_that_opens_while_locked_waits_for_the_sign_in(qtbot, counter):
    win, session, wiring, time, _wire = counter
    await sign_in(qtbot, wiring, "4971")
    idle_lock(session, time)
    late = QDialog(win)
    late.setObjectName("late_dialog")
    late.open()
    qtbot.waitUntil(lambda: not late.isVisible())
    assert QApplication.activeModalWidget() is None
    await sign_in(qtbot, wiring, "4971")
    assert late.isVisible()
    late.done(0)


@pytest.mark.asyncio
async def test_a_popup_its_owner_closed_while_locked_stays_closed(qtbot, counter):
    win, session, wiring, time, _wire = counter
    popup = await to_the_pin_popup(qtbot, win, wiring)
    idle_lock(session, time)
    popup.cancel_requested.emit()  # what Back would do: the sale goes back to the phone step
    await wait_for_step(win._vm, Step.PHONE)
    await sign_in(qtbot, wiring, "4971")
    assert not popup.isVisible() and wiring.hold.held == []


@pytest.mark.asyncio
async def test_a_manager_prompt_over_the_pin_popup_comes_back_over_it_without_the_pin(qtbot, counter):
    win, session, wiring, time, _wire = counter
    popup = await to_the_pin_popup(qtbot, win, wiring)
    qtbot.mouseClick(popup.skip_button, Qt.MouseButton.LeftButton)
    why = win.popups.skip_gate.dialog
    await wait_for_focus(why.manager_pin_edit)
    qtbot.keyClicks(why.manager_pin_edit, "4826")
    qtbot.keyClicks(why.reason_edit, "phone is dead, ID checked")
    idle_lock(session, time)
    assert not why.isVisible() and not popup.isVisible()
    assert why.manager_pin_edit.text() == "", "a manager's passcode does not outlive the lock"
    await sign_in(qtbot, wiring, "4971")
    assert popup.isVisible() and why.isVisible()
    assert why.reason_edit.text() == "phone is dead, ID checked"
    assert QApplication.activeModalWidget() is why, "the prompt is back on top of the PIN popup"


async def open_settings(qtbot, win, wiring):
    await sign_in(qtbot, wiring, "2580")
    await wait_for_focus(win.cart_edit)
    qtbot.keyClick(win.cart_edit, Qt.Key.Key_F12)
    ask = win.manager_dialog
    await wait_for_focus(ask.pin_edit)
    qtbot.keyClicks(ask.pin_edit, "4826")
    qtbot.keyClick(ask.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.manager_dialog is not None and win.manager_dialog is not ask)
    manager = win.manager_dialog
    assert manager.objectName() == "settings_dialog" and manager.isVisible()
    return manager


@pytest.mark.asyncio
async def test_a_managers_window_left_open_comes_back_to_a_manager(qtbot, counter):
    win, session, wiring, time, _wire = counter
    manager = await open_settings(qtbot, win, wiring)
    idle_lock(session, time)
    assert not manager.isVisible()
    await sign_in(qtbot, wiring, "2580")
    assert win.manager_dialog is manager and manager.isVisible()
    manager.done(0)


@pytest.mark.asyncio
async def test_a_managers_window_left_open_does_not_come_back_to_a_cashier(qtbot, counter):
    win, session, wiring, time, _wire = counter
    manager = await open_settings(qtbot, win, wiring)
    idle_lock(session, time)
    assert not manager.isVisible()
    await sign_in(qtbot, wiring, "4971")
    assert win.manager_dialog is None, "closed for the cashier: F12 asks a manager again"
    await wait_for_focus(win.cart_edit)


def test_the_texted_pin_question_counts_as_open_while_a_lock_holds_it_out_of_sight(qtbot):
    """popups.py closes it when the step leaves the phone: a held (hidden) question must still close."""
    from budtender_app.ui.counter.texted_pin_question import TextedPinQuestion

    question = TextedPinQuestion()
    qtbot.addWidget(question)
    question.ask("A PIN was texted 20 s ago: use that one?", 10)
    question.hide()  # what the lock does
    assert question.asking and not question.isVisible()
    question.done(0)
    assert not question.asking
