"""A store hub desk in memory (services/hub/desk.HubDesk's interface), for the Whole store view's
unit and widget tests and its screenshots: the real one is tested against PostgreSQL
(tests/services/hub/test_hub_settlements.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from budtender_app.domain.journal_rules import ReversalPhase, State
from budtender_app.services.hub.desk import HubDeskError, StoreView
from budtender_app.services.hub.release import Blocked, Released
from budtender_app.services.hub.settlements import Conflict, HubRow
from budtender_app.services.hub.withdraw import Withdrawn

THEIRS = HubRow("t-1", "Register 1", 7, "POS-1001", "102", "$10 off your order", "POS10", 250, State.UNKNOWN,
                None, 1, "AIQ did not answer in time.", "***-***-4567", "2026-11-22T23:58:00+00:00", 31)
MINE = replace(THEIRS, terminal_id="t-2", register="Register 2", id=3, transaction_id="POS-2044",
               discount_name="$5 off", pos_discount_id="POS5", points=100, state=State.QUEUED,
               created_at="2026-11-23T00:12:00+00:00")
MORE = (
    replace(THEIRS, terminal_id="t-3", register="Register 3", id=12, transaction_id="POS-3107", state=State.REJECTED,
            message="Discount not available", discount_name="15% off pre-rolls", pos_discount_id="POS15",
            points=400, created_at="2026-11-23T00:20:00+00:00"),
    replace(THEIRS, id=9, transaction_id="POS-1019", state=State.REVERSING, reversal_phase=ReversalPhase.UNKNOWN,
            discount_name="$10 off your order", created_at="2026-11-23T00:31:00+00:00"),
)
CONFLICT = Conflict(1, "Main St", "POS-2040", "101", "$5 off", "Register 2", "Register 1",
                    datetime(2026, 11, 23, 0, 5, tzinfo=UTC), datetime(2026, 11, 23, 0, 9, tzinfo=UTC))

BLOCKED = Blocked("POS-1090", "102", "Register 4", datetime(2026, 11, 22, 23, 10, tzinfo=UTC))


class FakeDesk:
    """Register 2's desk: ``rows`` and ``conflicts`` as the hub has them; a request makes its row
    wait, as the real hub's does."""

    terminal_id, terminal_name = "t-2", "Register 2"

    def __init__(self, rows=(THEIRS, MINE), conflicts=(), blocked=()) -> None:
        self.rows = list(rows)
        self.conflicts = list(conflicts)
        self.blocked = list(blocked)
        self.requests: list = []
        self.taken: set[str] = set()
        self.fail = ""

    async def read(self, store, refused_since):
        if self.fail:
            raise HubDeskError(self.fail)
        return StoreView(list(self.rows), list(self.conflicts), list(self.blocked))

    async def request(self, s):
        self.requests.append(s)
        self.rows = [replace(r, waiting_ref=s.ref, waiting_action=s.action)
                     if (r.terminal_id, r.id) == (s.owner_id, s.entry_id) else r for r in self.rows]

    async def withdraw(self, ref, by, reason):
        """Closes the request unless ``taken`` holds its ref (its register is carrying it out)."""
        self.requests.append(("withdraw", ref, by, reason))
        if ref in self.taken:
            return Withdrawn(False, "taken")
        said = f"withdrawn: withdrawn by {by.name} at {self.terminal_name}: {reason}"
        self.rows = [replace(r, waiting_ref="", waiting_action="", last_outcome=said) if r.waiting_ref == ref else r
                     for r in self.rows]
        return Withdrawn(True)

    async def release_claim(self, store, b, by, reason):
        self.requests.append(("release", b, by, reason))
        self.blocked = [x for x in self.blocked if x != b]
        return Released(b.holder, b.claimed_at, "")

    async def settle_conflict(self, conflict_id, by, reason):
        self.requests.append((conflict_id, by, reason))
        before = len(self.conflicts)
        self.conflicts = [c for c in self.conflicts if c.id != conflict_id]
        return len(self.conflicts) < before
