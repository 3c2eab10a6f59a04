"""The sales feed's screens (issue 16) at 1024x768 and 1920x1080, over the real counter window:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/sales_feed.py [OUT_DIR]

the store setting asking before it goes on, the setting on with its warning, and the Redemptions
window's "Sales sent to AIQ" list with a sale sent, one waiting, one refused and a refund, and
under it the day's file imports (one with a batch AIQ refused, one not finished).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from budtender_app.app import make_event_loop
from budtender_app.domain.actor import Actor
from budtender_app.domain.feed_mapping import FeedKind
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.feeds.import_list import list_imports
from budtender_app.services.feeds.progress import ProgressStore
from budtender_app.services.sale_feed.feed import SaleFeed
from budtender_app.services.sale_feed.outbox import SaleOutbox
from budtender_app.services.sale_feed.sender import SaleSender
from budtender_app.services.settings_store import SettingsStore
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.ui.manager.settings_dialog import SettingsDialog
from budtender_app.viewmodels.imports_sent import ImportsSentViewModel
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


def imports(clock) -> ImportsSentViewModel:
    """Three imports of the day: one whole, one with a batch AIQ refused, one cancelled part-way."""
    folder = Path(tempfile.mkdtemp())
    progress = ProgressStore(folder / "feed-imports.sqlite3", clock)
    max_manager = Actor("2", "Max Manager")
    for n, (kind, name, batches, refused, answered) in enumerate((
            (FeedKind.INVENTORY, "pos-inventory-export-2026-11-22.csv", 12, {5}, 12),
            (FeedKind.MEMBERS, "members-2026-11.csv", 3, set(), 3),
            (FeedKind.SALES, "sales-2026-11-21.csv", 40, set(), 25))):
        import_id = progress.begin("Main St", kind, f"{n:064x}", name, batches, max_manager)
        for b in range(1, answered + 1):
            reason = "AIQ did not accept this inventory batch: Unknown category 'Edibles '" if b in refused else None
            progress.record(import_id, b, (b * 100 - 98, b * 100 + 1), 100, f"{n}-{b}", reason)
    progress.close()
    return ImportsSentViewModel(lambda: list_imports(folder / "feed-imports.sqlite3", "Main St"), clock)


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
    pending_vm.imports_sent = imports(clock)
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
