"""Logging that cannot leak: every record goes through the app's one redactor (domain/redact.py)
on every handler, with the secrets registered here (the API key) masked too."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from budtender_app.domain.redact import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: A log line may be longer than a message shown to a cashier, but not without end.
MESSAGE_LIMIT = 2000
#: Each line of a traceback starts with this, so no line of it can pass for a record of its own.
TRACE_PREFIX = "| "


class RedactingFilter(logging.Filter):
    """Rewrites each record: registered secrets, phones (``***4567``), URLs and key-like tokens
    masked, the message on one line, tracebacks line by line."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` in every record from now on (too short to matter: ignored)."""
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        """``text`` as the log may keep it: one line, nothing secret in it."""
        return redact(text, *self._secrets, limit=MESSAGE_LIMIT)

    def redact_trace(self, text: str) -> str:
        """A traceback (or stack) redacted line by line, each line marked as part of it."""
        lines = []
        for line in text.splitlines():
            body = line.lstrip(" ")  # the indentation is what makes a traceback readable: keep it
            lines.append(TRACE_PREFIX + " " * (len(line) - len(body)) + self.redact(body))
        return "\n".join(lines)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "budtender_redacted", False):  # the second handler sees the same record
            return True
        record.budtender_redacted = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not take the log call down
            message = f"{record.msg!s} {record.args!s}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact_trace(record.exc_text)
        # The formatter reads exc_info only when exc_text is empty; the original text stays out.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact_trace(record.stack_info)
        record.msg, record.args = self.redact(message), None
        return True


def setup_logging(*, debug: bool, log_dir: Path | None) -> RedactingFilter:
    """Root logging to stderr and (when given) a small rotating file, both redacted.

    httpx and httpcore log every request URL at INFO/DEBUG; redemption URLs carry tokens, so
    they stay at WARNING whatever the level.
    """
    redactor = RedactingFilter()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(
            log_dir / "budtender.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(redactor)
        root.addHandler(handler)
    for noisy in ("httpx", "httpcore", "hpack", "keyring", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor
