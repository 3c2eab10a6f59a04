"""JSON for AIQ's bodies with money as Decimal end to end: ``json.dumps`` writes a float for a
number, so a Decimal (a cart total, a price) is written here as its own digits ("12.50", "-0",
"40"), never through a binary float. A NaN or infinity is refused, as ``allow_nan=False`` does.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any


def dumps(payload: object, **options: Any) -> str:
    """``json.dumps(payload, **options)`` with each Decimal written as its exact digits."""
    numbers: list[str] = []
    marker = secrets.token_hex(8)  # no text a body carries can spell it by chance

    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"not a JSON number: {value}")
            numbers.append(str(value))
            return f"{marker}:{len(numbers) - 1}"
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value

    text = json.dumps(plain(payload), allow_nan=False, **options)
    for index, digits in enumerate(numbers):
        text = text.replace(f'"{marker}:{index}"', digits, 1)
    return text
