"""What every receipt says about itself: the store, terminal, date and time in both modes, and in
training TRAINING on the painted slip, the PDF, the printed page and the copied record; and the
small things the cashier sees: "Copied" after a copy, Save as PDF starting in Documents."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtPrintSupport import QPrinter

from budtender_app.domain.receipt import TRAINING_LINE, SlipHeader, build_receipt
from budtender_app.ui.receipt.receipt_paint import print_receipt, render_image, render_pdf
from budtender_app.ui.receipt.receipt_view import COPIED_MS, ReceiptView

RECORD = """AIQ loyalty redemption - POS transaction T-1001
Shopper: ***-***-4567
- $5 off any purchase | POS discount ID POS-5OFF | $5.00 off | REDEEMED | points deducted: 100
Total points deducted: 100"""
MOMENT = datetime(2026, 11, 22, 14, 3, tzinfo=timezone(timedelta(hours=-8), "PST"))
WHERE_AND_WHEN = ["Store: Green Leaf Downtown", "Terminal: till-2", "Date: Nov 22, 2026", "Time: 14:03 PST"]

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="needs poppler-utils' pdftotext to read the PDF's text")


def receipt(training: bool):
    header = SlipHeader("Green Leaf Downtown", "till-2", MOMENT, training=training)
    return build_receipt(RECORD, member=True, hide_points=False, header=header,
                         wallet_url="https://lab.alpineiq.com/wallet/1234", brand="Green Leaf")


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, timeout=30,
                          capture_output=True, text=True)
    return done.stdout


@needs_pdftotext
@pytest.mark.parametrize("training", [False, True])
def test_the_pdf_says_where_when_and_training(qapp, tmp_path, training):
    path = tmp_path / "receipt.pdf"
    render_pdf(receipt(training), path)
    text = pdf_text(path)
    for words in WHERE_AND_WHEN:
        assert words in text
    assert text.count(TRAINING_LINE) == (2 if training else 0)  # top and bottom


@needs_pdftotext
def test_the_printed_page_of_a_training_receipt_says_training(qapp, tmp_path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    print_receipt(receipt(True), printer)
    text = pdf_text(tmp_path / "printed.pdf")
    assert text.count(TRAINING_LINE) == 2 and "Terminal: till-2" in text


def black_rows(image) -> int:
    """Rows of the slip that are black from margin to margin: the TRAINING bands."""
    width = image.width()
    return sum(all(image.pixelColor(x, y) == QColor("black") for x in range(width // 10, width - width // 10, 7))
               for y in range(image.height()))


def test_the_painted_training_slip_has_black_bands_a_real_one_has_none(qapp):
    assert black_rows(render_image(receipt(True), dpi=150)) > 20  # two bands, a few mm each
    assert black_rows(render_image(receipt(False), dpi=150)) == 0


@pytest.mark.parametrize("training", [False, True])
def test_the_copied_record_says_where_when_and_training(qtbot, training):
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(receipt(training))
    view.copy_text()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert all(words in lines for words in WHERE_AND_WHEN)
    assert "- $5 off any purchase | POS discount ID POS-5OFF | $5.00 off | REDEEMED | points deducted: 100" in lines
    assert (lines[0] == lines[-1] == TRAINING_LINE) is training


def test_the_copy_button_says_copied_for_a_moment_and_keeps_its_key(qtbot):
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_copy_label("Copy record (Ctrl+Shift+C)", "Ctrl+Shift+C")
    view.set_receipt(receipt(False))
    view.copy_button.click()
    assert view.copy_button.text() == "Copied"
    assert view.copy_button.shortcut().toString() == "Ctrl+Shift+C"  # copying again still works
    with qtbot.waitSignal(view._copied_timer.timeout, timeout=COPIED_MS + 2000):
        pass
    assert view.copy_button.text() == "Copy record (Ctrl+Shift+C)"
    assert view.copy_button.shortcut().toString() == "Ctrl+Shift+C"


@pytest.mark.parametrize(("has_documents", "folder"), [(True, "Documents"), (False, "")])
def test_save_as_pdf_starts_in_the_documents_folder_else_at_home(qtbot, tmp_path, monkeypatch, has_documents,
                                                                 folder):
    monkeypatch.setenv("HOME", str(tmp_path))
    if has_documents:
        (tmp_path / "Documents").mkdir()
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(receipt(False), "T-1001")
    view.pdf_button.click()
    try:
        assert Path(view.save_dialog.selectedFiles()[0]) == tmp_path / folder / "T-1001.pdf"
    finally:
        view.save_dialog.reject()


@needs_pdftotext
def test_a_training_pdf_is_named_and_titled_training(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(receipt(True), "T-1001")
    view.pdf_button.click()
    try:
        assert Path(view.save_dialog.selectedFiles()[0]).name == "TRAINING-T-1001.pdf"
    finally:
        view.save_dialog.reject()
    view.save_pdf(str(tmp_path / "slip.pdf"))
    info = subprocess.run(["pdfinfo", str(tmp_path / "slip.pdf")], check=True, timeout=30, capture_output=True,
                          text=True).stdout
    assert "TRAINING - AIQ loyalty receipt" in info
