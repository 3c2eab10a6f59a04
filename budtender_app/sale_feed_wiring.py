"""The composition root's part in the sales feed (issue 16): the outbox, its background sender, the
counter's checkout hook, the Redemptions window's list and the refund hook, built once.

The feed follows the counter's current store profile: its ``send_sales`` setting (read at each
checkout) and its name (AIQ's location), after a profile switch too. It sends over the app's
current httpx client and AIQ config (services.http and the client's config, which a profile
switch replaces): in training that is the simulator, in process, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from budtender_app.services.aiq_config import RateLimiter
from budtender_app.services.sale_feed.feed import SaleFeed
from budtender_app.services.sale_feed.outbox import SaleOutbox
from budtender_app.services.sale_feed.sender import SaleSender
from budtender_app.viewmodels.sales_sent import SalesSentViewModel

if TYPE_CHECKING:
    from budtender_app.app import Services
    from budtender_app.viewmodels.pending import PendingViewModel
    from budtender_app.viewmodels.redemption import RedemptionViewModel

#: The feed's own pace, under AIQ's ~2 requests a second with the counter's calls beside it.
FEED_RATE = 0.5


class _CurrentFeedClient:
    """A FeedClient over whatever httpx client and config the app uses at the moment of the send."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._limiter = RateLimiter(rate=FEED_RATE, burst=1, clock=services.clock.monotonic)

    async def post_sale(self, visit: Mapping[str, Any], *, member: Mapping[str, Any] | None = None) -> object:
        from budtender_app.services.feeds.client import FeedClient  # at the first send, not at start-up

        s = self._services
        client = FeedClient(s.http, s.client.config, limiter=self._limiter, clock=s.clock)
        return await client.post_sale(visit, member=member)


def add_sale_feed(services: Services, vm: RedemptionViewModel, pending_vm: PendingViewModel) -> SaleSender:
    """Wire the feed into the counter and the Redemptions window; the sender starts once the loop
    runs. Returns it (its ``stop`` goes with the app's closing steps)."""
    from budtender_app.feed_wiring import store_sends_sales

    def enabled() -> bool:
        return store_sends_sales(services)

    outbox = SaleOutbox(services.journal)
    outbox.recover_after_restart()  # rows an earlier run left mid-send wait again (a resend updates)

    def after_send() -> None:  # the Redemptions window's list shows the new states
        if pending_vm.sales_sent is not None:
            pending_vm.sales_sent.refresh()

    sender = SaleSender(_CurrentFeedClient(services), outbox, clock=services.clock, after_send=after_send)
    feed = SaleFeed(outbox, sender, enabled=enabled, location=lambda: services.counter.store,
                    phone=lambda: vm.phone.digits if vm.phone is not None else "")
    vm.till.feed = feed
    pending_vm.sales_sent = SalesSentViewModel(feed, services.journal, services.clock, enabled=enabled,
                                               acting=pending_vm.acting, parent=pending_vm)
    QTimer.singleShot(0, sender.start)  # the asyncio loop runs by then
    return sender
