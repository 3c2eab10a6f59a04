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
    """AIQ asked us to slow down (429). Nothing was done."""

    retryable = True

    def __init__(self, message: str, *, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, detail=detail)
        #: Seconds AIQ asked us to wait (its Retry-After header), or None when it did not say.
        self.retry_after = retry_after


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
    """AIQ definitely refused (e.g. a 400 with its error body): no points were taken."""


class RefusedToSend(Rejected):
    """The terminal refused to send: the address is not this store's AIQ (another scheme, host
    or port, so the API key would have gone elsewhere), or the link cannot be built. Nothing
    left the terminal, and it will not be sent by itself."""


class OutcomeUnknown(AiqError):
    """A points call was sent and no clear answer came back (timeout, dropped connection, 5xx,
    a redirect, a 409, anything but a definite yes or no).

    Points may or may not have been taken. Never re-send by itself.
    """
