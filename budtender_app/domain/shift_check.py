"""The report checked against AIQ's own redemption report for the same span (E11).

AIQ's row field names are not public (AIQ-API.md): ``loyalty.parse_redemptions`` reads them
tolerantly, and a row here is matched to one of AIQ's on the strongest thing both carry, each of
AIQ's rows used once:

1. AIQ's redemption id (the journal keeps the id AIQ answered with);
2. the POS transaction and the discount;
3. the discount, the shopper (contactID) and the points, within ``NEAR`` of each other, for rows
   AIQ lists without a transaction.

What is left is "only here" (journaled as redeemed, AIQ does not list it: points not taken, or
taken under another transaction) and "only at AIQ" (AIQ lists it, this terminal has no such
redemption: another till, the web wallet, or a redemption this terminal never journaled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from budtender_app.domain.loyalty import AiqRedemption
from budtender_app.domain.shift_report import ReportEvent

#: How far apart two untagged rows' times may be and still be one redemption.
NEAR = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Check:
    """What AIQ's report shows against the terminal's: matched pairs, and what is on one side only."""

    matched: tuple[tuple[ReportEvent, AiqRedemption], ...]
    only_here: tuple[ReportEvent, ...]
    only_aiq: tuple[AiqRedemption, ...]

    @property
    def agrees(self) -> bool:
        """Nothing on one side only."""
        return not self.only_here and not self.only_aiq

    def summary(self) -> str:
        """One line: "AIQ's report: 5 matched, 0 only here, 1 only at AIQ"."""
        return (f"AIQ's report: {len(self.matched)} matched, {len(self.only_here)} only here, "
                f"{len(self.only_aiq)} only at AIQ")


def reconcile(ours: Sequence[ReportEvent], theirs: Sequence[AiqRedemption]) -> Check:
    """Match the report's redemptions to AIQ's rows (see the module's rules)."""
    left = list(theirs)
    matched: list[tuple[ReportEvent, AiqRedemption]] = []
    unmatched: list[ReportEvent] = []
    for event in ours:
        found = _find(event, left)
        if found is None:
            unmatched.append(event)
        else:
            left.remove(found)
            matched.append((event, found))
    return Check(tuple(matched), tuple(unmatched), tuple(left))


def _find(event: ReportEvent, rows: list[AiqRedemption]) -> AiqRedemption | None:
    if event.aiq_redemption_id:
        for row in rows:
            if row.id and row.id == event.aiq_redemption_id:
                return row
    for row in rows:
        if row.transaction_id and row.transaction_id == event.transaction_id and row.discount_id == event.discount_id:
            return row
    for row in rows:
        if (not row.transaction_id and row.discount_id == event.discount_id
                and (not row.contact_id or row.contact_id == event.shopper)
                and (row.points is None or row.points == event.points)
                and (row.created is None or abs(row.created - event.at) <= NEAR)):
            return row
    return None
