"""Screenshots of every screen, for README and for looking at what a cashier sees.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/screenshots/counter.py [OUT_DIR]

Drives the training app (in-process simulator) through the whole flow and saves one PNG a step.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from budtender_app.domain.actor import Actor

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import PySide6  # noqa: F401 - before qasync, as in the app
from PySide6.QtWidgets import QApplication, QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from budtender_app.app import make_event_loop, show_texted_pins
from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.applied_sale import AppliedSale, AppliedSales
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, screenshot_clock, wait_for_step

BASE = "https://simulator.invalid"


async def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0)


async def shoot(out: Path) -> None:
    clock = screenshot_clock()
    sim = Simulator(base_url=BASE, pin_source=lambda: "4821", clock=clock.epoch)
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(Path(tempfile.mkdtemp()), clock=clock)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal, clock=clock)
    win = MainWindow(vm, training=True, location="Training · shoppers (555) 123-4567, 987-6543, 222-3333",
                     counter=CounterInfo("Training Dispensary", store="training", terminal="till-1"))
    relay = show_texted_pins(sim, win.banner)  # noqa: F841 - kept alive for the run
    win.show()

    async def save(name: str, widget=None) -> None:
        await settle()
        (widget or win).grab().save(str(out / f"{name}.png"))

    win.cart_edit.setText("42.00")
    vm.set_cart_text("42.00")
    await save("1-cart")
    vm.start()
    win.phone_page.phone_edit.setText("(555) 123-4567")
    await save("2-phone")
    vm.submit_phone("(555) 123-4567")
    await wait_for_step(vm, Step.PIN)
    win.pin_dialog.pin_edit.setText("48")
    await save("3-pin-popup", win.pin_dialog)
    vm.submit_pin("1111")
    await wait_for_step(vm, Step.PIN)
    await vm.wait_idle()
    await save("3b-wrong-pin", win.pin_dialog)
    vm.submit_pin("4821")
    await wait_for_step(vm, Step.WALLET)
    first, second = (o.discount.id for o in vm.offers[:2])
    vm.toggle(first)
    vm.toggle(second)
    await save("4-wallet")
    vm.apply_selection()
    applied = tuple(vm.selected)
    await save("5-apply-in-pos")
    win.close()  # Ctrl+Q with discounts applied in the POS: it asks
    await settle()
    quit_box = win.findChild(QMessageBox, "quit_confirm_box")
    await save("5b-quit-asks", quit_box)
    quit_box.reject()
    vm.start_checkout()
    win.checkout_dialog.transaction_edit.setText("POS-2026-11-22-0042")
    await save("6-checkout", win.checkout_dialog)
    vm.confirm_checkout("POS-2026-11-22-0042")
    await wait_for_step(vm, Step.DONE)
    await save("7-done")
    vm.new_sale()
    # What the next start shows after a quit with discounts applied in the POS.
    AppliedSales(journal).save(AppliedSale(cart_total=Decimal("42.00"), discounts=applied,
                                           shopper_masked="***-***-4567"), staff=Actor.counter)
    vm.resume_applied()
    await save("5c-sale-not-finished")
    vm.abandon()
    await vm.wait_idle()
    await http.aclose()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "resources" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=make_event_loop) as runner:
        runner.run(shoot(out))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
