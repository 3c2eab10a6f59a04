"""What a manager is told: unusual patterns in a report's events, each with the events behind it.

Three patterns, each simple enough to explain at the counter:

- **The same shopper redeemed several times in a day**: one shopper (AIQ's contactID, else the
  masked phone) with redemptions on ``REPEAT_SALES`` (3) or more different sales on one local day.
  Several discounts on one sale are one visit, not a pattern.
- **One cashier's PIN-skip rate far above the others'**: a cashier's rate is their PIN skips
  over the sales they checked out plus those skips (a skipped PIN that ended in no sale still
  counts). Flagged when they skipped at least ``PIN_SKIP_MIN`` (2) times and their rate is more
  than ``PIN_SKIP_FACTOR`` (2) times the rate of everyone else together. With nobody else
  working there is nobody to compare with, so no flag.
- **Redemptions outside opening hours**: a redemption whose local time is outside the store's
  opening hours (``OpeningHours``; there is no store setting yet, 08:00-22:00 by default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum

from budtender_app.domain.actor import Actor
from budtender_app.domain.shift_report import OpeningHours, ReportEvent

#: Different sales with a redemption, one shopper, one day: from this many it is flagged.
REPEAT_SALES = 3
#: PIN skips a cashier must have before their rate can be flagged.
PIN_SKIP_MIN = 2
#: How many times the others' rate a cashier's PIN-skip rate must exceed.
PIN_SKIP_FACTOR = 2


class FlagKind(StrEnum):
    """Which unusual pattern."""

    REPEAT_SHOPPER = "repeat_shopper"
    PIN_SKIPS = "pin_skips"
    OUT_OF_HOURS = "out_of_hours"


@dataclass(frozen=True, slots=True)
class Flag:
    """One unusual pattern: what it is in words, and the events behind it (oldest first)."""

    kind: FlagKind
    text: str
    events: tuple[ReportEvent, ...]


def find_flags(events: Sequence[ReportEvent], zone: tzinfo, hours: OpeningHours) -> list[Flag]:
    """Every unusual pattern in ``events`` (one report's, in event order)."""
    return [*_repeat_shoppers(events, zone), *_pin_skips(events), *_out_of_hours(events, zone, hours)]


def _repeat_shoppers(events: Sequence[ReportEvent], zone: tzinfo) -> list[Flag]:
    groups: dict[tuple[str, str], list[ReportEvent]] = defaultdict(list)
    for e in events:
        if e.is_redemption and e.shopper:
            groups[(e.at.astimezone(zone).date().isoformat(), e.shopper)].append(e)
    flags = []
    for (day, _shopper), rows in groups.items():
        sales = {e.transaction_id for e in rows}
        if len(sales) >= REPEAT_SALES:
            who = rows[0].shopper_masked or "one shopper"
            flags.append(Flag(FlagKind.REPEAT_SHOPPER, (
                f"Shopper {who} redeemed on {len(sales)} different sales on {day} "
                f"({len(rows)} discounts, {sum(e.points for e in rows):,} points)."), tuple(rows)))
    return flags


def _pin_skips(events: Sequence[ReportEvent]) -> list[Flag]:
    skips: dict[Actor, list[ReportEvent]] = defaultdict(list)
    sales: dict[Actor, set[str]] = defaultdict(set)
    for e in events:
        if e.event == "pin_skipped":
            skips[e.staff].append(e)
        elif e.event == "queued":
            sales[e.cashier].add(e.transaction_id)
    people = set(skips) | set(sales)
    flags = []
    for person, theirs in skips.items():
        others = people - {person}
        if len(theirs) < PIN_SKIP_MIN or not others:
            continue
        rate = len(theirs) / (len(sales.get(person, ())) + len(theirs))
        other_skips = sum(len(skips.get(o, ())) for o in others)
        other_base = sum(len(sales.get(o, ())) for o in others) + other_skips
        other_rate = other_skips / other_base if other_base else 0.0
        if rate > PIN_SKIP_FACTOR * other_rate:
            flags.append(Flag(FlagKind.PIN_SKIPS, (
                f"{person.name} skipped the shopper's PIN {len(theirs)} times ({rate:.0%} of their sales); "
                f"everyone else: {other_skips} ({other_rate:.0%})."), tuple(theirs)))
    return flags


def _out_of_hours(events: Sequence[ReportEvent], zone: tzinfo, hours: OpeningHours) -> list[Flag]:
    late = [e for e in events if e.is_redemption and not hours.is_open(e.at.astimezone(zone).time())]
    if not late:
        return []
    times = ", ".join(f"{e.at.astimezone(zone):%H:%M}" for e in late[:5]) + (", ..." if len(late) > 5 else "")
    return [Flag(FlagKind.OUT_OF_HOURS, (
        f"{len(late)} {'redemption' if len(late) == 1 else 'redemptions'} outside opening hours ({hours}): "
        f"{times}."), tuple(late))]
