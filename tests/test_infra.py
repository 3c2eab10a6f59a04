import asyncio

import pytest
from PySide6.QtCore import QTimer


@pytest.mark.asyncio
async def test_async_tests_run_on_the_qt_event_loop():
    """A Qt timer fires while a coroutine awaits: the loop under the tests is Qt's."""
    fired = asyncio.get_running_loop().create_future()
    QTimer.singleShot(10, lambda: fired.set_result(True))
    assert await asyncio.wait_for(fired, 2)


def test_no_two_test_files_share_a_name():
    """tests/ has no __init__.py: pytest imports test files by their base name, so two of one name
    in different folders stop the whole run at collection (a run of one folder does not show it)."""
    from collections import Counter
    from pathlib import Path

    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert not [n for n, count in names.items() if count > 1]
