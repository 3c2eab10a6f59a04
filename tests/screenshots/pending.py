"""Screenshots of the manager's Redemptions window, for README and for looking at it.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/pending.py [OUT_DIR]

Writes 12-pending.png (one unknown line checked with AIQ, one never sent) and 13-refund.png
(a transaction's redeemed lines, one already given back, the other being confirmed), plus extra
shots of the confirmation, the decision and the export.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from budtender_app.domain.actor import Actor

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from budtender_app.app import make_event_loop
from budtender_app.domain.phone import parse_phone
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import make_journal, screenshot_clock

CASHIER = Actor("7", "Dana Cashier")

BASE = "https://simulator.invalid"
ROOT = Path(__file__).resolve().parents[2]
NO_ANSWER = ("AIQ did not answer in time. The points may or may not have been taken: do not redeem again; "
             "ask a manager to check.")
UNREACHABLE = "Cannot reach AIQ. Check the internet connection and try again."


async def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0)


async def shoot(out: Path, extras: Path) -> None:
    clock = screenshot_clock()
    sim = Simulator(base_url=BASE, clock=clock.epoch)
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    api = AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID))
    journal = make_journal(Path(tempfile.mkdtemp()), store="Main St", clock=clock)
    wallet = await api.wallet(parse_phone(DEMO_PHONE))
    by_id = {d.id: d for d in wallet.discounts}

    def queue(txid, *ids):
        return journal.queue(txid, [by_id[i] for i in ids], staff=CASHIER, shopper_masked="***-***-4567",
                             contact_id=wallet.contact_id)

    # A sale whose PUT reached AIQ but whose answer was lost: AIQ's report has it.
    [lost] = queue("POS-1042", "102")
    await api.redeem(lost.redemption_url, lost.transaction_id)
    journal.mark_sending(lost.id)
    journal.mark_unknown(lost.id, NO_ANSWER)
    # A sale that never reached AIQ (the internet was down at checkout).
    [unsent] = queue("POS-1047", "104")
    for _ in range(4):
        journal.mark_sending(unsent.id)
        journal.mark_not_sent(unsent.id, UNREACHABLE)
    # A refunded sale: two lines redeemed, one already given back.
    sender = RedemptionSender(api, journal)
    for entry in queue("POS-1038", "101", "103"):
        await sender.redeem(entry)

    vm = PendingViewModel(journal, api, sender, clock=clock)
    dialog = PendingDialog(vm)
    dialog.open()

    async def save(name: str, folder: Path = out) -> None:
        await settle()
        dialog.grab().save(str(folder / f"{name}.png"))
        print("saved", folder / f"{name}.png")

    await vm.check_with_aiq(lost.id)
    dialog.pending_tab.fields.reason_edit.setText("AIQ's report shows it (r-0001)")
    dialog.pending_tab.fields.manager_edit.setText("J.D.")
    await save("12-pending")
    dialog.pending_tab.mark_button.click()
    await save("pending-2-confirm", extras)
    dialog.pending_tab.confirm.yes_button.click()
    await save("pending-3-decided", extras)

    dialog.tabs.setCurrentWidget(dialog.refund_tab)
    dialog.refund_tab.transaction_edit.setText("POS-1038")
    dialog.refund_tab.find_button.click()
    first = vm.found[0].id
    await vm.reverse(first, "sale refunded at the register", "J.D.")
    dialog.refund_tab.table.selectRow(1)
    dialog.refund_tab.fields.reason_edit.setText("sale refunded at the register")
    dialog.refund_tab.fields.manager_edit.setText("J.D.")
    dialog.refund_tab.give_back_button.click()
    await save("13-refund")
    dialog.refund_tab.confirm.cancel()

    dialog.tabs.setCurrentWidget(dialog.export_tab)
    dialog.export_tab.path_edit.setText(str(Path(tempfile.mkdtemp()) / "audit.csv"))
    dialog.export_tab.export_button.click()
    await save("export-1-done", extras)
    dialog.done(0)
    await http.aclose()
    journal.close()


def main() -> None:
    """README's two shots go to resources/screenshots (or OUT_DIR); the others beside them only
    when OUT_DIR is given, else to a temporary folder."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "screenshots"
    extras = out if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pending-shots-"))
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive while the shots run
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(shoot(out, extras))


if __name__ == "__main__":
    main()
