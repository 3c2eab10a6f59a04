"""Screenshots of the Redemptions window's "Import files" tab (issue 16), at 1024x768 and 1920x1080.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/feed_import.py [OUT_DIR]

OUT_DIR defaults to /tmp/budtender-feedimport. For each size: the import in progress (batch 4 of
12, the fifth held by the simulator), its result with one batch AIQ refused, and a file whose
rows have problems (line-numbered, nothing sent), and a sales file while the store's setting is
off. Real HTTP to the simulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.screenshots.sizes import SCREENS, Shots, build  # noqa: I001 - sets the platform first

import httpx
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop
from budtender_app.domain.actor import Actor
from budtender_app.domain.feed_mapping import FeedKind, check_mapping
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.feeds.importer import FeedImporter
from budtender_app.services.feeds.mappings import MappingStore
from budtender_app.services.feeds.progress import ProgressStore
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.feed_import import FeedImportViewModel
from tests.helpers import screenshot_clock

INVENTORY = "/api/v1.1/createUpdateInventory"


def export(folder: Path, count: int, extra: str = "") -> Path:
    path = folder / "pos-inventory-export-2026-11-22.csv"
    rows = "".join(f"GL-{n:05d},Gummies {n % 40} mg,Edibles,12.50,{n % 30}\n" for n in range(count))
    path.write_text("Item Code,Description,Category,Price,On hand\n" + rows + extra, encoding="utf-8")
    return path


async def shoot(out: Path, size: str) -> None:
    clock = screenshot_clock()
    win, vm, _sim, http, (_journal, _api, pending_vm) = build(False, clock)
    folder = Path(tempfile.mkdtemp())
    server = SimulatorServer(Simulator()).start()
    real = httpx.AsyncClient(timeout=10.0)
    api = AiqClient(real, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
    progress = ProgressStore(folder / "feed-imports.sqlite3", clock)
    mappings = MappingStore(folder / "feed-mappings.json")
    mappings.save("Main St", check_mapping("Till export", FeedKind.INVENTORY, {
        "sku": "Item Code", "name": "Description", "category": "Category", "salesPrice": "Price",
        "quantity": "On hand"}))
    pending_vm.feed_import = FeedImportViewModel(
        lambda: FeedImporter(api.feed_client(), progress, store="Main St", clock=clock, pause=lambda n: 0.0),
        mappings, lambda: "Main St", approving=lambda: Actor("2", "Max Manager"), sends_sales=lambda: False)
    win.resize(*SCREENS[size])
    win.show()
    dialog = PendingDialog(pending_vm, win)
    dialog.open()
    dialog.tabs.setCurrentWidget(dialog.import_tab)
    tab, feed = dialog.import_tab, pending_vm.feed_import
    shots = Shots(out, f"feedimport-{size}", win)
    tab.kind_combo.setCurrentIndex(tab.kind_combo.findData(FeedKind.INVENTORY))
    tab.path_edit.setText(str(export(folder, 1150)))
    tab.mapping_combo.setCurrentIndex(tab.mapping_combo.findData("Till export"))
    feed.progress_changed.connect(lambda done, total, text: done == 4 and server.inject("hang", path_prefix=INVENTORY))
    tab.import_button.click()
    await asyncio.to_thread(server.wait_hanging, 1, 10.0)
    await shots.save("progress", dialog)
    server.inject(400, path_prefix=INVENTORY, body={"success": False, "message": "Unknown category 'Edibles '"})
    server.release()
    await feed.wait_idle()
    await shots.save("result", dialog)
    bad = ("GL-00003,Gummies again,Edibles,12.50,3\n,Vape cart,Vapes,35.00,4\nGL-90001,Pre-roll,Flower,9.5O,10\n"
           "GL-90002,Tincture,Tinctures,-4.00,2\n")
    tab.path_edit.setText(str(export(folder, 40, bad)))
    tab.import_button.click()
    await feed.wait_idle()
    await shots.save("problems", dialog)
    tab.kind_combo.setCurrentIndex(tab.kind_combo.findData(FeedKind.SALES))  # the store's setting is off
    tab.path_edit.setText(str(folder / "sales-2026-11-21.csv"))
    tab.result_list.clear()
    tab.result_label.show_message("", "")
    tab.progress_bar.hide()
    tab.progress_label.setText("")
    await shots.save("sales-setting-off", dialog)
    dialog.done(0)
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()
    await real.aclose()
    progress.close()
    server.stop()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/budtender-feedimport")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    from budtender_app.ui.common.style import apply_style

    apply_style(app)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        for size in SCREENS:
            runner.run(shoot(out, size))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
