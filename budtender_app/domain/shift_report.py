"""The shift and end-of-day report: who redeemed, skipped PINs, gave points back, signed shoppers up.

Pure Python over a sequence of ``ReportEvent`` (one audit event with the facts of the redemption
row it is about, mapped by ``services/shift_report.py``) and ``SignUp`` (one consent record).
"A date" is the store's local day: from its midnight to the next one in the store's zone
(``day_range``), so a day across a DST change is 23 or 25 hours long and a +14:00 store's day
starts at 10:00 UTC the day before.

What each figure counts, and who it is credited to:

- **redemptions**: a "redeemed" event, or a manager's "resolved" that left the row redeemed
  (AIQ's report showed it), credited to the cashier who checked the sale out (the row's staff).
  Points are the row's ``pointsDeduction``. Dollars add the rows' fixed ``dollar_value`` only: a
  percentage discount (or one with no value AIQ told us) has no dollar figure, so it is counted
  apart (``no_fixed_value``) and the report says so rather than inventing one.
- **refunds**: points given back ("reversed", or a manager's "reversal_resolved" that left the
  row reversed), credited to whoever asked for it (the event's staff).
- **PIN skips**: "pin_skipped" events, credited to the cashier (the approver is the manager).
- **unknown** and **refused**: "unknown" (sent, no answer) and "rejected" (AIQ said no) events,
  each row counted once, credited to the row's cashier.
- **sales sent to AIQ** (the store's sales feed, issue 16): each sale or refund this terminal fed
  to AIQ, counted once by its last word in the span (sent, waiting, refused: ``sale_feed.count_feed``).
- **sign-ups**: consent records in the range; records from before they named staff count in the
  total only (under ``Actor.unknown``), and the report says so.

The unusual patterns are ``shift_flags.py``; the text for paper and the command line is
``shift_text.py``; the check against AIQ's report (E11) is ``shift_check.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from budtender_app.domain.actor import Actor
from budtender_app.domain.sale_feed import FeedCount, count_feed


@dataclass(frozen=True, slots=True)
class ReportEvent:
    """One audit event, with what the report needs of the redemption row it is about.

    ``at`` is timezone-aware. ``cashier`` is the row's staff (who checked the sale out), ``staff``
    the event's (who did this step). ``shopper`` is AIQ's contactID when known, else the masked
    phone ("***-***-4567"): never a full phone. ``shopper_masked`` is what a person may be shown."""

    id: int
    at: datetime
    event: str
    state: str = ""  # the row's state after the event
    staff: Actor = Actor.unknown
    approver: Actor | None = None
    cashier: Actor = Actor.unknown
    entry_id: int = 0
    transaction_id: str = ""
    discount_id: str = ""
    discount_name: str = ""
    points: int = 0
    dollar_value: Decimal | None = None
    percentage_value: Decimal | None = None
    value_text: str = ""
    shopper: str = ""
    shopper_masked: str = ""
    aiq_redemption_id: str = ""
    terminal: str = ""

    @property
    def is_redemption(self) -> bool:
        """Points taken: AIQ said yes, or a manager found it in AIQ's report."""
        return self.event == "redeemed" or (self.event == "resolved" and self.state == "redeemed")

    @property
    def is_refund(self) -> bool:
        """Points given back."""
        return self.event == "reversed" or (self.event == "reversal_resolved" and self.state == "reversed")


@dataclass(frozen=True, slots=True)
class SignUp:
    """One consent recorded at the counter (a sign-up), and who recorded it when the record says."""

    at: datetime
    staff: Actor = Actor.unknown
    terminal: str = ""


