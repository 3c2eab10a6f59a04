"""The log file: what reaches it went through the one redactor, one record per line."""

from __future__ import annotations

import logging
import re

import pytest

from budtender_app.services.logs import setup_logging

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"budtender_app\.test: ")

KEY = "sk_live_9f8e7d6c5b4a3210"
TOKEN = "tok3nSECRETvalue99"
URL = f"https://lab.alpineiq.com/api/v1.1/discount/redeem/1234/d1/{TOKEN}"
LEAKS = (KEY, TOKEN, "5551234567", "555-123-4567", "(555) 123-4567", "555.123.4567", "shopper@example.com")
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


@pytest.fixture
def log_file(tmp_path):
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    redactor = setup_logging(debug=False, log_dir=tmp_path)
    redactor.add_secret(KEY)
    yield tmp_path / "budtender.log"
    for handler in root.handlers[len(before):]:
        handler.close()
    root.handlers[:] = before
    root.setLevel(level)


def read(path):
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def fail_with_everything():
    raise RuntimeError(f"AIQ said: no member (555) 123-4567, key {KEY}, see {URL}\n"
                       "2026-11-22 10:00:00,000 INFO budtender_app: all redeemed, nothing to check")


def test_the_log_file_holds_no_url_token_phone_email_or_key(log_file):
    log = logging.getLogger("budtender_app.test")
    log.warning("PUT %s failed for 5551234567 / 555.123.4567 (shopper@example.com), key %s", URL, KEY)
    try:
        fail_with_everything()
    except RuntimeError:
        log.exception("redeeming failed")
    text = read(log_file)
    assert "redeeming failed" in text and "***4567" in text and "[link]" in text
    for leak in LEAKS:
        assert leak not in text


def test_a_message_or_traceback_cannot_forge_a_log_line(log_file):
    log = logging.getLogger("budtender_app.test")
    log.error("AIQ said %r", "bad\n2026-11-22 10:00:00,000 INFO budtender_app: redeemed T-1\r")
    try:
        fail_with_everything()
    except RuntimeError:
        log.exception("crashed")
    lines = read(log_file).splitlines()
    records = [line for line in lines if RECORD_START.match(line)]
    assert len(records) == 2  # the two real records; the forged ones are inside others' lines
    assert all(RECORD_START.match(line) or line.startswith("| ") for line in lines)


def test_a_bad_format_string_is_logged_not_raised(log_file):
    logging.getLogger("budtender_app.test").warning("%s and %s", "only one 5551234567")  # noqa: PLE1206 - the point
    assert "only one ***4567" in read(log_file)
