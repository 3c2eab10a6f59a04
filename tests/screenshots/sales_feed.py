"""The sales feed's screens (issue 16) at 1024x768 and 1920x1080, over the real counter window:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/sales_feed.py [OUT_DIR]

the store setting asking before it goes on, the setting on with its warning, and the Redemptions
window's "Sales sent to AIQ" list with a sale sent, one waiting, one refused and a refund.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.sale_feed.feed import SaleFeed
from budtender_app.services.sale_feed.outbox import SaleOutbox
from budtender_app.services.sale_feed.sender import SaleSender
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.ui.manager.settings_dialog import SettingsDialog
from budtender_app.viewmodels.sales_sent import SalesSentViewModel
from budtender_app.viewmodels.settings import SettingsViewModel
from tests.helpers import screenshot_clock
from tests.helpers.memory_keyring import MemoryKeyring
from tests.screenshots.sizes import (  # sets the offscreen platform and a private config folder first
    CASHIER,
    SCREENS,
    Shots,
    _quiet,
    _tester,
    build,
    settle,
)


async def setting(shots: Shots, win) -> None:
    dialog = SettingsDialog(SettingsViewModel(SettingsStore(), CredentialStore(MemoryKeyring()), _tester), win)
    dialog.open()
    for field, text in {"name": "Main St", "store_id": "4411", "uid": "1234", "brand": "Green Leaf"}.items():
        dialog.form.edits[field].setText(text)
    row = dialog.form.send_sales_row
    row.check.click()
    await shots.save("setting-asks", dialog)
    row.confirm.yes_button.click()
    await shots.save("setting-on", dialog)
    dialog.done(0)


def fill(outbox: SaleOutbox, journal, clock) -> None:
    with journal.atomic() as conn:
        rows = [outbox.hold_sale(conn, txid, Decimal(total), location="Main St", contact_id="C1001",
                                 shopper_masked=masked, staff=CASHIER)
                for txid, total, masked in (("POS-2026-11-22-0040", "64.20", "***-***-4567"),
                                            ("POS-2026-11-22-0041", "18.00", "***-***-6543"),
                                            ("POS-2026-11-22-0042", "42.00", "***-***-4567"),
                                            ("POS-2026-11-22-0043", "120.75", "***-***-3333"))]
    for row in rows[:3]:
        outbox.start(row.id)
        outbox.sent(row.id)
    outbox.hold_refund(rows[2].transaction_id, staff=CASHIER)
    outbox.start(rows[3].id)
    outbox.again(rows[3].id, "AIQ is having trouble (HTTP 503). Try again in a moment.",
                 clock.now() + timedelta(minutes=2))
    refund = outbox.listed()[0]
    outbox.start(refund.id)
    outbox.refused(refund.id, "AIQ did not accept this sale: visit.pos_id already used by another location")


async def sales_list(shots: Shots, win, services, clock) -> None:
    journal, _api, pending_vm = services
    outbox = SaleOutbox(journal)

    class Offline:
        async def post_sale(self, visit, *, member=None):
            raise AssertionError("the pictures send nothing")

    feed = SaleFeed(outbox, SaleSender(Offline(), outbox, clock=clock), enabled=lambda: True,
                    location=lambda: "Main St")
    fill(outbox, journal, clock)
    pending_vm.sales_sent = SalesSentViewModel(feed, journal, clock, enabled=lambda: True, parent=pending_vm)
    dialog = PendingDialog(pending_vm, win)
    dialog.open()
    dialog.tabs.setCurrentIndex(dialog.tabs.count() - 1)
    await shots.save("sales-sent", dialog)
    dialog.done(0)


async def shoot(out: Path, size: str) -> None:
    clock = screenshot_clock()
    win, vm, _sim, http, services = build(False, clock)
    win.resize(*SCREENS[size])
    win.show()
    await settle()
    shots = Shots(out, f"feedsale-{size}", win)
    await setting(shots, win)
    await sales_list(shots, win, services, clock)
    win.close_without_asking()
    await vm.wait_idle()
    await http.aclose()


def main() -> int:
    qInstallMessageHandler(_quiet)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/feedsale-shots")
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
