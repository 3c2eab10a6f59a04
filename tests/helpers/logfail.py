"""A test that logs an unexpected warning or error fails (after qutebrowser's tests/helpers/logfail.py).

The terminal logs a WARNING or an ERROR when something went wrong at the counter: a redemption
AIQ never answered, a journal that cannot be written, a crash. A test that provokes one without
saying so hides a defect. So every WARNING or worse, from any logger, fails the test, unless the
test takes pytest's ``caplog`` fixture (then the test owns its log lines and asserts on them) or
names the lines it provokes: ``@pytest.mark.logs_expected(r"AIQ PUT failed", ...)`` (regular
expressions, searched in ``"LEVEL logger: message"``; a module of fault tests may set it as
``pytestmark``). A line that matches none of them still fails the test.

It also puts the root logger back as it was after each test: ``setup_logging`` (run by tests of
the app's start-up) adds handlers to the root logger, which must not outlive the test.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest


class LogFailHandler(logging.Handler):
    """Keeps every record at WARNING or above that reaches the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _describe(record: logging.LogRecord) -> str:
    return f"{record.levelname} {record.name}: {record.getMessage()}"


@pytest.fixture(autouse=True)
def logfail(request: pytest.FixtureRequest) -> Iterator[LogFailHandler]:
    """Fail the test on an unexpected WARNING/ERROR log line (see the module's docstring)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    handler = LogFailHandler()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    if "caplog" in request.fixturenames:
        return
    patterns = [p for marker in request.node.iter_markers("logs_expected") for p in marker.args]
    unexpected = [line for line in map(_describe, handler.records)
                  if not any(re.search(pattern, line) for pattern in patterns)]
    if unexpected:
        lines = "\n".join(unexpected[:10])
        pytest.fail(f"unexpected log lines (take caplog and assert on them, or name them with "
                    f"@pytest.mark.logs_expected(pattern)):\n{lines}", pytrace=False)
