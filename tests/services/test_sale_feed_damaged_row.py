"""A sales-feed row changed outside the app (a hand-edited journal) never stops the feed: the other
sales still go to AIQ, over real HTTP to the simulator."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.sale_feed import FeedState
from tests.helpers import MovingTime
from tests.viewmodels.test_sale_feed_checkout import CASHIER, Till, sale_posts
from tests.viewmodels.test_sale_feed_checkout import server as server  # the fixture


@pytest_asyncio.fixture
async def till(server, tmp_path):
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as http:
        made = Till(server, http, tmp_path, MovingTime())
        yield made
        await made.sender.stop()
        made.journal.close()


def hold(till: Till, *pos_ids: str) -> None:
    with till.journal.atomic() as conn:
        for pos_id in pos_ids:
            till.outbox.hold_sale(conn, pos_id, Decimal(5), location="Main St", contact_id="", shopper_masked="",
                                  staff=CASHIER)


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"fed sale #\d+ .*cannot be read|not a sale the counter sends")
@pytest.mark.parametrize("total", ["not money", "1e400"])
async def test_a_row_edited_outside_the_app_is_left_and_the_next_sale_still_goes(till, server, total):
    # Once the sender's loop died on it (a Decimal that cannot be read, a total check_total refuses):
    # no sale of this store went to AIQ again, in this run or after a restart.
    hold(till, "S-1", "S-2")
    with till.journal.atomic() as conn:
        conn.execute("UPDATE fed_sales SET total = ? WHERE pos_id = 'S-1'", (total,))
    till.sender.start()
    till.sender.poke()
    await till.until(lambda: "S-2" in server.simulator.sales)
    assert len(sale_posts(server)) == 1 and list(server.simulator.sales) == ["S-2"]
    hold(till, "S-3")  # and the loop is still there for the next checkout
    till.sender.poke()
    await till.until(lambda: "S-3" in server.simulator.sales)
    states = {r.pos_id: r.state for r in till.outbox.listed()}
    assert states["S-2"] is FeedState.SENT and states.get("S-1") in (None, FeedState.REFUSED)
