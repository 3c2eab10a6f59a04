"""A trainer sees a sale arrive: what the simulated AIQ's feeds receive (over real HTTP, on the
server's thread) is said in the training banner, as the texted PIN is."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from PySide6.QtCore import QObject, Slot

from budtender_app.services.aiq_config import AiqConfig
from budtender_app.services.feeds.client import FeedClient
from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID
from budtender_app.training_mode import show_texted_pins
from budtender_app.ui.counter.banner import TrainingBanner


def visit(pos_id, total, lines=1):
    return {"pos_id": pos_id, "transaction_date": "2026-12-02 12:00:00", "transaction_total": total,
            "visit_details_attributes": [{"sku": f"S{n}", "price": 1, "quantity": 1} for n in range(lines)]}


class Arrivals(QObject):
    """Told after the banner (queued slots of one signal run in the order they were connected)."""

    def __init__(self, relay) -> None:
        super().__init__()
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        relay.received.connect(self.on_received)

    @Slot(str)
    def on_received(self, words: str) -> None:
        self.queue.put_nowait(words)


async def shown(banner, arrivals, words, timeout=5.0):
    """The next arrival reached the banner, and the banner says ``words``."""
    await asyncio.wait_for(arrivals.queue.get(), timeout)
    assert words in banner.text()


@pytest.mark.asyncio
async def test_a_sale_a_refund_and_batches_show_in_the_banner(qtbot, server):
    banner = TrainingBanner()
    qtbot.addWidget(banner)
    arrivals = Arrivals(show_texted_pins(server.simulator, banner))
    async with httpx.AsyncClient(timeout=5.0) as http:
        client = FeedClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
        await client.post_sale(visit("POS-1001", 42.0))
        await shown(banner, arrivals, "AIQ (simulated) received sale POS-1001, $42.00, 1 line")
        assert banner.text().startswith("TRAINING: no real points")
        await client.post_sale(visit("POS-1001-R1", -1234.5, 3))
        await shown(banner, arrivals, "received refund POS-1001-R1, -$1,234.50, 3 lines")
        assert "POS-1001," not in banner.text()  # the newest only: the banner stays one line
        await client.post_sale(visit("POS-1001", 42.0))
        await shown(banner, arrivals, "received sale POS-1001, $42.00, 1 line (an update: AIQ had it)")
        await client.post_members([{"phone_number": "5551234567"}, {"phone_number": "5551234568"}])
        await shown(banner, arrivals, "AIQ (simulated) received 2 members")
        await client.post_inventory([{"sku": "A"}])
        await shown(banner, arrivals, "AIQ (simulated) received 1 inventory item")


@pytest.mark.asyncio
async def test_a_refused_sale_shows_nothing_and_a_long_id_is_cut(qtbot, server):
    banner = TrainingBanner()
    qtbot.addWidget(banner)
    arrivals = Arrivals(show_texted_pins(server.simulator, banner))
    async with httpx.AsyncClient(timeout=5.0) as http:
        client = FeedClient(http, AiqConfig(server.url, DEMO_API_KEY, DEMO_UID))
        with pytest.raises(Exception):  # noqa: B017 - any of the client's refusals; the banner is what is tested
            await client.post_sale({"pos_id": "", "transaction_total": 1})
        assert "received" not in banner.text()
        await client.post_sale(visit("X" * 300, 1))
        await shown(banner, arrivals, "received sale " + "X" * 39 + "…, $1.00")
