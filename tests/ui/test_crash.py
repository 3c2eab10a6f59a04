from PySide6.QtWidgets import QMessageBox, QWidget

from budtender_app.ui.crash import CrashReporter


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
