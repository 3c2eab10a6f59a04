"""One crash hook: log the error (redacted by the log filter) and tell the cashier once.

The dialog never shows the exception's text: it could hold a phone number or a key. Every way
Python reports an error by itself (the main thread, other threads, errors it cannot raise) is
sent to the log instead, so it goes through the app's one redactor (domain/redact.py) before
it reaches the terminal's stderr or the log file: Python's own hooks print the raw text.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QWidget

log = logging.getLogger("budtender_app.crash")


class CrashReporter:
    def __init__(self, parent: QWidget | None, log_path: str) -> None:
        self._parent = parent
        self._log_path = log_path
        self._seen: set[tuple[str, tuple[str, int | None] | None]] = set()

    def install(self) -> None:
        """Take over every error report Python would print raw."""
        sys.excepthook = self.report
        threading.excepthook = self.on_thread_exception
        sys.unraisablehook = self.on_unraisable

    @staticmethod
    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        """An error in a worker thread: logged (no dialog: widgets belong to the GUI thread)."""
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.critical("unexpected error in thread %s", name, exc_info=args.exc_value)

    @staticmethod
    def on_unraisable(args: sys.UnraisableHookArgs) -> None:
        """An error Python could not raise (in a __del__, a callback): logged, redacted."""
        log.error("unraisable error: %s", args.err_msg or "exception ignored", exc_info=args.exc_value)

    def report(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Log the error, then tell the cashier once per distinct error (never its text)."""
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

    def on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's handler for errors no task retrieved: the same report."""
        exc = context.get("exception")
        if exc is None:
            log.error("event loop: %s", context.get("message", "unknown problem"))
            return
        self.report(type(exc), exc, exc.__traceback__)
