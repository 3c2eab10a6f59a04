"""Waiting on the app in async tests: by its signals, never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from budtender_app.domain.clock import Clock
from budtender_app.domain.flow import Step
from budtender_app.viewmodels.operation import until_step


async def wait_for_step(vm, step: Step, timeout: float = 5.0) -> None:
    """Until the view model reaches ``step`` (returns at once if it is there)."""
    try:
        await until_step(vm, step, timeout)
    except TimeoutError as exc:
        raise AssertionError(str(exc)) from None


async def await_signal(signal, timeout: float = 5.0):
    """The arguments of the next emission of ``signal``."""
    future = asyncio.get_running_loop().create_future()

    def on_emit(*args):
        if not future.done():
            future.set_result(args)

    signal.connect(on_emit)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        signal.disconnect(on_emit)


async def wait_for_focus(widget, timeout: float = 5.0) -> None:
    """Until ``widget`` has the keyboard focus (dialogs take it when the loop has run)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app.focusWidget() is widget:
        return
    future = asyncio.get_running_loop().create_future()

    def on_focus(_old, new):
        if new is widget and not future.done():
            future.set_result(None)

    app.focusChanged.connect(on_focus)
    try:
        await asyncio.wait_for(future, timeout)
    except TimeoutError:
        raise AssertionError(f"focus is on {app.focusWidget()!r}, not {widget!r}") from None
    finally:
        app.focusChanged.disconnect(on_focus)


def make_journal(path, store: str = "test", clock=None):
    """A real journal on disk (tests' tmp_path), held like the app holds it, on ``clock`` (the
    system clock when None: pass the view model's clock when a test compares their times)."""
    from budtender_app.domain.clock import Clock
    from budtender_app.services.journal import Journal, JournalLock

    file = path / "journal.sqlite3"
    return Journal(file, store=store, terminal="till-1", lock=JournalLock(file).acquire(),
                   clock=clock or Clock.system())


def screenshot_clock():
    """A clock that runs from 2026-11-22 17:43 (US Mountain time) for README's screenshots, so
    regenerating them changes no time on screen and no picture that has not changed."""
    import time
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from budtender_app.domain.clock import Clock

    start, at = datetime(2026, 11, 23, 0, 43, tzinfo=UTC), time.monotonic()
    return Clock(wall=lambda: start + timedelta(seconds=time.monotonic() - at), zone=ZoneInfo("America/Denver"))


async def no_sleep(_seconds: float) -> None:
    """A sleep that returns at once: retries and countdowns run without waiting."""
    return


class MovingTime:
    """A wall clock (and its monotonic ticks) that a test moves by hand: stores and sessions built
    from ``clock()`` all read it, so lockouts and idle locks are tested with no sleep."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

    def clock(self) -> Clock:
        return Clock(wall=lambda: self.moment, ticks=lambda: self.moment.timestamp())

    def pass_(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
