"""How AIQ's answers are read: what a status and body mean (what a failed send means for the
journaled row is ``journal_rules.send_failure``).

Points are money, so the two directions of doubt are not equal. Calling a redemption "refused"
when AIQ took the points loses the shopper's points and invites a second send; calling it
"unknown" when nothing was taken only costs a manager a look at AIQ's report. So for a call that
moves points only a definite refusal is REFUSED, and anything we cannot be sure of is UNKNOWN.
Pure: no httpx, no I/O (the client hands in the status, the parsed body and the header text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum


class Answer(Enum):
    """What one AIQ answer says, before it becomes a cashier's words."""

    OK = "ok"  # done (for a points call: the points moved)
    REFUSED = "refused"  # AIQ said no to this request (nothing moved; on E2: wrong or expired PIN)
    KEY_REFUSED = "key_refused"  # AIQ refused the store's API key: nothing was done
    RATE_LIMITED = "rate_limited"  # 429: nothing was done; wait and try again
    SERVER_ERROR = "server_error"  # 5xx on a call that changes nothing
    UNKNOWN = "unknown"  # an answer we cannot read as done or not done


#: 2xx answers that mean "done". 202 (accepted, maybe later), 206 and the other odd 2xx don't.
DONE_STATUSES = frozenset({200, 201, 204})
#: The statuses with which a server refuses to process a request: malformed (400), no such
#: discount or token (404), gone (410), not acceptable (422). Only with AIQ's error body.
#: Left out on purpose: 408 and 425 (the request may have been acted on), 409 (a conflict
#: such as "already redeemed" may be our own earlier, unanswered send).
REFUSED_STATUSES = frozenset({400, 404, 410, 422})

_KEY_WORDS = re.compile(r"api[\s_-]?key", re.IGNORECASE)


def error_message(body: object) -> str:
    """AIQ's own message in an error body (``errors[0].message`` or ``message``), or ""."""
    if not isinstance(body, dict):
        return ""
    errs = body.get("errors")
    if isinstance(errs, list) and errs and isinstance(errs[0], dict):
        msg = errs[0].get("message")
        if isinstance(msg, str):
            return msg.strip()
    msg = body.get("message")
    return msg.strip() if isinstance(msg, str) else ""


def says_bad_key(message: str) -> bool:
    """True when AIQ's message is about the API key ("Please provide a valid API key").

    A cashier cannot put these words in it: what we send in a PIN or phone is digits only.
    """
    return bool(_KEY_WORDS.search(message))


def classify_points_answer(status: int, body: object, *, empty: bool = False) -> Answer:
    """The answer to a call that moves points (E4 redeem, E10 adjust points).

    ``body`` is the parsed JSON (None when the body is not JSON); ``empty`` says there was no
    body at all. OK: a 200/201/204 whose body is empty or a JSON object not saying
    ``"success": false``. REFUSED: a 400/404/410/422 with AIQ's error body, or a 200/201/204
    whose body says ``"success": false`` (AIQ's own envelope telling us it did not do it, as
    definite as a 400). KEY_REFUSED: 401/403, or a refusal whose message is about the key.
    RATE_LIMITED: 429. Everything else, 1xx, 3xx, 5xx and all other statuses included: UNKNOWN.
    """
    if status in DONE_STATUSES:
        verdict = _done_or_refused(body, empty)
    elif status in REFUSED_STATUSES:
        verdict = Answer.REFUSED if _is_error_body(body) else Answer.UNKNOWN
    else:
        verdict = {401: Answer.KEY_REFUSED, 403: Answer.KEY_REFUSED, 429: Answer.RATE_LIMITED}.get(
            status, Answer.UNKNOWN)
    if verdict is Answer.REFUSED and says_bad_key(error_message(body)):
        return Answer.KEY_REFUSED
    return verdict


def classify_read_answer(status: int, body: object, *, phone_or_pin: bool = False) -> Answer:
    """The answer to a call that moves nothing (wallet, PIN, sign-up, search, reports).

    2xx is OK unless the body says ``"success": false`` (then REFUSED). Any 4xx is REFUSED,
    the call's own "no" (E1: no such member; E2: wrong or expired PIN), except 429
    (RATE_LIMITED), 403 and 401 (KEY_REFUSED; on E1/E2, ``phone_or_pin``, a 401 is a wrong
    PIN or phone, as real AIQ answers) and any whose message is about the API key. 5xx is
    SERVER_ERROR. 1xx, 3xx and anything else is UNKNOWN: never a wrong PIN.
    """
    if 200 <= status < 300:
        verdict = Answer.REFUSED if isinstance(body, dict) and body.get("success") is False else Answer.OK
    elif status == 429:
        verdict = Answer.RATE_LIMITED
    elif status == 403 or (status == 401 and not phone_or_pin):
        verdict = Answer.KEY_REFUSED
    elif 400 <= status < 500:
        verdict = Answer.REFUSED
    elif 500 <= status < 600:
        verdict = Answer.SERVER_ERROR
    else:
        verdict = Answer.UNKNOWN
    if verdict is Answer.REFUSED and says_bad_key(error_message(body)):
        return Answer.KEY_REFUSED
    return verdict


def classify_feed_answer(status: int, body: object) -> Answer:
    """The answer to a feed call (F1..F4: a sale, members, inventory), read the strict way.

    AIQ does not publish these answers, so only a 2xx whose JSON object says ``"success": true``
    is OK. RATE_LIMITED: 429; KEY_REFUSED: 401/403 or a message about the key; SERVER_ERROR: 5xx
    (a feed is keyed by pos_id/sku/phone, so sending it again updates rather than doubles).
    Everything else, a 2xx without ``success: true`` included, is REFUSED: not taken.
    """
    if 200 <= status < 300 and isinstance(body, dict) and body.get("success") is True:
        return Answer.OK
    if status == 429:
        return Answer.RATE_LIMITED
    if status in (401, 403) or says_bad_key(error_message(body)):
        return Answer.KEY_REFUSED
    if 500 <= status < 600:
        return Answer.SERVER_ERROR
    return Answer.REFUSED


def _done_or_refused(body: object, empty: bool) -> Answer:
    if empty:
        return Answer.OK
    if isinstance(body, dict):
        flag = body.get("success", True)
        if flag is True:
            return Answer.OK
        if flag is False:
            return Answer.REFUSED
    return Answer.UNKNOWN  # an HTML page, a list, "success": "yes": not AIQ saying it did it


def _is_error_body(body: object) -> bool:
    """AIQ's error envelope: a JSON object that says ``"success": false`` or carries a message
    (and does not claim success). A bare status could come from anything in between."""
    if not isinstance(body, dict) or body.get("success", False) is not False:
        return False
    return body.get("success") is False or bool(error_message(body))


# -- Retry-After ------------------------------------------------------------------------------

_SECONDS = re.compile(r"[0-9]+")
_FOREVER = 10**12  # whole seconds, like the header's own numbers


def retry_after_seconds(value: str | None, *, date_header: str | None = None,
                        clock: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP-date.

    An HTTP-date is measured from the answer's own Date header when it has one (AIQ's clock
    against AIQ's clock: a till whose clock is wrong still waits the right time), else from
    ``clock`` (aware UTC). None when absent, unreadable, or a date with nothing to measure from.
    """
    text = (value or "").strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return int(text) if len(text) <= 12 else _FOREVER  # delay-seconds is a whole number
    when = _http_date(text)
    if when is None:
        return None
    since = _http_date(date_header or "")
    if since is None and clock is not None:
        since = clock()
    if since is None:
        return None
    return max(0.0, (when - since).total_seconds())


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