@dataclass(slots=True)
class Figures:
    """One staff member's figures (or the total's)."""

    staff: Actor
    redemptions: int = 0
    points: int = 0
    dollars: Decimal = Decimal("0.00")
    no_fixed_value: int = 0  # redemptions with a percentage (or no) value: no dollar figure
    sign_ups: int = 0
    pin_skips: int = 0
    refunds: int = 0
    refund_points: int = 0
    unknown: int = 0
    refused: int = 0
    sales: set[str] = field(default_factory=set)  # transactions checked out: the PIN-skip rate's base

    def add(self, other: Figures) -> None:
        """Add ``other``'s figures to these (the total)."""
        for name in ("redemptions", "points", "dollars", "no_fixed_value", "sign_ups", "pin_skips",
                     "refunds", "refund_points", "unknown", "refused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sales |= other.sales


@dataclass(frozen=True, slots=True)
class Span:
    """What the report covers: [start, end) in UTC, its title ("2026-11-22" or a shift's times)."""

    start: datetime
    end: datetime
    title: str
    zone: tzinfo

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """When the store is open, local time; a closing time at or before the opening one is past
    midnight. There is no store setting for it yet: ``DEFAULT_HOURS`` unless the caller says."""

    opens: time = time(8, 0)
    closes: time = time(22, 0)

    def is_open(self, local: time) -> bool:
        """Whether a local clock time is inside the opening hours."""
        if self.opens < self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


DEFAULT_HOURS = OpeningHours()


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """The report: per staff member (by name), the total, the flags and what the figures leave out."""

    span: Span
    staff: tuple[Figures, ...]
    total: Figures
    flags: tuple[object, ...]  # shift_flags.Flag (kept loose here so the modules stay one-way)
    notes: tuple[str, ...]
    redemptions: tuple[ReportEvent, ...]  # what AIQ's report should show too (E11)
    hours: OpeningHours = DEFAULT_HOURS
    feed: FeedCount = field(default_factory=FeedCount)  # sales and refunds fed to AIQ from this terminal


def day_range(day: date, zone: tzinfo) -> Span:
    """The store's local day ``day``: from its midnight to the next, in UTC (DST-safe: a day with
    a change is 23 or 25 hours; a midnight that does not exist starts at the change)."""
    def midnight(d: date) -> datetime:
        return datetime.combine(d, time(), tzinfo=zone).astimezone(UTC)

    return Span(midnight(day), midnight(day + timedelta(days=1)), day.isoformat(), zone)


def shift_range(start: datetime, end: datetime, zone: tzinfo) -> Span:
    """A shift (from a sign-in to its sign-out): [start, end), titled in the store's local time."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a shift's start and end must be timezone-aware")
    if end <= start:
        raise ValueError("the shift ends before it starts")
    a, b = start.astimezone(zone), end.astimezone(zone)
    title = f"{a:%Y-%m-%d %H:%M}-{b:%H:%M}" if a.date() == b.date() else f"{a:%Y-%m-%d %H:%M}-{b:%Y-%m-%d %H:%M}"
    return Span(start.astimezone(UTC), end.astimezone(UTC), f"shift {title}", zone)


def build_report(span: Span, events: Iterable[ReportEvent], sign_ups: Iterable[SignUp] = (), *,
                 hours: OpeningHours = DEFAULT_HOURS, sign_ups_known: bool = True) -> ShiftReport:
    """The report of ``span`` from the events (any order; those outside the span are left out).

    ``sign_ups_known``: False when the consent record could not be read (the report says so)."""
    from budtender_app.domain.shift_flags import find_flags  # its own module; it needs these types

    inside = sorted((e for e in events if e.at in span), key=lambda e: e.id)
    people: dict[Actor, Figures] = {}

    def of(actor: Actor) -> Figures:
        return people.setdefault(actor, Figures(actor))

    counted: set[tuple[str, int]] = set()
    for event in inside:
        _count(event, of, counted)
    signups = [s for s in sign_ups if s.at in span]
    for s in signups:
        if s.staff.is_known:
            of(s.staff).sign_ups += 1
    total = Figures(Actor("", "Total"))
    for figures in people.values():
        total.add(figures)
    total.sign_ups += sum(1 for s in signups if not s.staff.is_known)  # no person to put them on
    redemptions = tuple(e for e in inside if e.is_redemption)
    feed = count_feed((e.event, e.transaction_id) for e in inside)
    notes = _notes(total, signups, sign_ups_known, hours) + ([feed.sentence()] if feed.any else [])
    return ShiftReport(span, tuple(sorted(people.values(), key=_order)), total,
                       tuple(find_flags(inside, span.zone, hours)), tuple(notes), redemptions, hours, feed)


def _count(event: ReportEvent, of: Callable[[Actor], Figures], counted: set[tuple[str, int]]) -> None:
    """Add one event to its person's figures (each row once per kind)."""
    key = (event.event if not event.is_redemption else "redeemed", event.entry_id)
    if event.entry_id and key in counted:
        return
    counted.add(key)
    if event.event == "queued":
        of(event.cashier).sales.add(event.transaction_id)
    elif event.is_redemption:
        figures = of(event.cashier)
        figures.redemptions += 1
        figures.points += event.points
        if event.dollar_value is not None and event.dollar_value > 0:
            figures.dollars += event.dollar_value
        else:
            figures.no_fixed_value += 1
    elif event.is_refund:
        figures = of(event.staff)
        figures.refunds += 1
        figures.refund_points += event.points
    elif event.event == "pin_skipped":
        of(event.staff).pin_skips += 1
    elif event.event == "unknown":
        of(event.cashier).unknown += 1
    elif event.event == "rejected":
        of(event.cashier).refused += 1


def _order(figures: Figures) -> tuple[bool, str]:
    """People by name; "Not signed in" (history from before attribution) last."""
    return (not figures.staff.is_known, figures.staff.name.casefold())


def _notes(total: Figures, signups: Sequence[SignUp], sign_ups_known: bool, hours: OpeningHours) -> list[str]:
    notes = []
    if total.no_fixed_value:
        count = total.no_fixed_value
        notes.append(f"{count} {'redemption' if count == 1 else 'redemptions'} had a percentage (or no fixed) "
                     "value: not in the dollar figure.")
    if not sign_ups_known:
        notes.append("Sign-ups could not be read from the consent record: not counted.")
    elif any(not s.staff.is_known for s in signups):
        notes.append("Sign-ups do not name who recorded them yet: they count in the total only.")
    notes.append(f"Opening hours taken as {hours} (there is no store setting for them yet).")
    return notes
