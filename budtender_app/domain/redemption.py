"""Redeeming at checkout: the PUT URL, the outcomes, and the block for the transaction record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote, urlsplit, urlunsplit

from budtender_app.domain.money import format_points
from budtender_app.domain.wallet import Discount

MAX_TRANSACTION_ID = 128


class TransactionIdError(ValueError):
    """A POS transaction ID we cannot send; the message is for the cashier."""


def parse_transaction_id(text: str) -> str:
    """The POS transaction ID as typed, trimmed. Any printable characters; none of the others."""
    txid = text.strip()
    if not txid:
        raise TransactionIdError("Type the POS transaction ID from the finished sale.")
    if len(txid) > MAX_TRANSACTION_ID:
        raise TransactionIdError(f"A transaction ID has at most {MAX_TRANSACTION_ID} characters.")
    if not txid.isprintable():
        raise TransactionIdError("The transaction ID has a character that cannot be typed; type it again.")
    return txid


def redemption_put_url(redemption_url: str, transaction_id: str) -> str:
    """AIQ's native-POS rule: the transaction ID appended to the redemption URL.

    Exactly one "/" between them, the ID URL-encoded (so "/" or "?" in an ID cannot change the
    path), and any query string kept after it. ``redemption_url`` is one the wallet accepted
    (see wallet.redemption_url_problem): its path has no dot segment of its own.
    """
    parts = urlsplit(redemption_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path + _segment(transaction_id), parts.query, ""))


def _segment(transaction_id: str) -> str:
    """The ID as one path segment that reaches AIQ exactly as typed.

    quote() leaves "." alone, and httpx (like any RFC 3986 client) removes a "." or ".." segment
    before sending: "." would drop the ID, ".." the token. "%2E" is the same character to AIQ,
    and no client removes it.
    """
    encoded = quote(transaction_id, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


class Status(Enum):
    REDEEMED = "redeemed"
    REJECTED = "rejected"  # AIQ said no: no points taken
    UNKNOWN = "unknown"  # sent, no answer: do not send again by itself
    NOT_SENT = "not sent"  # never reached AIQ


@dataclass(frozen=True, slots=True)
class Outcome:
    discount: Discount
    status: Status
    message: str = ""
    redemption_id: str = ""

    @property
    def points_deducted(self) -> int:
        return self.discount.points if self.status is Status.REDEEMED else 0


def record_text(
    transaction_id: str,
    outcomes: Sequence[Outcome],
    *,
    shopper: str,
    balance_after: int | None,
) -> str:
    """The block for the POS transaction record: what auditors need, as plain text."""
    lines = [f"AIQ loyalty redemption - POS transaction {transaction_id}", f"Shopper: {shopper}"]
    for outcome in outcomes:
        d = outcome.discount
        pos_id = d.pos_discount_id or "none"
        lines.append(
            f"- {d.name} | POS discount ID {pos_id} | {d.value_text or 'no $ value'} | "
            f"{outcome.status.value.upper()} | points deducted: {outcome.points_deducted:,}"
        )
    total = sum(o.points_deducted for o in outcomes)
    lines.append(f"Total points deducted: {total:,}")
    if balance_after is not None:
        lines.append(f"Points balance after: {format_points(balance_after)}")
    if any(o.status is not Status.REDEEMED for o in outcomes):
        lines.append("NOT ALL REDEEMED: see the status of each line.")
    return "\n".join(lines)

