"""What can go wrong talking to AIQ, in the words a cashier needs.

Services map transport failures and AIQ answers to these; widgets only ever see these.
No message here may carry the API key, the shopper's PIN or a full phone number.
"""

from __future__ import annotations


class AiqError(Exception):
    """Base of every AIQ failure a cashier may see. ``str(err)`` is the cashier's message."""

    #: True when trying the same step again may well work.
    retryable: bool = False

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        #: AIQ's own message, when its body had one (already free of secrets).
        self.detail = detail


class UnknownShopper(AiqError):
    """AIQ has no loyalty member with that phone (a 4xx on verify-wallet)."""


class WrongPin(AiqError):
    """The PIN is wrong or has expired (a 4xx on view-wallet)."""


class AuthRejected(AiqError):
    """AIQ refused the API key (401/403): only a manager can fix this."""


class NotFound(AiqError):
    """AIQ answered 404 for a path that should exist (wrong UID, store or URL)."""


class RateLimited(AiqError):
    """AIQ asked us to slow down (429)."""

    retryable = True


class Unreachable(AiqError):
    """The request never reached AIQ (DNS, refused, no network). Nothing was sent."""

    retryable = True


class ServerError(AiqError):
    """AIQ failed (5xx) or timed out on a call that changes nothing; safe to retry."""

    retryable = True


class CertificateProblem(AiqError):
    """TLS verification failed: a clock, proxy or base URL problem."""


class BadResponse(AiqError):
    """AIQ answered with something we cannot read."""

    retryable = True


class Rejected(AiqError):
    """AIQ refused a redemption (4xx): no points were taken."""


class OutcomeUnknown(AiqError):
    """A redemption was sent but no answer came back (timeout, dropped connection, 5xx).

    Points may or may not have been taken. Never re-send by itself.
    """
