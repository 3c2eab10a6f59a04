"""The Export tab's "Whole store (hub)", against a real PostgreSQL hub: offered only when a hub is
joined and never in training, run in a worker thread while the window keeps answering, its rows
counted as they go, stopped on Stop with no file left."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
import pytest_asyncio
from PySide6.QtCore import QTimer

from budtender_app.domain.clock import Clock
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.hub import schema
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.hub_reports import HubReports
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import await_signal
from tests.helpers.hub_fill import fill_events

pytestmark = pytest.mark.hub

BASE = "https://simulator.invalid"
DENVER = ZoneInfo("America/Denver")
CLOCK = Clock.fixed(datetime(2026, 11, 23, 18, tzinfo=UTC), zone=DENVER)


class Access:
    """The joined hub as the app reaches it (hub_wiring.JoinedHub), here the test's database."""

    def __init__(self, hub_db, joined: bool = True) -> None:
        self._db, self._joined = hub_db, joined

    def joined(self) -> bool:
        return self._joined

    def connect_args(self):
        c = self._db.cluster
        return {"host": "127.0.0.1", "port": c.port, "user": "postgres", "dbname": self._db.name,
                "password": self._db.password, "connect_timeout": 5}


@pytest_asyncio.fixture
async def api():
    async with httpx.AsyncClient(transport=SimulatorTransport(Simulator(base_url=BASE))) as http:
        yield AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))


def filled(hub_db, rows: int) -> None:
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
        fill_events(conn, rows, terminals=3, start=datetime(2026, 11, 20, 15, tzinfo=UTC), step=timedelta(seconds=2))


def open_tab(qtbot, journal, api, hub: HubReports | None, *, training: bool = False, clock: Clock = CLOCK):
    vm = PendingViewModel(journal, api, RedemptionSender(api, journal), clock=clock, training=training)
    vm.hub_reports = hub
    window = PendingDialog(vm)
    qtbot.addWidget(window)
    window.open()
    window.tabs.setCurrentWidget(window.export_tab)
    _open.append(window)  # the test's own reference: the dialog lives until the test ends
    return window.export_tab


_open: list[PendingDialog] = []


@pytest.fixture(autouse=True)
def _forget_dialogs():
    yield
    _open.clear()


@pytest.mark.asyncio
async def test_the_whole_stores_export_runs_beside_a_window_that_keeps_answering(qtbot, journal, api, hub_db,
                                                                                 tmp_path):
    filled(hub_db, 30_000)
    hub = HubReports(Access(hub_db), CLOCK)
    tab = open_tab(qtbot, journal, api, hub)
    assert tab.hub_run is not None and tab.hub_run.check_box.isVisible()
    tab.hub_run.check_box.setChecked(True)
    target = tmp_path / "store.csv"
    tab.path_edit.setText(str(target))
    progress: list[int] = []
    hub.export_progress.connect(progress.append)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(len(progress)))
    timer.start(5)
    done: list[tuple[str, str]] = []
    hub.export_done.connect(lambda *args: done.append(args))
    tab.export_button.click()
    assert not tab.export_button.isEnabled() and tab.hub_run.stop_button.isVisible()
    await await_signal(tab.hub_run.ended, timeout=60)  # on the GUI thread, once the tab shows it
    timer.stop()
    ((level, text),) = done
    assert level == "info" and "Exported 30,000 audit events of every register" in text
    assert "30,000" in tab.result_label.text() and tab.export_button.isEnabled()
    assert not tab.hub_run.stop_button.isVisible()
    assert progress[:3] == [1000, 2000, 3000] and progress[-1] == 30_000
    assert len(set(ticks)) > 1  # the GUI's timer ran while the rows were being written
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30_000 and {r["register"] for r in rows} == {"Register 1", "Register 2", "Register 3"}


@pytest.mark.asyncio
async def test_stop_leaves_no_file(qtbot, journal, api, hub_db, tmp_path):
    filled(hub_db, 60_000)
    hub = HubReports(Access(hub_db), CLOCK)
    tab = open_tab(qtbot, journal, api, hub)
    tab.hub_run.check_box.setChecked(True)
    (out := tmp_path / "out").mkdir()
    tab.path_edit.setText(str(out / "store.csv"))
    tab.export_button.click()
    tab.hub_run.stop_button.click()
    await await_signal(tab.hub_run.ended, timeout=60)
    assert tab.result_label.text() == "The export was stopped: nothing was written."
    assert list(out.iterdir()) == [] and tab.export_button.isEnabled()


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"store-wide report from the hub failed")
async def test_an_unreachable_hub_says_so_and_writes_nothing(qtbot, journal, api, hub_db, tmp_path):
    class Gone(Access):
        def connect_args(self):
            return {**super().connect_args(), "port": 1}

    hub = HubReports(Gone(hub_db), CLOCK)
    tab = open_tab(qtbot, journal, api, hub)
    tab.hub_run.check_box.setChecked(True)
    (out := tmp_path / "out").mkdir()
    tab.path_edit.setText(str(out / "store.csv"))
    tab.export_button.click()
    await await_signal(tab.hub_run.ended, timeout=30)
    text = tab.result_label.text()
    assert "Nothing was exported from the store hub" in text and "unreachable" in text
    assert hub_db.password not in text and list(out.iterdir()) == []


@pytest.mark.asyncio
async def test_not_offered_without_a_hub_nor_in_training(qtbot, journal, api, hub_db):
    assert open_tab(qtbot, journal, api, None).hub_run is None  # training: the app builds none
    assert open_tab(qtbot, journal, api, HubReports(Access(hub_db, joined=False), CLOCK)).hub_run is None
