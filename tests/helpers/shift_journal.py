"""A journal written the way the counter writes it, by several staff, for the shift report's tests.

Every event goes through the journal's own API (queue, mark_sending, mark_redeemed, ...,
record_event) with the attribution branch's actors, on a clock the test moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from budtender_app.domain.actor import Actor
from budtender_app.domain.wallet import Discount

ANA = Actor("11", "Ana Cashier")
BO = Actor("12", "Bo Cashier")
MAX = Actor("21", "Max Manager")


class MovableClock:
    """A wall clock the test sets (``at``), for the journal."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def at(self, moment: datetime) -> None:
        self.moment = moment


def discount(n: int, *, dollars: str | None = "5", percent: str | None = None, points: int = 100) -> Discount:
    """A discount with a fixed dollar value, or a percentage one (``dollars=None, percent=...``)."""
    return Discount(id=f"d{n}", name=f"Deal {n}", redemption_url=f"https://aiq.invalid/redeem/u/d{n}/tok{n:08d}",
                    points=points, dollar_value=Decimal(dollars) if dollars else None,
                    percentage_value=Decimal(percent) if percent else None)


def redeem(journal, clock: MovableClock, when: datetime, tx: str, discounts: list[Discount], *, staff: Actor,
           shopper: str = "***-***-4567", contact: str = "c-1", outcome: str = "redeemed",
           approver: Actor | None = None) -> list[int]:
    """Check out ``tx`` at ``when`` as ``staff`` and send it: 'redeemed', 'rejected' or 'unknown'."""
    clock.at(when)
    rows = journal.queue(tx, discounts, shopper_masked=shopper, contact_id=contact, staff=staff, approver=approver)
    for row in rows:
        clock.at(when + timedelta(seconds=1))
        journal.mark_sending(row.id)
        if outcome == "redeemed":
            journal.mark_redeemed(row.id, f"aiq-{tx}-{row.discount_id}")
        elif outcome == "rejected":
            journal.mark_rejected(row.id, "AIQ said no")
        else:
            journal.mark_unknown(row.id, "no answer")
    return [r.id for r in rows]


def skip_pin(journal, clock: MovableClock, when: datetime, *, staff: Actor, approver: Actor = MAX) -> None:
    """A manager-approved PIN skip at ``when``."""
    clock.at(when)
    journal.record_event("pin_skipped", staff=staff, approver=approver, detail="shopper forgot the PIN")


def refund(journal, clock: MovableClock, when: datetime, entry_id: int, *, staff: Actor = MAX) -> None:
    """Give a redeemed row's points back (E10 accepted) at ``when``."""
    clock.at(when)
    journal.queue_reversal(entry_id, staff=staff)
    journal.mark_reversal_sending(entry_id)
    journal.mark_reversed(entry_id, "points back")


def sign_in(journal, clock: MovableClock, when: datetime, who: Actor) -> None:
    """``who`` signs in at the counter at ``when`` (what staff_signin.shift_recorder writes)."""
    clock.at(when)
    journal.record_event("signed_in", staff=who, detail="passcode")


def sign_out(journal, clock: MovableClock, when: datetime, who: Actor, why: str = "switched") -> None:
    """``who`` signs out at ``when``: "switched", "idle" or "quit"."""
    clock.at(when)
    journal.record_event("signed_out", staff=who, detail=why)
