"""The numbers the counter shows, against the simulator: percentages as estimates in the order the
POS is keyed, no point figure anywhere a shopper may look when the brand hides points (while the
copied record keeps each one), and receipts that name the store, terminal, time and mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.clock import Clock
from budtender_app.domain.consent import CounterInfo
from budtender_app.domain.flow import Step
from budtender_app.domain.receipt import TRAINING_LINE
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_PHONE_HIDDEN, DEMO_UID, Simulator
from budtender_app.simulator.transport import SimulatorTransport
from budtender_app.ui.main_window import MainWindow
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_step

BASE = "https://simulator.invalid"
PST = timezone(timedelta(hours=-8), "PST")
#: 14:03 at the store (22:03 UTC): the receipt prints the store's time, not UTC.
CLOCK = Clock.fixed(datetime(2026, 11, 22, 22, 3, tzinfo=UTC), zone=PST)
COUNTER = CounterInfo(brand="Green Leaf", store="downtown", terminal="till-2")


def point_figures(text: str) -> list[str]:
    """Every point figure in ``text``: "350 points", "1 point", "points deducted: 350"."""
    return re.findall(r"\d[\d,]*\s+points?\b|points?\b[^$\n\d]*:\s*\d", text, flags=re.IGNORECASE)


@pytest_asyncio.fixture(params=[False, True], ids=["real", "training"])
async def counter(request, qtbot, tmp_path):
    sim = Simulator(base_url=BASE, pin_source=lambda: "4321")
    http = httpx.AsyncClient(transport=SimulatorTransport(sim))
    journal = make_journal(tmp_path, clock=CLOCK)
    vm = RedemptionViewModel(AiqClient(http, AiqConfig(BASE, DEMO_API_KEY, DEMO_UID)), journal, clock=CLOCK)
    win = MainWindow(vm, training=request.param, location="test", counter=COUNTER)
    qtbot.addWidget(win)
    win.show()
    yield win, vm, request.param
    await vm.wait_idle()
    await http.aclose()
    journal.close()


async def open_wallet(vm, phone: str, cart: str = "42.00") -> None:
    vm.set_cart_text(cart)
    vm.start()
    vm.submit_phone(phone)
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin("4321")
    await wait_for_step(vm, Step.WALLET)


def pick(vm, *names: str) -> None:
    for name in names:
        vm.toggle(next(o.discount.id for o in vm.offers if o.discount.name == name))


async def check_out(vm, txid: str = "T-42") -> None:
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout(txid)
    await wait_for_step(vm, Step.DONE)


def rows(widget) -> list[str]:
    return [widget.item(r).text() for r in range(widget.count())]


def table(widget) -> list[list[str]]:
    return [[widget.item(r, c).text() for c in range(widget.columnCount()) if not widget.isColumnHidden(c)]
            for r in range(widget.rowCount())]


@pytest.mark.asyncio
async def test_a_brand_that_hides_points_shows_no_point_figure_but_the_record_keeps_them(counter):
    win, vm, _training = counter
    await open_wallet(vm, DEMO_PHONE_HIDDEN)
    page = win.wallet_page
    assert "This brand doesn't show points" in page.header_label.text()
    pick(vm, "10% off flower", "$5 off any purchase")
    listed = "\n".join(rows(page.offer_list) + rows(page.unusable_list))
    assert point_figures(listed) == [] and "points" not in listed
    assert "10% off · about $3.70 on the $37.00 left of a $42.00 cart" in listed  # after the $5
    assert page.summary_label.text() == "Selected: 2 discounts, about $8.70 off a $42.00 cart"

    vm.apply_selection()
    apply = win.apply_page
    shown = "\n".join(" ".join(row) for row in table(apply.table)) + "\n" + apply.totals_label.text()
    assert point_figures(shown) == [] and "300" not in shown and "100" not in shown
    assert "This brand doesn't show points" in apply.totals_label.text()
    vm.start_checkout()
    assert point_figures(win.checkout_dialog.summary_label.text()) == []
    vm.confirm_checkout("T-42")
    await wait_for_step(vm, Step.DONE)

    done = win.done_page
    assert point_figures(done.title_label.text()) == [] and done.title_label.text().endswith("2 discounts redeemed")
    assert done.table.isColumnHidden(2)
    printed = done.receipt_view.receipt.text()
    assert point_figures(printed) == [] and "This brand doesn't show points" in printed
    done.receipt_view.copy_button.click()
    copied = done.record_text()
    assert "POS discount ID POS-5OFF | $5.00 off | REDEEMED | points deducted (for the record): 100" in copied
    assert "POS discount ID POS-10FLOWER | 10% off | REDEEMED | points deducted (for the record): 300" in copied
    assert "Total points deducted (for the record): 400" in copied
    assert done.receipt_view.copy_button.text() == "Copied"


@pytest.mark.asyncio
async def test_a_brand_that_shows_points_shows_them_everywhere(counter):
    win, vm, _training = counter
    await open_wallet(vm, DEMO_PHONE)
    pick(vm, "$5 off any purchase")
    assert "100 points" in rows(win.wallet_page.offer_list)[0]
    assert win.wallet_page.summary_label.text() == "Selected: 1 discount, $5.00 off, 100 points"
    await check_out(vm)
    assert win.done_page.title_label.text() == "Transaction T-42: 100 points deducted"
    assert "Total points deducted: 100" in win.done_page.receipt_view.receipt.text()


@pytest.mark.asyncio
async def test_the_apply_page_lists_dollar_discounts_first_with_their_pos_ids(counter):
    win, vm, _training = counter
    await open_wallet(vm, DEMO_PHONE)
    pick(vm, "15% off everything", "$5 off any purchase")  # chosen percentage first
    vm.apply_selection()
    apply = win.apply_page
    assert "dollar discounts first, then percentages" in apply.order_label.text()
    got = table(apply.table)
    assert [row[:3] for row in got] == [
        ["1. $5 off any purchase", "POS-5OFF", "$5.00 off"],
        ["2. 15% off everything", "POS-15PCT", "15% off (about $5.55 on the $37.00 left of a $42.00 cart)"],
    ]
    assert apply.totals_label.text().startswith("Total: about $10.55 off a $42.00 cart (percentages estimated")
    assert "400 points to be deducted" in apply.totals_label.text()


@pytest.mark.asyncio
async def test_the_receipt_and_record_name_the_store_terminal_and_the_stores_time(counter):
    win, vm, training = counter
    await open_wallet(vm, DEMO_PHONE)
    pick(vm, "$5 off any purchase")
    await check_out(vm)
    view = win.done_page.receipt_view
    for text in (view.receipt.text(), win.done_page.record_text()):
        lines = text.splitlines()
        for words in ("Store: downtown", "Terminal: till-2", "Date: Nov 22, 2026", "Time: 14:03 PST"):
            assert words in lines
        assert (lines[0] == lines[-1] == TRAINING_LINE) is training
        assert (TRAINING_LINE in text) is training
