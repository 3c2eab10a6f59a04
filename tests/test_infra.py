import asyncio

import pytest
from PySide6.QtCore import QTimer


@pytest.mark.asyncio
async def test_async_tests_run_on_the_qt_event_loop():
    """A Qt timer fires while a coroutine awaits: the loop under the tests is Qt's."""
    fired = asyncio.get_running_loop().create_future()
    QTimer.singleShot(10, lambda: fired.set_result(True))
    assert await asyncio.wait_for(fired, 2)
