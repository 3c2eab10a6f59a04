"""The manager gate over a cashier's session, attacked: an approval must never outlive what it opened."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import Role
from budtender_app.services.staff.store import StaffStore
from budtender_app.ui.manager.gate import ManagerGate
from budtender_app.viewmodels.manager_approval import ApprovalPrompt, ManagerApproval
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import MovingTime

KEY = bytes(range(32))
IT = ChangeActor.command_line("it")


@pytest.fixture
def approval(tmp_path, qtbot):
    now = MovingTime()
    with StaffStore(tmp_path / "staff.sqlite3", clock=now.clock(), lookup_key=KEY) as store:
        store.add("Dana Boss", Role.MANAGER, "2580", by=IT)
        sam = store.add("Sam Till", Role.CASHIER, "4971", by=IT)
        session = StaffSession(store, now.clock())
        session.current = store.get(sam.id)  # a cashier works the counter
        yield ManagerApproval(session)


@pytest.fixture
def owner(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def test_an_action_that_fails_after_the_managers_passcode_leaves_no_approval_behind(qtbot, approval, owner):
    gate = ManagerGate(lambda: ApprovalPrompt(approval), owner, approval=approval)

    def boom():
        raise RuntimeError("the guarded window could not be built")

    assert gate.open("A manager approves.", boom, owner)
    qtbot.keyClicks(gate.dialog.pin_edit, "2580")
    with qtbot.capture_exceptions() as raised:
        qtbot.keyClick(gate.dialog.pin_edit, Qt.Key.Key_Return)
    assert raised, "the failure itself is not hidden"
    assert approval.approver() is None, "the cashier keeps the manager's approval"
    assert gate.dialog is None
