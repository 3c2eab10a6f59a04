"""One journaled redemption as the app sees it, and the texts made from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from budtender_app.domain.actor import Actor
from budtender_app.domain.journal_rules import ReversalPhase, State, status_of
from budtender_app.domain.redact import redact
from budtender_app.domain.redemption import Outcome
from budtender_app.domain.wallet import Discount

#: The redemptions table's columns, in JournalEntry's order.
COLUMNS = (
    "id", "store", "terminal", "transaction_id", "discount_id", "discount_name", "pos_discount_id",
    "points", "value_text", "dollar_value", "percentage_value", "state", "attempts",
    "aiq_redemption_id", "message", "shopper_masked", "contact_id", "created_at", "updated_at",
    "resolved_by", "resolution_reason", "reversal_phase", "reversal_attempts",
    "staff_id", "staff_name", "approver_id", "approver_name", "redemption_url",
)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One redemption as journaled. ``redemption_url`` is "" once the row is final."""

    id: int
    store: str
    terminal: str
    transaction_id: str
    discount_id: str
    discount_name: str
    pos_discount_id: str
    points: int
    value_text: str
    dollar_value: Decimal | None
    percentage_value: Decimal | None
    state: State
    attempts: int
    aiq_redemption_id: str
    message: str
    shopper_masked: str
    contact_id: str
    created_at: datetime
    updated_at: datetime
    resolved_by: str
    resolution_reason: str
    reversal_phase: ReversalPhase | None
    reversal_attempts: int
    staff_id: str  # the cashier who checked it out ("" before attribution)
    staff_name: str
    approver_id: str  # the manager of its last decision, or its sale's PIN skip ("" none)
    approver_name: str
    redemption_url: str = field(repr=False)  # carries a token

    @property
    def staff(self) -> Actor:
        """The cashier who checked it out (``Actor.unknown`` for rows from before attribution)."""
        return Actor.from_columns(self.staff_id, self.staff_name) or Actor.unknown

    @property
    def approver(self) -> Actor | None:
        """The manager who approved its last decision (or its sale's PIN skip), or None."""
        return Actor.from_columns(self.approver_id, self.approver_name)

    @property
    def needs_manager(self) -> bool:
        """Unknown (sent, no answer): only a manager may resend, mark redeemed or abandon it."""
        return self.state is State.UNKNOWN or self.reversal_phase is ReversalPhase.UNKNOWN

    def as_discount(self) -> Discount:
        """The wallet discount this row redeems (URL empty once final)."""
        return Discount(
            id=self.discount_id, name=self.discount_name, redemption_url=self.redemption_url,
            points=self.points, pos_discount_id=self.pos_discount_id,
            dollar_value=self.dollar_value, percentage_value=self.percentage_value,
        )

    def outcome(self) -> Outcome:
        """The row as the flow's Outcome, for the screen and the POS record (``status_of``)."""
        return Outcome(self.as_discount(), status_of(self.state), self.message, self.aiq_redemption_id)


def entry_from_row(row: Sequence[Any]) -> JournalEntry:
    """The JournalEntry of one row selected with COLUMNS."""
    v = dict(zip(COLUMNS, row, strict=True))
    v["state"] = State(v["state"])
    v["reversal_phase"] = ReversalPhase(v["reversal_phase"]) if v["reversal_phase"] else None
    v["created_at"] = datetime.fromisoformat(v["created_at"])
    v["updated_at"] = datetime.fromisoformat(v["updated_at"])
    for key in ("dollar_value", "percentage_value"):
        v[key] = Decimal(v[key]) if v[key] is not None else None
    return JournalEntry(**v)


def reversal_note(entry: JournalEntry) -> str:
    """The note for E10 (adjust points) naming the transaction and the discount."""
    pos = f", POS discount {entry.pos_discount_id}" if entry.pos_discount_id else ""
    return (f"Refund/void of POS transaction {entry.transaction_id}: points back for "
            f"'{entry.discount_name}'{pos} ({entry.points:,} points)")[:250]


def safe_text(text: str, *secrets: str) -> str:
    """A message fit for the journal and the audit trail (the app's one redactor, domain/redact.py)."""
    return redact(text, *secrets, limit=500)


def url_secrets(url: str) -> tuple[str, ...]:
    """The redemption URL and its last path segment (AIQ's token), to mask in messages."""
    token = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return (url, token) if len(token) >= 8 else (url,)


def dec_text(value: Decimal | None) -> str | None:
    """A Decimal as stored (text, never a float); None stays None."""
    return None if value is None else str(value)
