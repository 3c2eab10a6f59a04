"""Drawing a receipt: one painting routine for the screen preview, the printer and the PDF.

Sizes are physical (millimetres, points) turned into the device's pixels through its DPI, so an
80 mm slip is 80 mm on a thermal printer, in a PDF and on paper from an office printer. The QR
code is drawn from segno's module matrix as filled rectangles (vector in a PDF), each module a
whole number of device pixels so none blurs into its neighbour on a printer or a screen.

A training slip's TRAINING line is painted as a black band with white capitals, top and bottom:
a tint would vanish on a one-colour thermal printer, a band cannot.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
)

from budtender_app.domain.receipt import TRAINING_LINE, Receipt

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

PAPER_MM = 80.0  # the usual receipt roll
MARGIN_MM = 4.0
QR_MM = 34.0  # a phone camera reads this from a counter's distance
TEXT_PT = 9.0
SCREEN_DPI = 120
PDF_DPI = 300


def _px(mm: float, dpi: float) -> float:
    return mm / 25.4 * dpi


def _font(size_pt: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(size_pt)
    font.setBold(bold)
    return font


def paint_receipt(painter: QPainter | None, receipt: Receipt, *, dpi: float, width_px: float,
                  device: QPaintDevice | None = None, top: float = 0.0, left: float = 0.0) -> float:
    """Draw ``receipt`` in a column ``width_px`` wide; returns the height used (device pixels).

    With ``painter`` None nothing is drawn: the height is measured on ``device`` (for a PDF page).
    """
    margin = _px(MARGIN_MM, dpi)
    inner = QRectF(left + margin, top + margin, width_px - 2 * margin, 0)
    y = inner.top()
    flags = int(Qt.TextFlag.TextWordWrap)
    first = next((i for i, line in enumerate(receipt.lines) if line != TRAINING_LINE), -1)
    for index, line in enumerate(receipt.lines):
        row = QRectF(inner.left(), y, inner.width(), 0)
        if line == TRAINING_LINE:
            y += _band(painter, device, row, line, dpi)
            continue
        font = _font(TEXT_PT + (1 if index == first else 0), bold=index == first)
        y += _text(painter, device, font, row, line or " ", flags)
    if receipt.qr_url:
        y += _px(3, dpi)
        y += _qr(painter, receipt, QRectF(inner.left(), y, inner.width(), 0), dpi)
        y += _px(1.5, dpi)
        centred = flags | int(Qt.AlignmentFlag.AlignHCenter)
        y += _text(painter, device, _font(TEXT_PT, bold=True), QRectF(inner.left(), y, inner.width(), 0),
                   receipt.qr_caption, centred)
        y += _text(painter, device, _font(TEXT_PT - 1.5), QRectF(inner.left(), y, inner.width(), 0),
                   receipt.qr_url, centred | int(Qt.TextFlag.TextWrapAnywhere))
    return y + margin - top


def _text(painter: QPainter | None, device: QPaintDevice | None, font: QFont, rect: QRectF, text: str,
          flags: int, colour: str = "black") -> float:
    target = device if device is not None else painter.device() if painter is not None else None
    metrics = QFontMetricsF(font, target) if target is not None else QFontMetricsF(font)
    bounds = metrics.boundingRect(QRectF(rect.left(), rect.top(), rect.width(), 1e6), flags, text)
    if painter is not None:
        painter.setFont(font)
        painter.setPen(QColor(colour))
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), bounds.height()), flags, text)
    return bounds.height()


def _band(painter: QPainter | None, device: QPaintDevice | None, rect: QRectF, text: str, dpi: float) -> float:
    """``text`` in bold white on a full-width black band, with a little room above and below."""
    pad = _px(1.2, dpi)
    flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignHCenter)
    font = _font(TEXT_PT + 2, bold=True)
    inside = QRectF(rect.left(), rect.top() + 2 * pad, rect.width(), 0)
    target = device if device is not None else painter.device() if painter is not None else None
    height = _text(None, target, font, inside, text, flags)
    if painter is not None:
        painter.fillRect(QRectF(rect.left(), rect.top() + pad, rect.width(), height + 2 * pad), QColor("black"))
        _text(painter, None, font, inside, text, flags, colour="white")
    return height + 4 * pad


def _qr(painter: QPainter | None, receipt: Receipt, rect: QRectF, dpi: float) -> float:
    modules = receipt.qr_modules()
    count = len(modules)
    side = min(rect.width(), _px(QR_MM, dpi))
    module = max(1.0, float(int(side / count)))  # whole device pixels: no grey seams, no blur
    side = module * count
    x0 = round(rect.left() + (rect.width() - side) / 2)
    if painter is not None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(QRectF(x0, rect.top(), side, side), QColor("white"))
        black = QColor("black")
        for r, row in enumerate(modules):
            c = 0
            while c < count:  # one rectangle per run of dark modules: fewer, seamless shapes
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < count and row[c]:
                    c += 1
                painter.fillRect(QRectF(x0 + start * module, rect.top() + r * module,
                                        (c - start) * module, module), black)
        painter.restore()
    return side


def render_image(receipt: Receipt, dpi: float = SCREEN_DPI) -> QImage:
    """The receipt as it comes out of the printer, at ``dpi`` (the screen preview, tests)."""
    width = round(_px(PAPER_MM, dpi))
    probe = _image(width, 10, dpi)
    height = round(paint_receipt(None, receipt, dpi=dpi, width_px=width, device=probe))
    image = _image(width, max(height, 1), dpi)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    paint_receipt(painter, receipt, dpi=dpi, width_px=width)
    painter.end()
    return image


def render_pdf(receipt: Receipt, path: str | os.PathLike[str]) -> None:
    """Write the receipt to ``path`` as a one-page PDF the size of an 80 mm slip."""
    with open(path, "wb"):  # an unwritable place raises here, in words, not as a Qt warning
        pass
    writer = QPdfWriter(os.fspath(path))
    writer.setResolution(PDF_DPI)
    writer.setCreator("Budtender wallet terminal")
    writer.setTitle(("TRAINING - " if receipt.training else "") + "AIQ loyalty receipt")
    width = _px(PAPER_MM, PDF_DPI)
    height = paint_receipt(None, receipt, dpi=PDF_DPI, width_px=width, device=_image(10, 10, PDF_DPI))
    height_mm = height / PDF_DPI * 25.4 + 2  # a little slack for the PDF's own font metrics
    writer.setPageLayout(QPageLayout(QPageSize(QSizeF(PAPER_MM, height_mm), QPageSize.Unit.Millimeter, "Receipt",
                                               QPageSize.SizeMatchPolicy.ExactMatch),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):  # Qt does not raise: an unwritable path only returns False
        raise OSError(f"cannot write a PDF to {os.fspath(path)}")
    try:
        paint_receipt(painter, receipt, dpi=writer.resolution(), width_px=width)
    finally:
        painter.end()


def print_receipt(receipt: Receipt, printer: QPrinter) -> None:
    """Draw the receipt at the top left of the printer's page, 80 mm wide (or the page's width)."""
    page = printer.pageRect(printer.Unit.DevicePixel)
    dpi = printer.resolution()
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer did not start")
    try:
        paint_receipt(painter, receipt, dpi=dpi, width_px=min(page.width(), _px(PAPER_MM, dpi)))
    finally:
        painter.end()


def _image(width: int, height: int, dpi: float) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    dots_per_metre = round(dpi / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("white"))
    return image
