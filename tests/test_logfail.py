"""tests/helpers/logfail.py: an unexpected WARNING or ERROR fails the test that logged it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

TESTS = r'''
import logging
import pytest

def test_quiet():
    logging.getLogger("budtender_app.x").info("an INFO line is fine")

def test_warns():
    logging.getLogger("budtender_app.services.journal").warning("the journal could not be written")

def test_errors():
    logging.getLogger("somebody.else").error("a library's error counts too")

def test_owns_its_lines(caplog):
    logging.getLogger("budtender_app.x").error("expected")
    assert "expected" in caplog.text

@pytest.mark.logs_expected(r"WARNING budtender_app\.x: on purpose")
def test_marked():
    logging.getLogger("budtender_app.x").warning("on purpose")

@pytest.mark.logs_expected(r"on purpose")
def test_marked_for_another_line():
    logging.getLogger("budtender_app.x").warning("on purpose")
    logging.getLogger("budtender_app.x").error("but not this")

class LeftBehind(logging.Handler):
    def emit(self, record):
        pass

def test_handlers_left_behind():
    logging.getLogger().addHandler(LeftBehind())

def test_root_is_clean_again():
    assert not any(isinstance(h, LeftBehind) for h in logging.getLogger().handlers)
'''


@pytest.mark.logs_expected(r"budtender_app\.|somebody\.else")  # the inner run logs on purpose, in this process
def test_unexpected_warnings_and_errors_fail_the_test(pytester):
    pytester.makeconftest('pytest_plugins = ["tests.helpers.logfail"]\n')
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n"
                     "markers =\n    logs_expected: provoked on purpose\n")
    pytester.makepyfile(test_logfail_inner=TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:cov", "-q")
    result.assert_outcomes(passed=8, errors=3)  # the three that log pass, then fail at teardown
    result.stdout.fnmatch_lines(["*WARNING budtender_app.services.journal: the journal could not be written*",
                                 "*ERROR somebody.else: a library's error counts too*",
                                 "*ERROR budtender_app.x: but not this*"])
    assert "WARNING budtender_app.x: on purpose" not in result.stdout.str()
