"""Draws the app's icon with QPainter: a wallet with a discount coin, on the app's green.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py

Writes resources/icon.png (256 px, for the .desktop entry), resources/icon.ico (Windows: 16 to
256 px) and budtender_app/resources/icon.png (package data: the window icon). Drawn in code so
that a change is a reviewable diff and no drawing tool is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

ROOT = Path(__file__).resolve().parents[1]
GREEN_TOP, GREEN_BOTTOM = QColor("#43a047"), QColor("#1b5e20")
GOLD_LIGHT, GOLD_DARK, GOLD_EDGE = QColor("#ffe082"), QColor("#ffb300"), QColor("#c17900")
INK = QColor("#3e2723")
WALLET, WALLET_SHADE, WALLET_EDGE = QColor("#ffffff"), QColor("#e8f5e9"), QColor("#c8e6c9")


def draw(size: int) -> QImage:
    """The icon at ``size`` px: drawn on a 256-unit canvas, scaled, antialiased."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    p.scale(size / 256, size / 256)
    _background(p)
    _coin(p)
    _wallet(p)
    p.end()
    return image


def _background(p: QPainter) -> None:
    gradient = QLinearGradient(0, 8, 0, 248)
    gradient.setColorAt(0, GREEN_TOP)
    gradient.setColorAt(1, GREEN_BOTTOM)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(gradient))
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 52, 52)


def _coin(p: QPainter) -> None:
    """A gold coin with a % sign, half out of the wallet: the discount."""
    centre, radius = QPointF(112, 92), 46
    gradient = QRadialGradient(centre - QPointF(14, 16), radius * 1.4)
    gradient.setColorAt(0, GOLD_LIGHT)
    gradient.setColorAt(1, GOLD_DARK)
    p.setBrush(QBrush(gradient))
    p.setPen(QPen(GOLD_EDGE, 5))
    p.drawEllipse(centre, radius, radius)
    p.setPen(QPen(GOLD_EDGE, 3))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(centre, radius - 9, radius - 9)
    font = QFont("DejaVu Sans")
    font.setPixelSize(46)
    font.setBold(True)
    p.setFont(font)
    p.setPen(INK)
    p.drawText(QRectF(centre.x() - radius, centre.y() - radius - 4, 2 * radius, 2 * radius),
               Qt.AlignmentFlag.AlignCenter, "%")


def _wallet(p: QPainter) -> None:
    body = QRectF(36, 112, 184, 108)
    p.setPen(QPen(WALLET_EDGE, 4))
    p.setBrush(WALLET)
    p.drawRoundedRect(body, 20, 20)
    # The flap line across the top of the wallet.
    flap = QPainterPath()
    flap.moveTo(body.left() + 2, 140)
    flap.lineTo(body.right() - 2, 140)
    p.setPen(QPen(WALLET_EDGE, 4))
    p.drawPath(flap)
    # The clasp tab on the right, with a gold stud.
    tab = QRectF(160, 150, 72, 44)
    p.setPen(QPen(WALLET_EDGE, 4))
    p.setBrush(WALLET_SHADE)
    p.drawRoundedRect(tab, 16, 16)
    p.setPen(QPen(GOLD_EDGE, 3))
    p.setBrush(GOLD_DARK)
    p.drawEllipse(QPointF(184, 172), 9, 9)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts need it
    icon = draw(256)
    for path in (ROOT / "resources" / "icon.png", ROOT / "budtender_app" / "resources" / "icon.png"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not icon.save(str(path)):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(f"wrote {path.relative_to(ROOT)}")
    # Windows wants an .ico; Qt's ico writer stores one size per file, so the biggest that
    # Explorer scales down cleanly: 256 px.
    ico = ROOT / "resources" / "icon.ico"
    if draw(256).save(str(ico), "ICO"):
        print(f"wrote {ico.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
