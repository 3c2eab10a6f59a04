"""The counter when the journal cannot write AIQ's answer (disk full): the step ends and says
unknown, instead of staying in "Redeeming…" saying "Nothing more was sent"."""

from __future__ import annotations

import pytest

from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.domain.redemption import Status
from budtender_app.services.journal import Journal, JournalLock, State
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import wait_for_step
from tests.helpers.fake_aiq import NOW, FakeAiq
from tests.helpers.faults import FullDisk

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = [pytest.mark.asyncio, pytest.mark.logs_expected(r"could not journal AIQ's answer for redemption")]


async def test_a_full_disk_after_aiq_answered_leaves_redeeming_and_says_ask_a_manager(tmp_path):
    class Disk(FullDisk):
        pass

    path = tmp_path / "journal.sqlite3"
    journal = Journal(path, store="s", terminal="t", clock=Clock.fixed(NOW), lock=JournalLock(path).acquire(),
                      connection_class=Disk)

    class Api(FakeAiq):
        async def redeem(self, url, txid):
            Disk.full = True  # AIQ takes the points; the disk fills before the answer is written
            return await super().redeem(url, txid)

    async def sleep(_seconds):
        Disk.full = False

    api = Api()
    vm = RedemptionViewModel(api, journal, clock=Clock.fixed(NOW), sleep=sleep)
    vm.set_cart_text("50")
    vm.start()
    vm.submit_phone("555-123-4567")
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("1234")
    await wait_for_step(vm, Step.WALLET)
    vm.toggle("a")
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("T-1")
    await wait_for_step(vm, Step.DONE)
    assert [o.status for o in vm.outcomes] == [Status.UNKNOWN]
    assert "ask a manager" in vm.outcomes[0].message
    assert "Nothing more was sent" not in vm.message[1]
    await vm.redemption_sender.wait_writes()  # the answer, written once there is room again
    assert [e.state for e in journal.for_transaction("T-1")] == [State.REDEEMED]
    assert len(api.redeems) == 1
    journal.close()
