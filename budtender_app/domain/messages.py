"""How loud a line on the screen is: one name per level, shared by every view model and widget.

A ``StrEnum`` so a level crosses a Qt signal as plain text (``Signal(str, str)``) and compares
equal to it on the other side; the names are the contract, not the strings.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """What a message band shows: green (OK), amber (WARNING), red (ERROR), or nothing (CLEAR)."""

    CLEAR = ""
    INFO = "info"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
