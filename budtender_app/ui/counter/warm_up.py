"""Right after start, the window draws each screen of the first sale once, off screen.

Qt does its first-time work (style, layout, glyphs) then, one screen per turn of the loop,
instead of freezing the first shopper's sale by 20-30 ms (MainWindow.prepare_screens).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QWidget


async def draw_off_screen(window: QWidget, screens: Sequence[QWidget], still_idle: Callable[[], bool]) -> None:
    """Lay out and draw each of ``screens`` once, stopping as soon as ``still_idle()`` is False."""
    await asyncio.sleep(0)
    # A line's first restyle (style.py) touches QStyle, whose Python enums PySide6 builds then
    # (~10 ms): build them now, not in the first shopper's sale.
    window.style()
    for screen in screens:
        await asyncio.sleep(0)
        if not still_idle():
            return  # a sale has begun: it does its own drawing
        screen.ensurePolished()
        layout = screen.layout()
        if layout is not None:
            layout.activate()
        screen.grab()
