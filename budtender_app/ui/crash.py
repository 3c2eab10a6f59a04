"""One crash hook: log the error (redacted by the log filter) and tell the cashier once.

The dialog never shows the exception's text: it could hold a phone number or a key.
"""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QWidget

log = logging.getLogger("budtender_app.crash")


class CrashReporter:
    def __init__(self, parent: QWidget | None, log_path: str) -> None:
        self._parent = parent
        self._log_path = log_path
        self._seen: set[tuple] = set()

    def install(self) -> None:
        sys.excepthook = self.report

    def report(self, exc_type, exc, tb) -> None:
        log.critical("unexpected error", exc_info=(exc_type, exc, tb))
        frames = traceback.extract_tb(tb) if tb is not None else []
        where = (frames[-1].filename, frames[-1].lineno) if frames else None
        key = (exc_type.__name__, where)
        if key in self._seen:  # each distinct error once: no wall of identical boxes
            return
        self._seen.add(key)
        text = QCoreApplication.translate("CrashReporter", "Something went wrong inside the terminal.")
        from PySide6.QtWidgets import QMessageBox  # only when needed: it costs start-up ~20 ms

        box = QMessageBox(QMessageBox.Icon.Critical, "Budtender", text, parent=self._parent)
        box.setObjectName("crash_box")
        box.setInformativeText(QCoreApplication.translate(
            "CrashReporter",
            "Nothing more was sent to AIQ because of it. If a redemption was on screen, check its "
            "outcome before the shopper leaves. Details for IT are in the log:\n{path}").format(path=self._log_path))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # never exec(): the event loop keeps running

    def on_loop_exception(self, loop, context) -> None:
        exc = context.get("exception")
        if exc is None:
            log.error("event loop: %s", context.get("message", "unknown problem"))
            return
        self.report(type(exc), exc, exc.__traceback__)
