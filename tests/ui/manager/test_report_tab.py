"""The Redemptions window's Shift report tab: the day's figures per staff member, its flags with
their events, its paper and CSV, and the check with AIQ's report over HTTP on 127.0.0.1."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from PySide6.QtCore import QDate
from PySide6.QtPrintSupport import QPrinter

from budtender_app.domain.clock import Clock
from budtender_app.domain.phone import parse_phone
from budtender_app.domain.receipt import TRAINING_LINE
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.redemption_sender import RedemptionSender
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from budtender_app.ui.manager.pending_dialog import PendingDialog
from budtender_app.ui.manager.report_print import a4_pages, print_report
from budtender_app.viewmodels.pending import PendingViewModel
from tests.helpers import make_journal, no_sleep
from tests.helpers.shift_journal import ANA, BO, MovableClock, discount, redeem, sign_in, sign_out, skip_pin

DENVER = ZoneInfo("America/Denver")


@pytest.fixture
def pin_server():
    with SimulatorServer(Simulator(pin_source=lambda: "2468")) as srv:
        yield srv


@pytest.fixture
def wall():
    return MovableClock(datetime.now(DENVER).replace(hour=9, minute=0, second=0, microsecond=0))


def open_tab(qtbot, journal, api, wall, *, training=False):
    clock = Clock(wall=lambda: wall.moment, zone=DENVER)
    vm = PendingViewModel(journal, api, RedemptionSender(api, journal, sleep=no_sleep), clock=clock,
                          training=training)
    dialog = PendingDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.tabs.setCurrentWidget(dialog.report_tab)
    return dialog, dialog.report_tab


def sample_day(journal, wall):
    day = wall.moment
    for i in range(3):
        redeem(journal, wall, day.replace(hour=10 + i), f"t{i}", [discount(i)], staff=ANA)
    redeem(journal, wall, day.replace(hour=12, minute=30), "p", [discount(7, dollars=None, percent="10")], staff=BO,
           contact="c-2", shopper="***-***-2222")
    skip_pin(journal, wall, day.replace(hour=13), staff=BO)
    wall.at(day.replace(hour=18))


@pytest.mark.asyncio
async def test_the_tab_shows_todays_figures_and_flags_with_their_events(qtbot, tmp_path, wall):
    async with httpx.AsyncClient() as http:
        api = AiqClient(http, AiqConfig("http://127.0.0.1:9", DEMO_API_KEY, DEMO_UID))
        with make_journal(tmp_path, clock=wall) as journal:
            sample_day(journal, wall)
            _dialog, tab = open_tab(qtbot, journal, api, wall)
            assert tab.day() == wall.moment.date()  # today in the store's zone
            cells = [[tab.table.item(r, c).text() for c in range(4)] for r in range(tab.table.rowCount())]
            assert cells == [[ANA.name, "3", "300", "$15.00"], [BO.name, "1", "100", "$0.00"],
                             ["Total", "4", "400", "$15.00"]]
            flag = tab.flags_tree.topLevelItem(0)
            assert "3 different sales" in flag.text(0) and flag.childCount() == 3
            assert "percentage" in tab.notes_label.text()
            tab.date_edit.setDate(QDate(2020, 1, 1))
            assert tab.table.item(0, 0).text() == "Total" and tab.table.item(0, 1).text() == "0"
            assert tab.flags_tree.topLevelItem(0).text(0) == "Nothing unusual."


@pytest.mark.asyncio
async def test_csv_pdf_and_paper(qtbot, tmp_path, wall):
    async with httpx.AsyncClient() as http:
        api = AiqClient(http, AiqConfig("http://127.0.0.1:9", DEMO_API_KEY, DEMO_UID))
        with make_journal(tmp_path, clock=wall) as journal:
            sample_day(journal, wall)
            _dialog, tab = open_tab(qtbot, journal, api, wall, training=True)
            target = tmp_path / "day.csv"
            assert tab._vm.save_csv(target)
            rows = list(csv.reader(target.open(encoding="utf-8", newline="")))
            assert rows[0][0].startswith("TRAINING") and rows[3][:2] == [ANA.name, "3"]
            assert not tab._vm.save_csv(target)  # never over a file
            assert "already there" in tab.message_label.text()
            for a4 in (False, True):
                tab.paper_combo.setCurrentIndex(int(a4))
                pdf = tmp_path / f"report-{a4}.pdf"
                assert tab.save_pdf(str(pdf))
                assert pdf.read_bytes().startswith(b"%PDF")
            slip = tab._vm.slip()
            assert slip.training and slip.lines[0] == TRAINING_LINE
            assert "Terminal: till-1" in slip.lines and any(line.startswith("Time: 18:00") for line in slip.lines)
            long = type(slip)((*slip.lines[:-1], *[f"line {i}" for i in range(150)], TRAINING_LINE))
            pages = a4_pages(long, 300, 2200, 3000)
            assert len(pages) >= 2 and all(p.lines[0] == TRAINING_LINE == p.lines[-1] for p in pages)
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(tmp_path / "printed.pdf"))
            print_report(long, printer, a4=True)
            assert (tmp_path / "printed.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.asyncio
async def test_check_with_aiq_over_http(qtbot, tmp_path, pin_server):
    wall = MovableClock(datetime.now(DENVER))
    async with httpx.AsyncClient(timeout=10) as http:
        api = AiqClient(http, AiqConfig(pin_server.url, DEMO_API_KEY, DEMO_UID))
        await api.verify_wallet(parse_phone(DEMO_PHONE))
        wallet = await api.view_wallet(parse_phone(DEMO_PHONE), "2468")
        with make_journal(tmp_path, clock=wall) as journal:
            row, = journal.queue("sale-1", [wallet.discounts[0]], shopper_masked="***-***-1234",
                                 contact_id=wallet.contact_id, staff=ANA)
            journal.mark_sending(row.id)
            journal.mark_redeemed(row.id, await api.redeem(wallet.discounts[0].redemption_url, "sale-1"))
            await api.redeem(wallet.discounts[1].redemption_url, "web")
            wall.at(wall.moment + timedelta(seconds=5))
            _dialog, tab = open_tab(qtbot, journal, api, wall)
            tab.check_button.click()
            await tab._vm.wait_idle()
            assert "1 matched, 0 only here, 1 only at AIQ" in tab.check_label.text()
            assert "only at AIQ" in tab.check_label.text() and "web" in tab.check_label.text()
            assert "1 matched" in tab.message_label.text()


@pytest.mark.asyncio
async def test_the_shift_chooser_shows_one_persons_shift_and_its_paper_says_which(qtbot, tmp_path, wall):
    async with httpx.AsyncClient() as http:
        api = AiqClient(http, AiqConfig("http://127.0.0.1:9", DEMO_API_KEY, DEMO_UID))
        with make_journal(tmp_path, clock=wall) as journal:
            day = wall.moment
            sign_in(journal, wall, day.replace(hour=9, minute=2), ANA)
            sample_day(journal, wall)  # Ana at 10, 11, 12; Bo at 12:30 and 13:00
            sign_out(journal, wall, day.replace(hour=12, minute=15), ANA)
            sign_in(journal, wall, day.replace(hour=12, minute=20), BO)  # still signed in at 18:00
            wall.at(day.replace(hour=18))
            _dialog, tab = open_tab(qtbot, journal, api, wall)
            combo = tab.shift_combo
            assert [combo.itemText(i) for i in range(combo.count())] == [
                "Whole day", f"1. {ANA.name}, 09:02–12:15 (switched)", f"2. {BO.name}, 12:20–18:00 (still signed in)"]
            assert combo.currentIndex() == 0 and tab.table.rowCount() == 3  # Ana, Bo, total
            combo.setCurrentIndex(1)
            cells = [[tab.table.item(r, c).text() for c in range(3)] for r in range(tab.table.rowCount())]
            assert cells == [[ANA.name, "3", "300"], ["Total", "3", "300"]]
            assert tab._vm.slip().lines[0] == f"Shift report {day:%Y-%m-%d}: Shift of {ANA.name}, 09:02–12:15"
            assert tab._file_name("pdf") == f"shift-report-{day:%Y-%m-%d}-shift-1.pdf"
            combo.setCurrentIndex(2)
            assert [tab.table.item(r, 0).text() for r in range(tab.table.rowCount())] == [BO.name, "Total"]
            assert tab.table.item(0, 1).text() == "1" and tab.table.item(0, 6).text() == "1"  # redeemed, PIN skip
            target = tmp_path / "bo.csv"
            assert tab._vm.save_csv(target)
            assert "Shift of Bo Cashier" in target.read_text(encoding="utf-8").splitlines()[0]
            tab.date_edit.setDate(QDate(2020, 1, 1))  # another day: its shifts (none), the whole day
            assert combo.count() == 1 and combo.currentText() == "Whole day"
