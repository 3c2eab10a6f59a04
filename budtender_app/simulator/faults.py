"""Problems a trainer makes on purpose, so a class can practise the cases that hurt.

Training talks to the simulator in-process (transport.py); the trainer's "Practise a problem…"
arms one of these and the transport acts on it. The HTTP server (server.py) has its own, finer
fault injection for the client tests and ignores these.

- UNREACHABLE: every call fails before it is sent (as with the internet down), until cleared;
- NO_ANSWER: the next redemption reaches AIQ and is done, but no answer comes back, so the
  terminal records it as unknown and a manager checks it in F11;
- REFUSED: AIQ refuses the next redemption (nothing is taken);
- SMS_LOST: the next PIN is issued but its text never arrives (practise Resend PIN).

The one-time problems are used up by the request they hit and the simulator is back to normal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

UNREACHABLE = "unreachable"
NO_ANSWER = "no_answer"
REFUSED = "refused"
SMS_LOST = "sms_lost"
#: Every problem a trainer can make, in the order the trainer's dialog lists them.
CASES = (UNREACHABLE, NO_ANSWER, REFUSED, SMS_LOST)
#: What AIQ says when it refuses a redemption in training (an answer real AIQ gives).
REFUSAL_MESSAGE = "Discount not available"

_REDEEM = ("PUT", "/api/v1.1/discount/redeem/")
_TEXT_PIN = ("POST", "/api/v2/verify/contact/wallet")
_HITS = {NO_ANSWER: _REDEEM, REFUSED: _REDEEM, SMS_LOST: _TEXT_PIN}


class TrainingFaults:
    """The one problem armed now ("" for none). Thread-safe; ``on_change`` is called (outside the
    lock, on the caller's thread) whenever it changes, a one-time problem used up included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = ""
        self.on_change: Callable[[], None] | None = None

    @property
    def armed(self) -> str:
        """The problem armed now; "" when the simulator behaves."""
        with self._lock:
            return self._armed

    def arm(self, case: str) -> None:
        """Make ``case`` (one of CASES) happen; it replaces any problem armed before."""
        if case not in CASES:
            raise ValueError(f"unknown training problem {case!r}")
        self._set(case)

    def clear(self) -> None:
        """Back to normal: no problem armed."""
        self._set("")

    def take(self, method: str, target: str) -> str:
        """The problem for this request ("" for none); a one-time problem hits only the request
        it is about (a redemption, a PIN text) and is then used up."""
        path = target.partition("?")[0]
        with self._lock:
            case = self._armed
            if case == UNREACHABLE:
                return case
            hit = _HITS.get(case)
            if hit is None or method.upper() != hit[0] or not path.startswith(hit[1]):
                return ""
            self._armed = ""
        self._changed()
        return case

    def _set(self, case: str) -> None:
        with self._lock:
            if case == self._armed:
                return
            self._armed = case
        self._changed()

    def _changed(self) -> None:
        callback = self.on_change
        if callback is not None:
            callback()
