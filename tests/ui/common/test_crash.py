import logging
import sys
import threading
import types

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from budtender_app.services.logs import setup_logging
from budtender_app.ui.common.crash import CrashReporter

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"budtender_app\.crash: (unexpected error|unraisable error)")


def boom(secret):
    raise RuntimeError(f"failed for 5551234567 with key {secret}")


def test_each_distinct_crash_is_shown_once_without_its_text(qtbot, caplog):
    parent = QWidget()
    qtbot.addWidget(parent)
    reporter = CrashReporter(parent, "/var/log/budtender.log")
    for _ in range(3):
        try:
            boom("sk_live_x")
        except RuntimeError as exc:
            reporter.report(type(exc), exc, exc.__traceback__)
    boxes = parent.findChildren(QMessageBox, "crash_box")
    assert len(boxes) == 1
    shown = boxes[0].text() + boxes[0].informativeText()
    assert "5551234567" not in shown and "sk_live_x" not in shown
    assert "/var/log/budtender.log" in shown
    boxes[0].close()


KEY = "sk_live_9f8e7d6c5b4a3210"
TOKEN = "tok3nSECRETvalue99"


@pytest.fixture
def log_file(tmp_path):
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    setup_logging(debug=False, log_dir=tmp_path).add_secret(KEY)
    yield tmp_path / "budtender.log"
    for handler in root.handlers[len(before):]:
        handler.close()
    root.handlers[:] = before
    root.setLevel(level)


def crash_text(log_file):
    for handler in logging.getLogger().handlers:
        handler.flush()
    return log_file.read_text(encoding="utf-8")


def echoing_error():
    return RuntimeError(f"PUT https://lab.alpineiq.com/api/v1.1/discount/redeem/1/d1/{TOKEN} for "
                        f"(555) 123-4567 with {KEY}")


def test_a_crash_report_in_the_log_file_is_redacted(qtbot, log_file):
    parent = QWidget()
    qtbot.addWidget(parent)
    reporter = CrashReporter(parent, str(log_file))
    try:
        raise echoing_error()
    except RuntimeError as exc:
        reporter.report(type(exc), exc, exc.__traceback__)
    text = crash_text(log_file)
    assert "unexpected error" in text and "RuntimeError" in text
    for leak in (TOKEN, KEY, "123-4567", "5551234567"):
        assert leak not in text
    parent.findChild(QMessageBox, "crash_box").close()


def test_errors_python_would_print_raw_go_to_the_redacted_log(log_file, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    CrashReporter(None, str(log_file)).install()
    worker = threading.Thread(target=lambda: (_ for _ in ()).throw(echoing_error()), name="io-1")
    worker.start()
    worker.join()
    sys.unraisablehook(types.SimpleNamespace(exc_type=RuntimeError, exc_value=echoing_error(), exc_traceback=None,
                                             err_msg=f"Exception ignored in {KEY}", object=None))
    text = crash_text(log_file)
    assert "unexpected error in thread io-1" in text and "unraisable error" in text
    for leak in (TOKEN, KEY, "123-4567"):
        assert leak not in text
