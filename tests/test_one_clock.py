"""Time comes from one injected clock (budtender_app/domain/clock.py): nothing else in the app
reads the computer's time, so a test, or CI under another date and zone, moves all of it."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "budtender_app"

#: Reading the computer's clock or zone directly: a call or a reference handed on as a default.
DIRECT = re.compile(
    r"\b(time\.time|time\.monotonic|time\.strftime|time\.localtime|datetime\.now|datetime\.utcnow|"
    r"date\.today|QDate\.currentDate|QDateTime\.currentDateTime)\b")

#: The clock itself; the simulator stands in for AIQ's servers, whose clock is their own.
ALLOWED = {"domain/clock.py"}
ALLOWED_FOLDERS = ("simulator/",)


def test_nothing_but_the_clock_reads_the_time():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name in ALLOWED or name.startswith(ALLOWED_FOLDERS):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if DIRECT.search(line.split("#", 1)[0]):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "read the time from the injected Clock instead:\n" + "\n".join(offenders)
