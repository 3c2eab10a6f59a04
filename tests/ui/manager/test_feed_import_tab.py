"""The Redemptions window's "Import files" tab over real HTTP to the simulator: a manager checks a
POS export, imports it with a progress bar, cancels, and sees what AIQ refused and which lines are wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from PySide6.QtWidgets import QCheckBox

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.feed_mapping import FeedKind, check_mapping
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.feeds.importer import FeedImporter
from budtender_app.services.feeds.mappings import MappingStore
from budtender_app.services.feeds.progress import ProgressStore
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.feed_import import FeedImportViewModel
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import make_journal, no_sleep

CLOCK = Clock.fixed(datetime(2026, 12, 2, 12, tzinfo=UTC))
MAX = Actor("2", "Max Manager")
INVENTORY = "/api/v1.1/createUpdateInventory"


def items(tmp_path, count=250, extra=""):
    path = tmp_path / "items.csv"
    path.write_text("sku,name,salesPrice\n" + "".join(f"S{n:04d},Item {n},3.25\n" for n in range(count)) + extra,
                    encoding="utf-8")
    return path


@pytest_asyncio.fixture
async def setup(qtbot, tmp_path, server):
    made = {}

    async def build(approving=lambda: MAX, sends_sales=lambda: False):
        http = made.setdefault("http", httpx.AsyncClient(timeout=5.0))
        api = AiqClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
        journal = made.setdefault("journal", make_journal(tmp_path, store="Main St", clock=CLOCK))
        progress = made.setdefault("progress", ProgressStore(tmp_path / "feed.sqlite3", CLOCK))
        mappings = MappingStore(tmp_path / "mappings.json")
        mappings.save("Main St", check_mapping("Till", FeedKind.INVENTORY, {"sku": "Code"}))
        pending = PendingViewModel(journal, api, RedemptionSender(api, journal, sleep=no_sleep), clock=CLOCK)
        audits = made.setdefault("audits", [])
        pending.feed_import = FeedImportViewModel(
            lambda: FeedImporter(api.feed_client(), progress, store="Main St", clock=CLOCK, pause=lambda n: 0.0,
                                 who=MAX),
            mappings, lambda: "Main St", approving=approving, audit=lambda d, a: audits.append((d, a)),
            sends_sales=sends_sales)
        dialog = made["dialog"] = PendingDialog(pending)
        qtbot.addWidget(dialog)
        dialog.open()
        dialog.tabs.setCurrentWidget(dialog.import_tab)
        return dialog.import_tab, pending.feed_import

    yield build, made
    if "dialog" in made:
        await made["dialog"].import_tab._vm.wait_idle()
    for key, close in (("progress", "close"), ("journal", "close")):
        if key in made:
            getattr(made[key], close)()
    if "http" in made:
        await made["http"].aclose()


def choose(tab, kind, path):
    tab.kind_combo.setCurrentIndex(tab.kind_combo.findData(kind))
    tab.path_edit.setText(str(path))


@pytest.mark.asyncio
async def test_an_inventory_import_shows_progress_and_the_result(setup, server, tmp_path):
    build, made = setup
    tab, vm = await build()
    choose(tab, FeedKind.INVENTORY, items(tmp_path))
    seen = []
    vm.progress_changed.connect(lambda done, total, text: seen.append((done, total)))
    tab.import_button.click()
    assert not tab.import_button.isEnabled() and tab.cancel_button.isEnabled()
    await vm.wait_idle()
    assert (0, 3) in seen and seen[-1] == (3, 3)
    assert tab.progress_bar.value() == 3 and tab.progress_bar.maximum() == 3
    assert tab.result_label.text() == "Sent 250 to AIQ in 3 batches."
    assert tab.import_button.isEnabled() and not tab.cancel_button.isEnabled()
    assert len(server.simulator.inventory) == 250
    assert made["audits"] == [("inventory import of items.csv: done, 250 sent, 0 batches refused", MAX)]


@pytest.mark.asyncio
async def test_problems_are_listed_by_line_and_nothing_is_sent(setup, server, tmp_path):
    build, _ = setup
    tab, vm = await build()
    choose(tab, FeedKind.INVENTORY, items(tmp_path, 10, ",nameless,1\nS0002,again,1\nS99,bad,1.999\n"))
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text().startswith("items.csv: 3 problems in 13 rows. Nothing was sent")
    assert tab.result_list.toPlainText().splitlines() == [
        "line 12: missing SKU (and no product ID)", "line 13: the SKU 'S0002' is already on line 4",
        "line 14: salesPrice: not money: '1.999' (write it like 12.50)"]
    assert server.simulator.requests == []


@pytest.mark.asyncio
async def test_a_dry_run_and_a_mapping_send_nothing(setup, server, tmp_path):
    build, _ = setup
    tab, vm = await build()
    path = tmp_path / "till.csv"
    path.write_text("Code,name\nA1,x\nA2,y\n", encoding="utf-8")
    choose(tab, FeedKind.INVENTORY, path)
    tab.mapping_combo.setCurrentIndex(tab.mapping_combo.findData("Till"))
    tab.dry_run_check.setChecked(True)
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text() == ("Dry run: till.csv: 2 rows, every one fine: 2 to send in 1 batch. "
                                       "Nothing was sent.")
    assert server.simulator.requests == []


def sales_file(tmp_path, count=1, name="sales.csv"):
    path = tmp_path / name
    path.write_text("pos_id,transaction_date,transaction_total,sku,price,quantity\n" + "".join(
        f"T{n},2026-12-01 10:00:00,10.00,A,10,1\n" for n in range(1, count + 1)), encoding="utf-8")
    return path


@pytest.mark.asyncio
async def test_sales_follow_the_stores_one_setting_not_a_tick_of_their_own(setup, server, tmp_path):
    build, _ = setup
    setting = {"on": False}
    tab, vm = await build(sends_sales=lambda: setting["on"])
    assert tab.findChild(QCheckBox, "feed_no_pos_sales_check") is None
    choose(tab, FeedKind.INVENTORY, items(tmp_path))
    assert not tab.sales_setting_label.isVisibleTo(tab)  # inventory needs no setting
    choose(tab, FeedKind.SALES, sales_file(tmp_path))
    assert tab.sales_setting_label.isVisibleTo(tab)
    assert "Sales are not sent from this terminal" in tab.sales_setting_label.text()
    tab.import_button.click()
    await vm.wait_idle()
    words = tab.result_label.text()
    assert "Settings (F12), the store's page" in words and "points count twice" in words and "Square" in words
    assert server.simulator.requests == []
    tab.dry_run_check.setChecked(True)  # a dry run sends nothing: it needs no setting
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text().startswith("Dry run: sales.csv")
    setting["on"] = True
    tab.dry_run_check.setChecked(False)
    tab.hide()
    tab.show()  # the tab reads the setting again when shown (F12 may have changed it)
    assert "can be imported" in tab.sales_setting_label.text()
    tab.import_button.click()
    await vm.wait_idle()
    assert list(server.simulator.sales) == ["T1"]


@pytest.mark.asyncio
async def test_a_sales_import_stops_when_the_setting_is_turned_off_mid_import(setup, server, tmp_path):
    build, _ = setup
    setting = {"on": True}
    tab, vm = await build(sends_sales=lambda: setting["on"])
    choose(tab, FeedKind.SALES, sales_file(tmp_path, 4))
    server.inject("hang", path_prefix="/api/v1.1/createUpdateSale")
    tab.import_button.click()
    assert await _until(lambda: server.hanging == 1)
    setting["on"] = False  # a manager turns it off in F12 while the first sale is on the wire
    server.release()
    await vm.wait_idle()
    assert tab.result_label.text().startswith("Stopped after 1 of 4 batches: the store setting")
    assert "was turned off" in tab.result_label.text()
    assert len(server.simulator.sales) == 1
    setting["on"] = True
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text() == "Sent 3 to AIQ in 4 batches (1 sent before, not sent again)."
    assert sorted(server.simulator.sales) == ["T1", "T2", "T3", "T4"]


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"feed import refused: no manager approved it")
async def test_no_manager_approving_now_refuses(setup, server, tmp_path):
    build, _ = setup
    tab, vm = await build(approving=lambda: None)
    choose(tab, FeedKind.INVENTORY, items(tmp_path))
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text() == NEEDS_MANAGER and server.simulator.requests == []


@pytest.mark.asyncio
async def test_cancel_stops_after_the_batch_in_flight_and_the_rerun_goes_on(setup, server, tmp_path):
    build, _ = setup
    tab, vm = await build()
    choose(tab, FeedKind.INVENTORY, items(tmp_path, 350))
    server.inject("hang", path_prefix=INVENTORY)
    tab.import_button.click()
    assert await _until(lambda: server.hanging == 1)
    tab.cancel_button.click()
    assert tab.progress_label.text() == "Cancelling after the batch being sent…"
    server.release()
    await vm.wait_idle()
    assert tab.result_label.text().startswith("Cancelled after 1 of 4 batches (100 sent).")
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text() == "Sent 250 to AIQ in 4 batches (100 sent before, not sent again)."
    assert len([r for r in server.simulator.requests if r.path.startswith(INVENTORY)]) == 4


@pytest.mark.asyncio
async def test_a_batch_aiq_refuses_is_listed_with_its_lines_and_reason(setup, server, tmp_path):
    build, _ = setup
    tab, vm = await build()
    choose(tab, FeedKind.INVENTORY, items(tmp_path, 150))
    server.inject(400, path_prefix=INVENTORY, body={"success": False, "message": "Inventory locked"})
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text().startswith("AIQ refused 1 batch; 50 sent.")
    assert tab.result_list.toPlainText() == (
        "batch 1 (lines 2-101): AIQ did not accept this inventory batch: Inventory locked")


async def _until(condition, timeout=5.0) -> bool:
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            return False
        await asyncio.sleep(0.01)
    return True


@pytest.mark.asyncio
async def test_a_file_name_that_looks_like_markup_is_shown_as_it_is(setup, server, tmp_path):
    # The summary and the progress line carry the file's name: a file named "<b>big</b>.csv" (or one
    # with an <img> or a link) was drawn as rich text by the labels, since they guess the format.
    from PySide6.QtCore import Qt

    build, _ = setup
    tab, vm = await build()
    path = tmp_path / "<b>big<b> <img src=x>.csv"
    path.write_text("sku,name\n,no sku\n", encoding="utf-8")
    choose(tab, FeedKind.INVENTORY, path)
    tab.import_button.click()
    await vm.wait_idle()
    assert tab.result_label.text().startswith("<b>big<b> <img src=x>.csv: 1 problem")
    for label in (tab.result_label, tab.progress_label):
        assert label.textFormat() is Qt.TextFormat.PlainText, label.objectName()


@pytest.mark.asyncio
@pytest.mark.timeout(30)
async def test_quitting_while_an_import_waits_out_aiqs_retry_after_ends_at_once(setup, server, tmp_path):
    # AIQ busy (429, Retry-After: 300): the import waits in a worker thread for up to 5 minutes. The
    # app's quit did not cancel it, so the loop's executor waited for that thread: the window gone,
    # the process (and its single-instance lock) stayed for minutes.
    import asyncio

    from budtender_app.feed_wiring import stop_feed_import

    build, _ = setup
    tab, vm = await build()
    server.inject(429, path_prefix=INVENTORY, count=5, headers={"Retry-After": "300"})
    choose(tab, FeedKind.INVENTORY, items(tmp_path))
    tab.import_button.click()
    async with asyncio.timeout(10):
        # The simulator's thread fills its list: no event to await. Polling what it saw, not a sleep for the import.
        while not [r for r in server.simulator.requests if r.path.startswith(INVENTORY)]:  # noqa: ASYNC110 - above
            await asyncio.sleep(0.02)
    async with asyncio.timeout(5):
        await stop_feed_import(vm)
    assert not vm.running and "Stopped after 0 of 3 batches" in tab.result_label.text()


@pytest.mark.asyncio
async def test_the_imports_list_shows_each_import_but_no_dry_run(setup, server, tmp_path, qtbot):
    from budtender_app.services.feeds.import_list import list_imports
    from budtender_app.ui.manager.imports_sent_list import ImportsSentList
    from budtender_app.viewmodels.imports_sent import ImportsSentViewModel

    build, made = setup
    tab, vm = await build()
    listed = ImportsSentViewModel(lambda: list_imports(made["progress"].path, "Main St"), CLOCK)
    widget = ImportsSentList(listed)
    qtbot.addWidget(widget)
    assert "none yet" in widget.heading_label.text() and widget.table.rowCount() == 0
    choose(tab, FeedKind.INVENTORY, items(tmp_path, 150))
    tab.dry_run_check.setChecked(True)
    tab.import_button.click()
    await vm.wait_idle()
    listed.refresh()
    assert widget.table.rowCount() == 0  # a dry run sent nothing: not listed
    tab.dry_run_check.setChecked(False)
    server.inject(400, path_prefix=INVENTORY, body={"success": False, "message": "Inventory locked"})
    tab.import_button.click()
    await vm.wait_idle()
    listed.refresh()
    cells = [widget.table.item(0, c).text() for c in range(5)]
    assert cells[1:4] == ["Max Manager", "items.csv", "Inventory"]
    assert cells[4] == ("1 of 2 batches sent · 1 refused by AIQ: batch 1 (lines 2-101): AIQ did not accept this "
                        "inventory batch: Inventory locked")
    assert "1 with batches AIQ refused" in widget.heading_label.text()
