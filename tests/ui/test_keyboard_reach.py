"""Every dialog works from the keyboard: one Alt letter per control, and Tab walks it in reading order.

A cashier or manager with no mouse (or a till whose touch screen died) must reach every control,
and an Alt letter that two controls share only ever reaches the first of them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QTabBar,
    QTabWidget,
    QWidget,
)

from budtender_app.domain.consent import CounterInfo
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.manager_pin import ManagerPinGuard
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.services.settings_store import SettingsStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from budtender_app.viewmodels.manager_pin import ManagerPinViewModel
from budtender_app.viewmodels.pending import PendingViewModel
from budtender_app.viewmodels.settings import SettingsViewModel
from budtender_app.viewmodels.training import TrainingViewModel
from tests.helpers import make_journal
from tests.helpers.memory_keyring import MemoryKeyring

BASE = "https://simulator.invalid"
COUNTER = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")
#: Pixels two widgets may be out of line and still count as one row (a caption beside its field).
SAME_ROW = 12


async def _tester(_profile, _credentials) -> None:
    return None


@pytest_asyncio.fixture
async def makers(qtbot, tmp_path) -> Iterator[dict[str, Callable[[QWidget], QDialog]]]:
    """Each dialog of the app by name, made over a parent window (a tab of one: "name:tab")."""
    from budtender_app.ui.counter.checkout_dialog import CheckoutDialog
    from budtender_app.ui.counter.pin_dialog import PinDialog
    from budtender_app.ui.counter.training_faults import TrainingFaultsDialog
    from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog
    from budtender_app.ui.manager.manager_pin_dialog import ManagerPinDialog
    from budtender_app.ui.manager.pending_dialog import PendingDialog
    from budtender_app.ui.manager.settings_dialog import SettingsDialog
    from budtender_app.ui.manager.skip_pin_dialog import SkipPinDialog

    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path)
    api = AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))
    pending_vm = PendingViewModel(journal, api, RedemptionSender(api, journal))
    consents = ConsentLog(Path(tmp_path) / "consents.sqlite3")
    guard = ManagerPinGuard(SettingsStore())
    yield {
        "settings": lambda p: SettingsDialog(
            SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester), p),
        "settings:stores": lambda p: _with_hub(SettingsDialog, p, hub_tab=False),
        "settings:hub": lambda p: _with_hub(SettingsDialog, p, hub_tab=True),
        "manager_pin": lambda p: ManagerPinDialog(ManagerPinViewModel(guard), "Type the manager PIN.", p),
        "skip_pin": lambda p: SkipPinDialog("***-***-4567", p, pin_vm=ManagerPinViewModel(guard)),
        "pending:pending": lambda p: _tab(PendingDialog(pending_vm, p), "pending_tab"),
        "pending:refund": lambda p: _tab(PendingDialog(pending_vm, p), "refund_tab"),
        "pending:export": lambda p: _tab(PendingDialog(pending_vm, p), "export_tab"),
        "loyalty": lambda p: LoyaltyDialog(LoyaltyViewModel(api, consents, COUNTER), p, phone_text="(555) 444-1212"),
        "checkout": lambda p: CheckoutDialog("2 discounts, $12.00 off", p),
        "pin_popup": lambda p: PinDialog("***-***-4567", p),
        "training_problems": lambda p: TrainingFaultsDialog(TrainingViewModel(sim.faults), p),
    }
    await pending_vm.wait_idle()
    await http.aclose()
    consents.close()
    journal.close()


def _with_hub(make, parent: QWidget, *, hub_tab: bool) -> QDialog:
    """The settings with their Store hub page (app.py gives it one; psycopg is needed for it)."""
    from budtender_app.services.hub.config import HubConfig
    from budtender_app.viewmodels.hub_settings import HubSettingsViewModel

    keys = CredentialStore(MemoryKeyring())
    vm = SettingsViewModel(SettingsStore(), keys, _tester)
    vm.hub_page = lambda: HubSettingsViewModel(HubConfig(keys))
    dialog = make(vm, parent)
    if hub_tab:
        dialog.tabs.setCurrentWidget(dialog.hub_page)
    return dialog


def _tab(dialog: QDialog, tab: str) -> QDialog:
    tabs = dialog.findChild(QTabWidget)
    if tab != "pending_tab":
        tabs.setCurrentWidget(getattr(dialog, tab))
    return dialog


DIALOGS = ["settings", "settings:stores", "settings:hub", "manager_pin", "skip_pin", "pending:pending",
           "pending:refund", "pending:export", "loyalty", "checkout", "pin_popup", "training_problems"]


@pytest_asyncio.fixture(params=DIALOGS)
async def dialog(request, qtbot, makers) -> Iterator[QDialog]:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(1024, 768)
    parent.show()
    dlg = makers[request.param](parent)
    dlg.open()
    qtbot.waitExposed(dlg)
    QApplication.processEvents()
    yield dlg
    dlg.done(0)


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def _mnemonics(window: QWidget) -> list[tuple[str, str]]:
    """(letter, who) for every Alt letter in the window: buttons, labels' buddies, tabs."""
    mine = [w for w in window.findChildren(QWidget) if w.window() is window and w.isVisibleTo(window)]
    found = [(_mnemonic(w.text()), w.objectName()) for w in mine if isinstance(w, QAbstractButton)]
    found += [(_mnemonic(w.text()), w.buddy().objectName()) for w in mine
              if isinstance(w, QLabel) and w.buddy() is not None]
    found += [(_mnemonic(bar.tabText(i)), f"tab {bar.tabText(i)}") for bar in window.findChildren(QTabBar)
              for i in range(bar.count())]
    return [(letter, who) for letter, who in found if letter]


