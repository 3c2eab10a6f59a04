"""The sales feed's outbox: each sale to send to AIQ (F1) written down before it is sent.

A table of the journal's own file (``fed_sales``, schema 5), so a sale is journaled in the same
transaction as the checkout that made it (``AppliedSales.checkout`` calls ``hold_sale`` inside
its transaction): a crash keeps both or neither. Each row is one pos_id of this store, AIQ's key
for the sale: confirming a checkout twice, or sending a row again, never makes a second sale.

States (domain/sale_feed.FeedState): 'waiting' -> 'sending' (committed before the POST) -> 'sent',
'refused' (AIQ said no, with its reason) or back to 'waiting' with a time for the next try. A row
left 'sending' by an app that stopped goes back to 'waiting' at the next start: AIQ keys the sale
by pos_id, so sending it again updates the sale it may already have.

No phone is written here: the masked one (for people) and AIQ's contact ID (for AIQ). Each row's
journaling, sending and refusal is an audit event (``feed_queued``, ``feed_sent``,
``feed_refused``; their transaction_id is the pos_id), which the shift report counts.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from budtender_app.domain.actor import Actor, names
from budtender_app.domain.money import format_money
from budtender_app.domain.sale_feed import FedSale, FeedKind, FeedState, check_total, refund_id
from budtender_app.services.journal import Journal, JournalError, safe_text
from budtender_app.services.journal.audit import utc_text

log = logging.getLogger(__name__)

_COLUMNS = ("id, store, kind, pos_id, transaction_id, total, sold_at, location, contact_id, shopper_masked, "
            "staff_id, staff_name, state, attempts, message, next_try_at, updated_at")
_SELECT = f"SELECT {_COLUMNS} FROM fed_sales"
_INSERT = ("INSERT INTO fed_sales (store, kind, pos_id, transaction_id, total, sold_at, location, contact_id, "
           "shopper_masked, staff_id, staff_name, state, message, updated_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (store, kind, pos_id) DO NOTHING")
#: The list in the Redemptions window: a screenful and more.
LIST_LIMIT = 200
CLASHES_WITH_REFUND = ("Not sent: this transaction ID is the one this terminal gave the refund of another sale, "
                       "and AIQ keeps one sale per ID. Send this sale from the POS's export instead.")


class SaleOutbox:
    """This store's fed sales in the journal's file (``journal.store``)."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._unreadable: set[int] = set()  # rows said to be unreadable once

    @property
    def store(self) -> str:
        return self._journal.store

    def hold_sale(self, conn: sqlite3.Connection, transaction_id: str, total: Decimal, *, location: str,
                  contact_id: str, shopper_masked: str, staff: Actor) -> FedSale:
        """Journal the sale of a checkout, inside the checkout's own transaction ``conn`` (the
        journal's ``atomic()``). The same transaction confirmed again comes back as it is."""
        total = check_total(total, FeedKind.SALE)
        clash = self._journal.read_one("SELECT 1 FROM fed_sales WHERE store = ? AND kind = 'refund' AND pos_id = ?",
                                       (self.store, transaction_id)) is not None
        now = self._journal.now()
        state, message = (FeedState.REFUSED, CLASHES_WITH_REFUND) if clash else (FeedState.WAITING, "")
        cursor = conn.execute(_INSERT, (self.store, FeedKind.SALE.value, transaction_id, transaction_id,
                                        str(total), utc_text(now), location, contact_id, shopper_masked,
                                        *names(staff), state.value, message, utc_text(now)))
        if cursor.rowcount:
            self._event("feed_queued" if not clash else "feed_refused", transaction_id, staff,
                        f"sale of {format_money(total)} to AIQ's sales feed" + (f": {message}" if clash else ""))
        return self._one("kind = 'sale' AND pos_id = ?", (transaction_id,))

    def hold_refund(self, transaction_id: str, *, staff: Actor) -> FedSale | None:
        """Journal the refund of the fed sale of ``transaction_id`` (its whole total, negative),
        under its own pos_id (``refund_id``); None when that sale was never fed, or AIQ (or this
        terminal) refused it: AIQ has no sale to take back, and a refund alone would take points
        the shopper never earned. At most once."""
        with self._journal.atomic() as conn:
            sale = self._maybe("kind = 'sale' AND transaction_id = ?", (transaction_id,))
            if sale is None or sale.state is FeedState.REFUSED:
                return None
            done = self._maybe("kind = 'refund' AND transaction_id = ?", (transaction_id,))
            if done is not None:
                return done
            taken = [r[0] for r in self._journal.read_all("SELECT pos_id FROM fed_sales WHERE store = ?",
                                                           (self.store,))]
            pos_id, now = refund_id(transaction_id, taken), self._journal.now()
            conn.execute(_INSERT, (self.store, FeedKind.REFUND.value, pos_id, transaction_id, str(-sale.total),
                                   utc_text(now), sale.location, sale.contact_id, sale.shopper_masked,
                                   *names(staff), FeedState.WAITING.value, "", utc_text(now)))
            self._event("feed_queued", pos_id, staff,
                        f"refund of {format_money(sale.total)} (sale {transaction_id}) to AIQ's sales feed")
            return self._one("kind = 'refund' AND pos_id = ?", (pos_id,))

    # -- sending --------------------------------------------------------------------------------

    def start(self, row_id: int) -> FedSale | None:
        """'waiting' -> 'sending', committed before it returns: POST only after. None: not waiting
        (sent meanwhile, or another round has it): do not send."""
        with self._journal.atomic() as conn:
            moved = conn.execute("UPDATE fed_sales SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                                 "WHERE id = ? AND state = 'waiting'", (self._now(), row_id)).rowcount
        return self.get(row_id) if moved else None

    def sent(self, row_id: int) -> FedSale:
        """AIQ took it."""
        return self._end(row_id, FeedState.SENT, "", "feed_sent")

    def refused(self, row_id: int, reason: str) -> FedSale:
        """AIQ said no (its reason, made safe to keep): not sent again by itself."""
        return self._end(row_id, FeedState.REFUSED, safe_text(reason)[:300], "feed_refused")

    def again(self, row_id: int, reason: str, at: datetime) -> FedSale:
        """Not through (no network, AIQ busy, no clear answer): waiting again, tried at ``at``."""
        with self._journal.atomic() as conn:
            conn.execute("UPDATE fed_sales SET state = 'waiting', message = ?, next_try_at = ?, updated_at = ? "
                         "WHERE id = ? AND state = 'sending'", (safe_text(reason)[:300], utc_text(at), self._now(),
                                                                 row_id))
        return self.get(row_id)

    def retry(self, row_id: int, *, staff: Actor) -> FedSale:
        """A manager's "send again" of a refused row (the cause fixed: the API key, the UID)."""
        with self._journal.atomic() as conn:
            moved = conn.execute("UPDATE fed_sales SET state = 'waiting', next_try_at = NULL, updated_at = ? "
                                 "WHERE id = ? AND state = 'refused' AND message != ?",
                                 (self._now(), row_id, CLASHES_WITH_REFUND)).rowcount
            sale = self.get(row_id)
            if moved:
                self._event("feed_queued", sale.pos_id, staff, f"{sale.kind.value} to be sent again")
        return sale

    def recover_after_restart(self) -> int:
        """At start (the journal's lock held): rows an earlier run left 'sending' wait again, to
        be sent at once (AIQ keys them by pos_id: a resend updates). Returns how many."""
        with self._journal.atomic() as conn:
            return conn.execute("UPDATE fed_sales SET state = 'waiting', next_try_at = NULL, "
                                "message = 'the app stopped while this was being sent', updated_at = ? "
                                "WHERE state = 'sending'", (self._now(),)).rowcount

    # -- reading --------------------------------------------------------------------------------

    def due(self, now: datetime) -> list[FedSale]:
        """This store's waiting rows whose time to try has come, oldest first."""
        return self._many("state = 'waiting' AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY id",
                          (utc_text(now),))

    def listed(self, limit: int = LIST_LIMIT) -> list[FedSale]:
        """This store's fed sales, newest first."""
        return self._many("1 ORDER BY id DESC LIMIT ?", (limit,))

    def of_transaction(self, transaction_id: str) -> list[FedSale]:
        """The fed sale (and refund) of one POS transaction."""
        return self._many("transaction_id = ? ORDER BY id", (transaction_id,))

    def get(self, row_id: int) -> FedSale:
        row = self._journal.read_one(_SELECT + " WHERE id = ?", (row_id,))
        if row is None:
            raise JournalError(f"There is no fed sale #{row_id} in the journal.")
        return _fed(row)

    # -- plumbing -------------------------------------------------------------------------------

    def _end(self, row_id: int, state: FeedState, message: str, event: str) -> FedSale:
        with self._journal.atomic() as conn:
            moved = conn.execute("UPDATE fed_sales SET state = ?, message = ?, next_try_at = NULL, updated_at = ? "
                                 "WHERE id = ? AND state = 'sending'", (state.value, message, self._now(),
                                                                        row_id)).rowcount
            sale = self.get(row_id)
            if moved:
                self._event(event, sale.pos_id, Actor.terminal, message or f"{sale.kind.value} taken by AIQ")
        return sale

    def _event(self, event: str, pos_id: str, staff: Actor, detail: str) -> None:
        self._journal.record_event(event, staff=staff, transaction_id=pos_id, detail=detail)

    def _now(self) -> str:
        return utc_text(self._journal.now())

    def _maybe(self, where: str, params: Sequence[Any]) -> FedSale | None:
        row = self._journal.read_one(f"{_SELECT} WHERE store = ? AND {where}", (self.store, *params))
        return None if row is None else _fed(row)

    def _one(self, where: str, params: Sequence[Any]) -> FedSale:
        sale = self._maybe(where, params)
        if sale is None:  # pragma: no cover - just written in this transaction
            raise JournalError("The fed sale just journaled cannot be read back.")
        return sale

    def _many(self, where: str, params: Sequence[Any]) -> list[FedSale]:
        """The rows that can be read: one changed outside the app (a total that is not a number) is
        left out, said once, so the rest still go (it stopped the sender's loop for good)."""
        sales = []
        for row in self._journal.read_all(f"{_SELECT} WHERE store = ? AND {where}", (self.store, *params)):
            try:
                sales.append(_fed(row))
            except (ValueError, TypeError, ArithmeticError):
                if row[0] not in self._unreadable:
                    self._unreadable.add(row[0])
                    log.warning("fed sale #%s in the journal cannot be read (changed outside the app?): "
                                "left out", row[0])
        return sales


def _fed(r: Sequence[Any]) -> FedSale:
    return FedSale(
        id=r[0], store=r[1], kind=FeedKind(r[2]), pos_id=r[3], transaction_id=r[4], total=Decimal(r[5]),
        sold_at=datetime.fromisoformat(r[6]), location=r[7], contact_id=r[8], shopper_masked=r[9],
        staff=Actor.from_columns(r[10], r[11]) or Actor.unknown, state=FeedState(r[12]), attempts=r[13],
        message=r[14], next_try_at=datetime.fromisoformat(r[15]) if r[15] else None,
        updated_at=datetime.fromisoformat(r[16]))
