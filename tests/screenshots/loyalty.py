"""Screenshots of loyalty status, sign-up with consent, and a receipt with its QR code.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/loyalty.py [OUT_DIR]

Drives the dialog against the in-process simulator (training mode's AIQ) and saves one PNG a step.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from budtender_app.app import make_event_loop
from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.receipt import SlipHeader, build_receipt
from budtender_app.domain.redemption import Outcome, Status, record_text
from budtender_app.domain.wallet import Discount
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.consent_log import ConsentLog
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.loyalty.loyalty_dialog import LoyaltyDialog
from budtender_app.ui.receipt.receipt_view import ReceiptView
from budtender_app.viewmodels.loyalty import LoyaltyViewModel
from tests.helpers import screenshot_clock

BASE = "https://simulator.invalid"
WALLET_URL = "https://lab.alpineiq.com/wallet/1234"


async def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0)


def sample_record() -> str:
    def discount(i: int, name: str, points: int, pos: str, dollars: int) -> Discount:
        return Discount(id=str(i), name=name, redemption_url=f"{BASE}/r/{i}", points=points,
                        pos_discount_id=pos, dollar_value=Decimal(dollars))
    outcomes = [Outcome(discount(101, "$5 off any purchase", 100, "POS-5OFF", 5), Status.REDEEMED),
                Outcome(discount(102, "$10 off $50+", 250, "POS-10OFF", 10), Status.REDEEMED)]
    return record_text("POS-2026-11-22-0042", outcomes, shopper="***-***-4567", balance_after=1_150)


async def shoot(out: Path) -> None:
    sim = Simulator(base_url=BASE)
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    consents = ConsentLog(Path(tempfile.mkdtemp()) / "consents.sqlite3")
    where = CounterInfo("Green Leaf", "US", store="Main St", store_id="42", terminal="till-1")
    vm = LoyaltyViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), consents, where)
    dialog = LoyaltyDialog(vm)
    dialog.open()

    async def save(name: str, widget: QWidget) -> None:
        await settle()
        widget.grab().save(str(out / f"{name}.png"))

    dialog.phone_edit.setText("(555) 123-4567")
    await vm.check_status(dialog.phone_edit.text())
    await save("14-status", dialog)
    dialog.phone_edit.setText("(555) 444-1212")
    await vm.check_status(dialog.phone_edit.text())
    await save("14b-status-not-member", dialog)
    form = dialog.form
    form.agree_check.setChecked(True)
    form.edits["first_name"].setText("Kim")
    form.edits["last_name"].setText("Lee")
    form.edits["email"].setText("kim@example.com")
    form.sms_check.setChecked(True)
    await save("15-signup", dialog)
    await vm.sign_up(dialog.phone_edit.text(), **form.values())
    await save("15b-signed-up", dialog)
    dialog.done(0)

    page = QWidget()
    page.setObjectName("receipt_page")
    title = QLabel(page.tr("Receipt for the shopper (wallet link for members)"), page)
    title.setStyleSheet("font-size: 13pt; font-weight: 600;")
    view = ReceiptView(page)
    clock = screenshot_clock()
    header = SlipHeader(store=where.store, terminal=where.terminal, moment=clock.local(clock.now()))
    view.set_receipt(build_receipt(sample_record(), member=True, hide_points=False, wallet_url=WALLET_URL,
                                   brand="Green Leaf", header=header), "POS-2026-11-22-0042")
    layout = QVBoxLayout(page)
    layout.addWidget(title)
    layout.addWidget(view, 1)
    page.resize(520, view.preview_label.sizeHint().height() + 110)
    page.show()
    await settle()
    page.grab().save(str(out / "16-receipt.png"))
    page.close()
    await http.aclose()
    consents.close()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "resources" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(shoot(out))
    print(f"saved to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
