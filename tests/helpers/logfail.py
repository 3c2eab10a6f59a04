"""A test that logs an unexpected warning or error fails (after qutebrowser's tests/helpers/logfail.py).

The terminal logs a WARNING or an ERROR when something went wrong at the counter: a redemption
AIQ never answered, a journal that cannot be written, a crash. A test that provokes one without
saying so hides a defect. So every WARNING or worse, from any logger, fails the test, unless the
test takes pytest's ``caplog`` fixture (then the test owns its log lines and asserts on them) or
is marked ``@pytest.mark.logs_expected("why")``.

It also puts the root logger back as it was after each test: ``setup_logging`` (run by tests of
the app's start-up) adds handlers to the root logger, which must not outlive the test.
"""

from __future__ import annotations

import logging
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
    expected = "caplog" in request.fixturenames or request.node.get_closest_marker("logs_expected")
    if handler.records and not expected:
        lines = "\n".join(_describe(r) for r in handler.records[:10])
        pytest.fail(f"unexpected log lines (take caplog and assert on them, or mark the test "
                    f"logs_expected):\n{lines}", pytrace=False)
