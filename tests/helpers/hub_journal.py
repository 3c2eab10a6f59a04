"""Journals with sales in them, for the store hub's tests."""

from __future__ import annotations

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount
from budtender_app.services.journal import Journal, JournalLock, Seal

TOKEN = "tok3nSECRETabcdef12345"
CASHIER = Actor("s-1", "Robin")
SEAL = Seal("journal-one", b"k" * 32)


def url_of(n: int) -> str:
    return f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d{n}/{TOKEN}{n}"


def write_sales(path, sales: int, seal: Seal = SEAL) -> None:
    """``sales`` checkouts of two discounts each, sent and redeemed: 6 events a sale."""
    with Journal(path, store="Main St", terminal="till-1", seal=seal, lock=JournalLock(path).acquire()) as j:
        start = j.audit.last()[0]
        for n in range(start, start + sales):
            discounts = [Discount(id=f"d{k}", name=f"${k} off", points=100, redemption_url=url_of(k),
                                  pos_discount_id=f"POS-{k}") for k in (1, 2)]
            for entry in j.queue(f"POS-{n:08d}", discounts, staff=CASHIER, shopper_masked="***-***-4567",
                                 contact_id="C-77"):
                j.mark_sending(entry.id)
                j.mark_redeemed(entry.id, f"aiq-{entry.id}")
