"""The receipt with its QR code: drawn, printed through Qt's print dialog, saved as PDF, and the
QR read back (zxing-cpp) to the very link it must open."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
import zxingcpp
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QApplication, QLineEdit

from budtender_app.domain.receipt import build_receipt
from budtender_app.ui.receipt.receipt_paint import render_image, render_pdf
from budtender_app.ui.receipt.receipt_view import ReceiptView

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"saving the receipt as PDF failed")

WALLET_URL = "https://lab.alpineiq.com/wallet/1234?store=42"
SIGNUP_URL = "https://lab.alpineiq.com/join/1234?store=42&src=receipt"
RECORD = """AIQ loyalty redemption - POS transaction T-1001
Shopper: ***-***-4567
- $5 off any purchase | POS discount ID POS-5OFF | $5.00 off | REDEEMED | points deducted: 100
- $10 off $50+ | POS discount ID POS-10OFF | $10.00 off | REDEEMED | points deducted: 250
Total points deducted: 350
Points balance after: 1,150 points"""


def member_receipt(hide_points=False):
    return build_receipt(RECORD, member=True, hide_points=hide_points, wallet_url=WALLET_URL,
                         signup_url=SIGNUP_URL, brand="Green Leaf")


def decoded(image: QImage) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image)]


def qr_from_pdf_drawing(path: Path) -> QImage:
    """Re-draw the filled rectangles of the PDF's page (how Qt writes fillRect: "x y w h re f" in
    the colour of the last "r g b scn") onto an image: the QR exactly as the PDF holds it."""
    data = path.read_bytes()
    shapes = []
    for match in re.finditer(rb"/Filter /FlateDecode\n>>\s*stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            content = zlib.decompress(data[match.end():end]).decode("latin-1")
        except zlib.error:
            continue
        colour = "black"
        ops = r"([\d.]+) ([\d.]+) ([\d.]+) scn|([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re\s+f"
        for op in re.finditer(ops, content):
            if op.group(1):
                colour = "white" if float(op.group(1)) > 0.5 else "black"
            else:
                shapes.append((colour, *(float(op.group(i)) for i in range(4, 8))))
    assert shapes, "the PDF draws no rectangles"
    width = int(max(x + w for _, x, _, w, _ in shapes)) + 40
    height = int(max(y + h for _, _, y, _, h in shapes)) + 40
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    for colour, x, y, w, h in shapes:
        painter.fillRect(int(x), int(y), round(w), round(h), QColor(colour))
    painter.end()
    return image


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def test_the_members_receipt_qr_opens_the_wallet(qapp):
    image = render_image(member_receipt(), dpi=203)  # a thermal receipt printer
    assert decoded(image) == [WALLET_URL]
    assert image.width() == round(80 / 25.4 * 203)


def test_a_non_members_slip_qr_opens_the_sign_up(qapp):
    slip = build_receipt("", member=False, hide_points=False, wallet_url=WALLET_URL, signup_url=SIGNUP_URL,
                         brand="Green Leaf")
    assert decoded(render_image(slip, dpi=150)) == [SIGNUP_URL]


def test_the_pdf_is_one_80mm_page_whose_qr_decodes_to_the_link(qapp, tmp_path):
    path = tmp_path / "receipt.pdf"
    render_pdf(member_receipt(), path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and pdf_pages(path) == 1
    media = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", data)
    assert abs(float(media.group(1)) - 80 / 25.4 * 72) < 1  # 80 mm wide, in PDF points
    assert decoded(qr_from_pdf_drawing(path)) == [WALLET_URL]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils' pdftoppm to rasterize the PDF")
def test_the_pdf_rasterized_by_poppler_scans(qapp, tmp_path):
    path = tmp_path / "receipt.pdf"
    render_pdf(member_receipt(), path)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(tmp_path / "page")],
                   check=True, timeout=30)
    assert decoded(QImage(str(tmp_path / "page.png"))) == [WALLET_URL]


def test_hidden_points_print_no_figure_while_the_copied_record_keeps_them(qtbot):
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(member_receipt(hide_points=True))
    printed = view.receipt.text()
    assert not re.findall(r"\d[\d,]*\s+points?\b|points?\b[^$\n\d]*:\s*\d", printed, flags=re.IGNORECASE)
    assert "350" not in printed and "balance" not in printed.lower()
    assert "This brand doesn't show points" in printed
    view.copy_text()
    copied = QGuiApplication.clipboard().text()
    assert "Total points deducted (for the record): 350" in copied and "balance" not in copied.lower()
    assert "points deducted (for the record): 100" in copied
    assert decoded(view.preview_label.pixmap().toImage()) == [WALLET_URL]


def test_print_opens_qts_dialog_without_blocking_and_prints_to_pdf(qtbot, tmp_path):
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(member_receipt(), "T-1001")
    view.show()
    printed = []
    view.printed.connect(lambda: printed.append(True))
    view.print_button.click()
    dialog = view.print_dialog
    qtbot.waitExposed(dialog)
    assert dialog.isVisible() and dialog.isModal()  # open(), so this line ran while it is showing
    target = tmp_path / "printed.pdf"
    dialog.findChild(QLineEdit, "filename").setText(str(target))  # "Print to File (PDF)"
    dialog.accept()
    assert printed == [True] and view.print_dialog is None
    assert pdf_pages(target) == 1 and decoded(qr_from_pdf_drawing(target)) == [WALLET_URL]


def test_save_as_pdf_asks_where_without_blocking(qtbot, tmp_path):
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(member_receipt(), "T-1001/A")
    saved = []
    view.saved.connect(saved.append)
    view.pdf_button.click()
    assert view.save_dialog.isVisible() and view.save_dialog.selectedFiles()[0].endswith("T-1001-A.pdf")
    view.save_dialog.reject()
    assert view.save_dialog is None
    view.save_pdf(str(tmp_path / "saved.pdf"))
    assert saved == [str(tmp_path / "saved.pdf")] and pdf_pages(tmp_path / "saved.pdf") == 1


def test_a_pdf_that_cannot_be_written_says_so(qtbot, tmp_path):
    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(member_receipt())
    failures = []
    view.failed.connect(failures.append)
    view.save_pdf(str(tmp_path / "no-such-folder" / "x.pdf"))
    assert failures == ["The PDF could not be saved there. Choose another folder."]


def test_an_empty_receipt_offers_nothing_to_print(qtbot):
    view = ReceiptView()
    qtbot.addWidget(view)
    assert not view.print_button.isEnabled() and not view.pdf_button.isEnabled()


def test_ctrl_p_prints_while_the_receipt_shows(qtbot):
    from PySide6.QtCore import Qt

    view = ReceiptView()
    qtbot.addWidget(view)
    view.set_receipt(member_receipt())
    view.show()
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)  # shortcuts work in the active window
    qtbot.keyClick(view.copy_button, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert view.print_dialog is not None and view.print_dialog.isVisible()
    view.print_dialog.reject()
    assert view.print_dialog is None
    assert view.scroll_area.minimumWidth() > view.preview_label.width()
