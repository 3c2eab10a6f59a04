"""The shift report on paper: an 80 mm slip or A4 pages, painted as receipts are (``receipt_paint``).

The slip is one long page, like a receipt. A4 pages take the same lines in a wider column with
larger margins, as many as fit a page, the TRAINING band repeated at the top and bottom of each
training page so no single sheet can be taken for the store's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter

from budtender_app.domain.receipt import TRAINING_LINE, Receipt
from budtender_app.ui.receipt.receipt_paint import PAPER_MM, PDF_DPI, _image, paint_receipt

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

A4_MM = (210.0, 297.0)
A4_MARGIN_MM = 12.0


def _px(mm: float, dpi: float) -> float:
    return mm / 25.4 * dpi


def a4_pages(receipt: Receipt, dpi: float, width_px: float, height_px: float) -> list[Receipt]:
    """The report's lines cut into pages that each fit ``height_px`` (the band on every page)."""
    band = [TRAINING_LINE] if receipt.training else []
    body = [line for line in receipt.lines if line != TRAINING_LINE]
    probe = _image(10, 10, dpi)
    pages: list[Receipt] = []
    page: list[str] = []
    for line in body:
        trial = Receipt((*band, *page, line, *band))
        if page and paint_receipt(None, trial, dpi=dpi, width_px=width_px, device=probe) > height_px:
            pages.append(Receipt((*band, *page, *band)))
            page = []
        page.append(line)
    pages.append(Receipt((*band, *page, *band)))
    return pages


def render_report_pdf(receipt: Receipt, path: str | os.PathLike[str], *, a4: bool) -> None:
    """Write the report to ``path``: one 80 mm slip, or A4 pages."""
    with open(path, "wb"):  # an unwritable place raises here, in words, not as a Qt warning
        pass
    writer = QPdfWriter(os.fspath(path))
    writer.setResolution(PDF_DPI)
    writer.setCreator("Budtender wallet terminal")
    writer.setTitle(("TRAINING - " if receipt.training else "") + "Shift report")
    if a4:
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         QMarginsF(0, 0, 0, 0)))
        width, height = _px(A4_MM[0], PDF_DPI), _px(A4_MM[1], PDF_DPI)
    else:
        width = _px(PAPER_MM, PDF_DPI)
        height = paint_receipt(None, receipt, dpi=PDF_DPI, width_px=width, device=_image(10, 10, PDF_DPI))
        writer.setPageLayout(QPageLayout(
            QPageSize(QSizeF(PAPER_MM, height / PDF_DPI * 25.4 + 2), QPageSize.Unit.Millimeter, "Slip",
                      QPageSize.SizeMatchPolicy.ExactMatch), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):  # Qt does not raise: an unwritable path only returns False
        raise OSError(f"cannot write a PDF to {os.fspath(path)}")
    try:
        _paint(painter, receipt, writer.resolution(), width, height, a4=a4, new_page=writer.newPage)
    finally:
        painter.end()


def print_report(receipt: Receipt, printer: QPrinter, *, a4: bool) -> None:
    """Print the report: 80 mm at the page's top left (a slip printer), or A4 pages."""
    page = printer.pageRect(printer.Unit.DevicePixel)
    dpi = printer.resolution()
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer did not start")
    try:
        width = page.width() if a4 else min(page.width(), _px(PAPER_MM, dpi))
        _paint(painter, receipt, dpi, width, page.height(), a4=a4, new_page=printer.newPage)
    finally:
        painter.end()


def _paint(painter: QPainter, receipt: Receipt, dpi: float, width: float, height: float, *, a4: bool,
           new_page: Callable[[], object]) -> None:
    if not a4:
        paint_receipt(painter, receipt, dpi=dpi, width_px=width)
        return
    margin = _px(A4_MARGIN_MM, dpi)
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    for index, page in enumerate(a4_pages(receipt, dpi, inner_w, inner_h)):
        if index:
            new_page()
        paint_receipt(painter, page, dpi=dpi, width_px=inner_w, top=margin, left=margin)
