"""Issue 13 attacked the way a dishonest cashier and a careless store would (session 6)."""

from __future__ import annotations

import logging

import pytest

from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import Role
from budtender_app.services.staff.store import StaffStore
from budtender_app.viewmodels.manager_approval import ManagerApproval
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import MovingTime

KEY = bytes(range(32))
IT = ChangeActor.command_line("it")


@pytest.fixture
def now():
    return MovingTime()


@pytest.fixture
def store(tmp_path, now):
    with StaffStore(tmp_path / "staff.sqlite3", clock=now.clock(), lookup_key=KEY) as s:
        s.add("Dana Boss", Role.MANAGER, "2580", by=IT)
        s.add("Lee Second", Role.MANAGER, "3691", by=IT)
        s.add("Sam Till", Role.CASHIER, "4971", badge="004200420042", by=IT)
        yield s


@pytest.fixture
def session(store, now):
    return StaffSession(store, now.clock())


@pytest.mark.asyncio
async def test_a_numeric_badge_a_barcode_reader_types_signs_in(session):
    """Most barcode badges are digits only: such a scan is not a passcode and must find its badge."""
    assert await session.sign_in("004200420042\r\n")
    assert session.current.name == "Sam Till"


@pytest.mark.asyncio
async def test_a_manager_removed_while_their_approval_is_open_approves_nothing_more(session, store):
    approval = ManagerApproval(session)
    assert await session.sign_in("4971")
    lee = store.find("Lee Second")
    approval.grant(lee)
    store.remove(lee.id, by=IT)
    assert approval.approver() is None


@pytest.mark.asyncio
async def test_a_manager_demoted_while_signed_in_approves_nothing_more(session, store):
    approval = ManagerApproval(session)
    assert await session.sign_in("3691")
    store.set_role(store.find("Lee Second").id, Role.CASHIER, by=IT)
    assert approval.approver() is None


@pytest.mark.asyncio
async def test_a_sign_in_over_someone_signed_in_ends_what_they_had_approved(session, store):
    """Whoever signs in next never inherits an approval: the switch is a sign-out for everyone listening."""
    approval = ManagerApproval(session)
    revoked = []
    approval.revoked.connect(lambda: revoked.append(True))
    assert await session.sign_in("4971")
    approval.grant(store.find("Lee Second"))
    assert await session.sign_in("2580")  # Dana signs in over Sam without a lock between
    assert revoked == [True]
    approval.end()  # what Dana opens now is hers alone
    assert await session.sign_in("4971")
    assert approval.approver() is None


@pytest.mark.asyncio
async def test_no_passcode_or_badge_reaches_the_log_even_at_debug(session, store, caplog, tmp_path):
    from budtender_app.viewmodels.manager_approval import ApprovalPrompt

    caplog.set_level(logging.DEBUG)
    approval = ManagerApproval(session)
    for typed in ("9137", "004200420042", "NOT-A-BADGE-77", "4971"):
        await session.sign_in(typed)
    prompt = ApprovalPrompt(approval)
    for typed in ("8642", "4971", "2580"):
        prompt.submit(typed)
    assert approval.approver().name == "Dana Boss"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("9137", "0042004200", "NOT-A-BADGE", "4971", "8642", "2580"):
        assert secret not in logged
    written = (tmp_path / "staff.sqlite3").read_bytes()
    for secret in (b"004200420042", b"NOT-A-BADGE"):
        assert secret not in written


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"refused: no manager approved it")
async def test_a_cashier_cannot_save_the_shift_report_file_by_calling_the_view_model(session, store, tmp_path):
    """The report names every staff member's figures and the flagged shoppers: like the auditors'
    export, the file is a manager's act, checked where it is written."""
    from budtender_app.domain.messages import Level
    from budtender_app.domain.staff import NEEDS_MANAGER
    from budtender_app.viewmodels.manager_approval import ApprovalPrompt
    from budtender_app.viewmodels.pending import PendingViewModel
    from tests.helpers import make_journal
    from tests.helpers.fake_aiq import CLOCK, FakeAiq

    approval = ManagerApproval(session)
    assert await session.sign_in("4971")
    with make_journal(tmp_path, clock=CLOCK) as journal:
        vm = PendingViewModel(journal, FakeAiq(), None, clock=CLOCK, acting=session.actor,
                              approving=approval.approver).shift_report
        assert vm.load(CLOCK.today()) is not None
        target = tmp_path / "report.csv"
        assert not vm.save_csv(target)
        assert vm.message == (Level.ERROR, NEEDS_MANAGER) and not target.exists()
        ApprovalPrompt(approval).submit("2580")
        assert vm.save_csv(target) and target.exists()
