"""Screenshots of the Redemptions window's Whole store tab (a store hub joined), at 1024x768 and
1920x1080, drawn over the real counter window as sizes.py draws every dialog.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/store.py [OUT_DIR]

The hub is the in-memory desk of the tests (tests/helpers/store_desk.py): four registers' rows,
one claim conflict; AIQ's report is the simulator's. Writes SIZE-NN-store-*.png.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()

import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from budtender_app.app import make_event_loop
from budtender_app.domain.actor import Actor
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.store_redemptions import StoreWideViewModel
from tests.helpers import screenshot_clock
from tests.helpers.store_desk import BLOCKED, CONFLICT, MINE, MORE, THEIRS, FakeDesk
from tests.screenshots.sizes import SCREENS, Shots, _quiet, build, settle

MANAGER = Actor("m-9", "Morgan Manager")


async def shoot(out: Path, size: str) -> None:
    clock = screenshot_clock()
    win, vm, _sim, http, (journal, api, pending_vm) = build(False, clock)
    win.resize(*SCREENS[size])
    win.show()
    await settle()
    desk = FakeDesk([THEIRS, MINE, *MORE], [CONFLICT], [BLOCKED])
    store = pending_vm.store_wide = StoreWideViewModel(desk, api, lambda: journal.store, clock, pending_vm,
                                                       approving=lambda: MANAGER)
    pending_vm.approving = lambda: MANAGER
    shots = Shots(out, size, win)
    dialog = PendingDialog(pending_vm, win)
    dialog.open()
    dialog.tabs.setCurrentWidget(dialog.store_tab)
    await store.wait_idle()
    tab = dialog.store_tab
    first = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, 1).text() == THEIRS.transaction_id)
    tab.table.selectRow(first)
    await store.check_with_aiq(store.key(store.rows[0]))
    await shots.save("store-1-checked", dialog)
    tab.fields.reason_edit.setText("AIQ's report does not show it")
    tab.retry_button.click()
    await shots.save("store-2-confirm", dialog)
    tab.confirm.yes_button.click()
    await store.wait_idle()
    await shots.save("store-3-waiting", dialog)
    tab.fields.reason_edit.setText("Register 1 was stolen: voided at the POS")
    tab.withdraw_button.click()
    await shots.save("store-4-withdraw-confirm", dialog)
    tab.confirm.yes_button.click()
    await store.wait_idle()
    await shots.save("store-5-withdrawn", dialog)
    tab.conflict_table.selectRow(1)
    tab.fields.reason_edit.setText("Register 4 was stolen; AIQ's report shows no redemption")
    tab.settle_button.click()
    await shots.save("store-6-release-confirm", dialog)
    tab.confirm.yes_button.click()
    await store.wait_idle()
    await shots.save("store-7-released", dialog)
    dialog.done(0)
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()


def main() -> int:
    qInstallMessageHandler(_quiet)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/budtender-store")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        for size in SCREENS:
            runner.run(shoot(out, size))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
