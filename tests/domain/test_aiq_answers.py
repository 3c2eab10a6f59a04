"""What AIQ's answers mean, as tables: points calls, read calls, Retry-After (send failures:
test_journal_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from budtender_app.domain.aiq_answers import (
    Answer,
    classify_points_answer,
    classify_read_answer,
    error_message,
    retry_after_seconds,
    says_bad_key,
)

ENVELOPE = {"success": False, "message": "Discount not available"}
OK, REFUSED, KEY, BUSY, UNKNOWN = Answer.OK, Answer.REFUSED, Answer.KEY_REFUSED, Answer.RATE_LIMITED, Answer.UNKNOWN


@pytest.mark.parametrize(("status", "body", "empty", "verdict"), [
    (200, {"success": True, "data": {"id": "r-1"}}, False, OK),
    (200, {"data": {"id": "r-1"}}, False, OK),
    (201, {"success": True}, False, OK),
    (204, None, True, OK),
    (200, None, True, OK),
    # 2xx saying success: false is AIQ's own envelope saying it did not do it.
    (200, ENVELOPE, False, REFUSED),
    (200, {"success": False, "message": "Please provide a valid API key"}, False, KEY),
    # A 2xx that is not AIQ saying "done": a captive portal's page, a list, an odd flag, odd 2xx.
    (200, None, False, UNKNOWN),
    (200, [], False, UNKNOWN),
    (200, {"success": "true"}, False, UNKNOWN),
    (200, {"success": None}, False, UNKNOWN),
    (202, {"success": True}, False, UNKNOWN),
    (203, {"success": True}, False, UNKNOWN),
    (206, {"success": True}, False, UNKNOWN),
    # Definite refusals: a refusing status with AIQ's error body.
    (400, ENVELOPE, False, REFUSED),
    (404, {"errors": [{"message": "Unknown discount"}]}, False, REFUSED),
    (410, {"success": False}, False, REFUSED),
    (422, {"message": "Discount expired"}, False, REFUSED),
    (400, {"success": False, "message": "Invalid API key"}, False, KEY),
    # The same statuses without AIQ's body could come from anything in between: unknown.
    (400, None, True, UNKNOWN),
    (404, None, False, UNKNOWN),
    (400, {"success": True, "message": "odd"}, False, UNKNOWN),
    (422, {}, False, UNKNOWN),
    (401, None, True, KEY),
    (403, ENVELOPE, False, KEY),
    (429, None, True, BUSY),
    # Everything the issue names, and everything else: unknown.
    (303, ENVELOPE, False, UNKNOWN),
    (301, None, True, UNKNOWN),
    (304, None, True, UNKNOWN),
    (307, None, True, UNKNOWN),
    (408, ENVELOPE, False, UNKNOWN),
    (409, {"success": False, "message": "Already redeemed"}, False, UNKNOWN),
    (409, {"success": False, "message": "Invalid API key"}, False, UNKNOWN),
    (425, ENVELOPE, False, UNKNOWN),
    (402, ENVELOPE, False, UNKNOWN),
    (418, ENVELOPE, False, UNKNOWN),
    (100, None, True, UNKNOWN),
    (101, None, True, UNKNOWN),
    (500, ENVELOPE, False, UNKNOWN),
    (502, None, False, UNKNOWN),
    (503, None, True, UNKNOWN),
    (599, None, True, UNKNOWN),
    (600, None, True, UNKNOWN),
])
def test_points_answers(status, body, empty, verdict):
    assert classify_points_answer(status, body, empty=empty) is verdict


@pytest.mark.parametrize(("status", "body", "phone_or_pin", "verdict"), [
    (200, {"success": True, "data": {}}, True, OK),
    (200, None, True, OK),  # a read with no body: the caller finds nothing to read
    (200, {"success": False, "message": "Invalid code"}, True, REFUSED),
    (400, ENVELOPE, True, REFUSED),
    (401, {"message": "Invalid code"}, True, REFUSED),  # a wrong PIN as real AIQ answers it
    (401, None, True, REFUSED),
    (404, None, True, REFUSED),
    (408, None, True, REFUSED),
    (422, "text", True, REFUSED),
    (401, {"message": "Please provide a valid API key"}, True, KEY),
    (400, {"errors": [{"message": "X-APIKEY header missing"}]}, True, KEY),
    (200, {"success": False, "message": "invalid api_key"}, True, KEY),
    (403, {"message": "Invalid code"}, True, KEY),
    (403, None, False, KEY),
    (401, None, False, KEY),  # beyond E1/E2 a 401 is the key
    (429, None, True, BUSY),
    (500, None, True, Answer.SERVER_ERROR),
    (599, None, False, Answer.SERVER_ERROR),
    (302, None, True, UNKNOWN),  # a redirect says nothing about the PIN
    (303, ENVELOPE, True, UNKNOWN),
    (304, None, True, UNKNOWN),
    (100, None, True, UNKNOWN),
    (600, None, True, UNKNOWN),
])
def test_read_answers(status, body, phone_or_pin, verdict):
    assert classify_read_answer(status, body, phone_or_pin=phone_or_pin) is verdict


@pytest.mark.parametrize(("body", "message"), [
    ({"errors": [{"message": " first "}], "message": "second"}, "first"),
    ({"errors": [{"message": 5}], "message": "second"}, "second"),
    ({"errors": [], "message": "second"}, "second"),
    ({"errors": ["x"], "message": 7}, ""),
    ({"errors": "x"}, ""),
    ([{"message": "x"}], ""),
    (None, ""),
])
def test_aiqs_message_is_found_where_it_may_be(body, message):
    assert error_message(body) == message


@pytest.mark.parametrize(("message", "about_key"), [
    ("Please provide a valid API key", True), ("Invalid API-key", True), ("bad apikey", True),
    ("X-APIKEY missing", True), ("api_key invalid", True),
    ("Invalid or expired code", False), ("Contact not found", False), ("", False),
])
def test_a_message_about_the_key(message, about_key):
    assert says_bad_key(message) is about_key


NOW = datetime(2031, 3, 9, 12, 0, 0, tzinfo=UTC)


def clock():
    return NOW


@pytest.mark.parametrize(("value", "date_header", "seconds"), [
    ("7", None, 7.0),
    (" 0 ", None, 0.0),
    ("120", None, 120.0),
    ("9" * 13, None, 1e12),  # "wait for ever": more than any cap
    ("9" * 5000, None, 1e12),  # longer than int() takes
    ("Sun, 09 Mar 2031 12:00:20 GMT", None, 20.0),  # from the clock
    ("Sun, 09 Mar 2031 12:00:20 GMT", "Sun, 09 Mar 2031 12:00:15 GMT", 5.0),  # from AIQ's Date
    ("Sun, 09 Mar 2031 12:00:20 GMT", "garbage", 20.0),
    ("Sun, 09 Mar 2031 11:00:00 GMT", None, 0.0),  # in the past: now
    ("Sun, 09 Mar 2031 12:00:20 -0000", None, 20.0),
    ("-5", None, None),
    ("1.5", None, None),
    ("²", None, None),
    ("soon", None, None),
    ("", None, None),
    (None, None, None),
])
def test_retry_after(value, date_header, seconds):
    assert retry_after_seconds(value, date_header=date_header, clock=clock) == seconds


def test_a_retry_after_date_with_nothing_to_measure_from_is_ignored():
    assert retry_after_seconds("Sun, 09 Mar 2031 12:00:20 GMT") is None
    later = datetime(2031, 3, 9, 12, 0, 10, tzinfo=timezone(timedelta(hours=-10)))  # any zone
    assert retry_after_seconds("Sun, 09 Mar 2031 22:00:20 GMT", clock=lambda: later) == 10.0
