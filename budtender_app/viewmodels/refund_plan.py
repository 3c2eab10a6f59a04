"""The refund tab's rules beyond one line: a whole POS transaction given back in one step, and
the "Recent" lookup (redeemed lines of the last days, by the shopper's last 4 digits or a day).

Pure reading: nothing here moves points. The view model sends each planned line through the
sender (E10), and the journal's rules (domain/journal_rules.py) still decide every move, so a
line given back meanwhile is refused there, never sent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from budtender_app.domain.clock import Clock
from budtender_app.domain.messages import Level
from budtender_app.domain.redemption import TransactionIdError, parse_transaction_id
from budtender_app.services.journal import Journal, JournalEntry, State

if TYPE_CHECKING:  # the words import RefundPlan from here
    from budtender_app.viewmodels.pending_words import PendingWords

#: Rows a refund can see: the points were taken at checkout.
REFUNDABLE_STATES = frozenset({State.REDEEMED, State.REVERSING, State.REVERSED})
#: "Recent" without a day: this many days back from now.
RECENT_DAYS = 7
#: A screenful and more; a busy store's week is found by day or shopper instead.
RECENT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class RefundPlan:
    """What giving back a whole transaction would do: the lines to send, and the lines skipped
    with why (already given back, being given back, not redeemed, no AIQ shopper id)."""

    transaction_id: str
    to_give: tuple[JournalEntry, ...]
    skipped: tuple[tuple[JournalEntry, str], ...]

    @property
    def points(self) -> int:
        """The points the planned lines give back, together."""
        return sum(e.points for e in self.to_give)

    @property
    def shoppers(self) -> str:
        """The masked shoppers of the planned lines (one, normally), in order, without repeats."""
        return ", ".join(dict.fromkeys(e.shopper_masked for e in self.to_give if e.shopper_masked))


def plan_refund(transaction_id: str, rows: Iterable[JournalEntry],
                skip_reason: Callable[[JournalEntry], str | None]) -> RefundPlan:
    """The plan for ``rows`` (one transaction's lines): a line with a ``skip_reason`` is skipped."""
    to_give: list[JournalEntry] = []
    skipped: list[tuple[JournalEntry, str]] = []
    for row in rows:
        why = skip_reason(row)
        if why is None:
            to_give.append(row)
        else:
            skipped.append((row, why))
    return RefundPlan(transaction_id, tuple(to_give), tuple(skipped))


def valid_last4(text: str) -> bool:
    """Empty (any shopper) or 1 to 4 digits: the end of the shopper's phone number."""
    return not text or (text.isdigit() and len(text) <= 4)


def shopper_ends_with(entry: JournalEntry, last4: str) -> bool:
    """The masked phone (***-***-4567) ends with these digits ("" matches every line)."""
    return "".join(c for c in entry.shopper_masked if c.isdigit()).endswith(last4)


def day_span(clock: Clock, day: date) -> tuple[datetime, datetime]:
    """The store's whole local day as [start, end) moments (the clock's zone)."""
    start = datetime.combine(day, time.min)
    start = start.replace(tzinfo=clock.zone) if clock.zone is not None else start.astimezone()
    end = datetime.combine(day + timedelta(days=1), time.min)
    end = end.replace(tzinfo=clock.zone) if clock.zone is not None else end.astimezone()
    return start, end


def recent_lines(journal: Journal, clock: Clock, *, last4: str = "", day: date | None = None,
                 days: int = RECENT_DAYS) -> list[JournalEntry]:
    """This store's lines whose points were taken, newest first: of ``day`` (the store's local
    day), else of the last ``days`` days; only the shopper whose phone ends with ``last4``."""
    if day is not None:
        start, end = day_span(clock, day)
    else:
        end = clock.now() + timedelta(minutes=1)  # a line journaled this very minute is in it
        start = end - timedelta(days=days, minutes=1)
    rows = [e for e in journal.between(start, end)
            if e.store == journal.store and e.state in REFUNDABLE_STATES and shopper_ends_with(e, last4)]
    return sorted(rows, key=lambda e: (e.created_at, e.id), reverse=True)[:RECENT_LIMIT]


class RefundLookup:
    """The refund tab's rows: one transaction's lines whose points were taken, or the Recent
    ones; ``again()`` re-reads the same lookup (after a refund, the rows' new states)."""

    def __init__(self, journal: Journal, clock: Clock, words: PendingWords) -> None:
        self._journal = journal
        self._clock = clock
        self._words = words
        self.transaction = ""
        self.recent: tuple[str, date | None] | None = None  # (last 4 digits, day) when Recent is shown
        self.rows: list[JournalEntry] = []

    def find(self, typed: str) -> tuple[Level, str]:
        """Look up a typed transaction ID by checkout's rule (parse_transaction_id: one checkout
        would refuse is refused with the same words); (level, text) to say about it."""
        transaction_id = typed.strip()
        if transaction_id:
            try:
                transaction_id = parse_transaction_id(transaction_id)
            except TransactionIdError as exc:
                self.by_transaction("")
                return Level.ERROR, str(exc)
        if self.by_transaction(transaction_id) or not transaction_id:
            return Level.CLEAR, ""
        return Level.INFO, self._words.no_redeemed(transaction_id)

    def find_recent(self, last4: str, day: date | None) -> tuple[Level, str]:
        """Look up the Recent lines (``recent_lines``); (level, text) to say about it. A filter
        that is not up to 4 digits leaves the rows as they were."""
        last4 = (last4 or "").strip()
        problem = self._words.recent_problem(last4)
        if problem:
            return Level.ERROR, problem
        if self.by_recent(last4, day):
            return Level.CLEAR, ""
        return Level.INFO, self._words.nothing_recent(last4)

    def by_transaction(self, transaction_id: str) -> list[JournalEntry]:
        """The lines of one transaction ("" none)."""
        self.transaction, self.recent = transaction_id, None
        return self.again()

    def by_recent(self, last4: str, day: date | None) -> list[JournalEntry]:
        """The Recent lines (``recent_lines``)."""
        self.transaction, self.recent = "", (last4, day)
        return self.again()

    def again(self) -> list[JournalEntry]:
        """The same lookup, read again."""
        if self.recent is not None:
            self.rows = recent_lines(self._journal, self._clock, last4=self.recent[0], day=self.recent[1])
        else:
            rows = self._journal.for_transaction(self.transaction) if self.transaction else []
            self.rows = [e for e in rows if e.state in REFUNDABLE_STATES]
        return self.rows