def _hidden_parts(window: QWidget) -> list[QWidget]:
    """What shows later (an inline confirm): its Alt letters count too, so show it for the check."""
    return [w for w in window.findChildren(QWidget) if w.objectName() == "refused_key_confirm"]


@pytest.mark.asyncio
async def test_no_two_controls_in_a_dialog_share_an_alt_letter(dialog):
    for part in _hidden_parts(dialog):
        part.show()
    letters = _mnemonics(dialog)
    twice = {letter for letter, count in Counter(letter for letter, _ in letters).items() if count > 1}
    assert not twice, [(letter, who) for letter, who in letters if letter in twice]


def _is_stop(widget: QWidget, window: QWidget) -> bool:
    return (widget.window() is window and widget.isVisible() and widget.isEnabled()
            and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and widget.focusProxy() is None)


def _walk_tab(window: QWidget, qtbot) -> list[QWidget]:
    """The widgets Tab visits from the first one, until it comes back round."""
    window.activateWindow()
    start = next(w for w in _chain(window) if _is_stop(w, window))
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus)
    visited = [start]
    for _ in range(200):
        window.focusNextChild()
        QApplication.processEvents()
        now = QApplication.focusWidget()
        if now is start or now is None:
            break
        visited.append(now)
    return visited


def _chain(window: QWidget) -> list[QWidget]:
    chain, widget = [], window.nextInFocusChain()
    while widget is not window and widget not in chain:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def _where(widget: QWidget) -> tuple[int, int, int, int]:
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    return top_left.x(), top_left.y(), top_left.x() + widget.width(), top_left.y() + widget.height()


def _backwards(before: QWidget, after: QWidget) -> bool:
    """Tab went up and to the left: against reading order (a jump up to the next column is fine)."""
    left, top, right, _ = _where(before)
    new_left, new_top, _, _ = _where(after)
    upwards = new_top < top - SAME_ROW
    same_row_leftwards = abs(new_top - top) <= SAME_ROW and new_left < left
    return (upwards and new_left < right) or same_row_leftwards


#: Dialogs whose Tab order is wrong today, in files other helpers own (issue 12): the test turns
#: red ("XPASS strict") the day one is fixed, so it is taken off this list.
TAB_ORDER_KNOWN_WRONG: dict[str, str] = {}
#: Orders chosen on purpose, pinned by their own test: the PIN, then Open wallet, then the rest
#: (tests/ui/counter/test_pin_popup_keys.py). Reach and once-each still hold for them.
TAB_ORDER_BY_DESIGN = {"pin_popup"}


@pytest.mark.asyncio
async def test_tab_visits_every_control_once_in_reading_order(dialog, qtbot, request):
    known = TAB_ORDER_KNOWN_WRONG.get(request.node.callspec.id)
    if known:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=known))
    stops = [w for w in _chain(dialog) if _is_stop(w, dialog)]
    visited = _walk_tab(dialog, qtbot)
    names = [w.objectName() or type(w).__name__ for w in visited]
    assert len(set(visited)) == len(visited), f"Tab visits one twice: {names}"
    missed = [w.objectName() or type(w).__name__ for w in stops if w not in visited]
    assert not missed, f"Tab never reaches {missed}"
    if request.node.callspec.id in TAB_ORDER_BY_DESIGN:
        return
    # Round the whole cycle, Tab goes back up-left once: from the last control to the first.
    cycle = [*visited, visited[0]]
    wrong = [(names[i], names[(i + 1) % len(names)]) for i in range(len(visited)) if _backwards(cycle[i], cycle[i + 1])]
    assert len(wrong) <= 1, f"Tab goes back up or left: {wrong} in {names}"
