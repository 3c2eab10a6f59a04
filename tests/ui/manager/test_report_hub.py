"""The Shift report tab's "Whole store (hub)", against a real PostgreSQL hub two registers pushed
to: the report read in a worker thread, shown per staff member and per register, saved as CSV."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import psycopg
import pytest

from budtender_app.domain.clock import Clock
from budtender_app.services.hub import schema
from budtender_app.services.hub.push import Terminal, push
from budtender_app.services.journal import Journal, Seal
from budtender_app.viewmodels.hub_reports import HubReports
from tests.helpers import await_signal
from tests.services.hub.test_hub_shift_report import ROBIN, SAM, a_day
from tests.ui.manager.test_export_hub import Access, api, open_tab  # noqa: F401 - api is the fixture

pytestmark = pytest.mark.hub

CLOCK = Clock(zone=ZoneInfo("America/Denver"))  # today: the registers' sales are now


@pytest.fixture
def two_registers(hub_db, tmp_path):
    seals = (Seal("j-one", b"1" * 32), Seal("j-two", b"2" * 32))
    (folder := tmp_path / "registers").mkdir()
    a_day(folder / "one.sqlite3", seals[0], "till-1", ROBIN, 3, refused=1)
    a_day(folder / "two.sqlite3", seals[1], "till-2", SAM, 2)
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
        for path, seal, name in ((folder / "one.sqlite3", seals[0], "Register 1"),
                                 (folder / "two.sqlite3", seals[1], "Register 2")):
            push(Terminal(Journal.open_read_only(path, seal), name), conn)
    return hub_db


def table(tab) -> list[list[str]]:
    t = tab.table
    return [[t.item(r, c).text() if t.item(r, c) else "" for c in range(2)] for r in range(t.rowCount())]


@pytest.mark.asyncio
async def test_the_whole_stores_report_per_staff_member_and_per_register(qtbot, journal, api, two_registers,  # noqa: F811 - the fixture
                                                                         tmp_path):
    hub = HubReports(Access(two_registers), CLOCK)
    tab = open_tab(qtbot, journal, api, hub, clock=CLOCK).window().report_tab
    assert tab.hub_run is not None and tab.shift_combo.isEnabled()
    tab.hub_run.check_box.setChecked(True)
    assert not tab.shift_combo.isEnabled() and "Reading every register" in tab.message_label.text()
    await await_signal(tab._vm.report_changed, timeout=30)  # on the GUI thread, once shown
    assert table(tab) == [["Robin", "6"], ["Sam", "4"], ["Total", "10"]]
    assert tab.hub_run.by_register_box.isEnabled()
    tab.hub_run.by_register_box.setChecked(True)
    assert table(tab) == [["Register 1", "6"], ["Register 2", "4"], ["Total", "10"]]
    assert tab.table.horizontalHeaderItem(0).text() == "Register"
    assert "from the hub" in tab.notes_label.text()
    target = tmp_path / "store-shift.csv"
    assert tab._vm.save_csv(target)
    text = target.read_text(encoding="utf-8")
    assert "Per register" in text and "Register 2" in text
    tab.hub_run.check_box.setChecked(False)  # this register's own again (its journal has none of these)
    assert table(tab)[-1][0] == "Total" and tab.shift_combo.isEnabled()
    assert tab.table.horizontalHeaderItem(0).text() == "Staff" and not tab.hub_run.by_register_box.isEnabled()
