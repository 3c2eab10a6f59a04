"""Logging that cannot leak: known secrets and phone-like digit runs are masked on every handler."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_PHONE_RUN = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message: registered secrets become ***, phone numbers ***-***-1234."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add_secret(self, secret: str) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return _PHONE_RUN.sub(lambda m: "***-***-" + re.sub(r"\D", "", m.group())[-4:], text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
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
