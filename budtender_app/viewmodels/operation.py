"""Background work for every view model, in one place (Anki's ``QueryOp`` is the model).

A view model holds one ``Operations`` (as ``_ops``) and one ``MessageLine`` (as ``_line``), and
shows them to its widgets as ``busy = BusyText()`` and ``message = MessageText()``.
``Operations`` keeps a strong reference to each task it starts (qasync 0.28 keeps none, so an
unreferenced task can vanish mid-send), shows and clears the busy text, cancels the last lookup
when a new one replaces it, maps a domain error to a line on the screen and hands the answer on.
Plain asyncio and callables: the view model's Qt signals are passed in as ``emit`` functions, so
this module needs no Qt at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar, overload

from budtender_app.domain import errors
from budtender_app.domain.flow import Step
from budtender_app.domain.messages import Level

T = TypeVar("T")


class MessageLine:
    """The one message a screen shows: (level, text), and the signal that says it changed.

    ``only_changes``: say nothing when the same line is said again (the counter re-says lines
    as the cart changes); without it every line is emitted, so a repeated refusal shows again.
    """

    def __init__(self, emit: Callable[[str, str], None], *, only_changes: bool = False) -> None:
        self._emit = emit
        self._only_changes = only_changes
        self.current: tuple[Level, str] = (Level.CLEAR, "")

    def say(self, level: Level, text: str) -> None:
        """Show ``text`` at ``level`` (Level.CLEAR with "" clears the line)."""
        if self._only_changes and (level, text) == self.current:
            return
        self.current = (level, text)
        self._emit(level, text)

    def clear(self) -> None:
        self.say(Level.CLEAR, "")


class Operations:
    """The tasks, the busy text and the replaceable lookup of one view model.

    ``on_crash`` is called with an exception no operation handled (a bug): the view model logs
    it and says something to the cashier instead of failing silently.
    """

    def __init__(self, emit_busy: Callable[[str], None], line: MessageLine, *,
                 on_crash: Callable[[BaseException], None], only_changes: bool = False) -> None:
        self._emit_busy = emit_busy
        self._line = line
        self._on_crash = on_crash
        self._only_changes = only_changes
        self.busy = ""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._replaceable: asyncio.Task[Any] | None = None
        self._superseded: set[asyncio.Task[Any]] = set()

    # -- progress ----------------------------------------------------------------------------

    def set_busy(self, text: str) -> None:
        """Show what is in flight ("" when nothing is)."""
        if self._only_changes and text == self.busy:
            return
        self.busy = text
        self._emit_busy(text)

    @contextlib.contextmanager
    def showing(self, busy: str | None) -> Iterator[None]:
        """``busy`` while the block runs (None: the text already shown), cleared when it ends,
        however it ends; not when a newer operation replaced this one (its text is showing)."""
        if busy is not None:
            self.set_busy(busy)
        try:
            yield
        finally:
            if asyncio.current_task() not in self._superseded:
                self.set_busy("")

    # -- tasks -------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, kept alive until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # a strong reference: qasync keeps none
        task.add_done_callback(self._done)
        return task

    def replace(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background as the lookup of the moment: one still running is cancelled."""
        self.cancel_replaceable()
        self._replaceable = self.spawn(coro)
        return self._replaceable

    def replace_with_current(self) -> None:
        """The running task becomes the lookup of the moment (a coroutine its caller awaits)."""
        self.cancel_replaceable()
        self._replaceable = asyncio.current_task()

    def cancel_replaceable(self) -> None:
        """Stop the lookup of the moment, if one is running, and clear its busy text."""
        task, self._replaceable = self._replaceable, None
        if task is not None and not task.done():
            self._superseded.add(task)
            task.add_done_callback(self._superseded.discard)
            task.cancel()
            self.set_busy("")

    async def wait_idle(self) -> None:
        """Until nothing is in flight (tests, and quitting without dropping a send)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            self._on_crash(failure)

    # -- one call: progress, failure and success in one place -------------------------------

    async def query(self, work: Callable[[], Awaitable[T]], *, success: Callable[[T], None],
                    failure: Callable[[errors.AiqError], None] | None = None,
                    busy: str | None = None) -> None:
        """Await ``work()`` with ``busy`` showing. A domain error goes to ``failure`` (by default
        its words, as an error line), then the busy text clears; on success the busy text clears,
        then ``success`` gets the answer."""
        with self.showing(busy):
            try:
                answer = await work()
            except errors.AiqError as exc:
                (failure or self._say_error)(exc)
                return
        success(answer)

    def start(self, work: Callable[[], Awaitable[T]], *, busy: str, success: Callable[[T], None],
              failure: Callable[[errors.AiqError], None] | None = None) -> asyncio.Task[Any]:
        """``query`` in the background as the lookup of the moment; its busy text shows now."""
        self.cancel_replaceable()
        self.set_busy(busy)
        return self.replace(self.query(work, success=success, failure=failure))

    def _say_error(self, exc: errors.AiqError) -> None:
        self._line.say(Level.ERROR, str(exc))


# -- what a view model shows of them, declared once ----------------------------------------------

class _HasOps(Protocol):
    _ops: Operations


class _HasLine(Protocol):
    _line: MessageLine


class BusyText:
    """A view model's ``busy``: what is in flight, in words ("" when nothing is). Read-only."""

    @overload
    def __get__(self, vm: None, owner: type | None = None) -> BusyText: ...
    @overload
    def __get__(self, vm: _HasOps, owner: type | None = None) -> str: ...
    def __get__(self, vm: _HasOps | None, owner: type | None = None) -> str | BusyText:
        return self if vm is None else vm._ops.busy


class MessageText:
    """A view model's ``message``: the (level, text) its screen shows now. Read-only."""

    @overload
    def __get__(self, vm: None, owner: type | None = None) -> MessageText: ...
    @overload
    def __get__(self, vm: _HasLine, owner: type | None = None) -> tuple[Level, str]: ...
    def __get__(self, vm: _HasLine | None, owner: type | None = None) -> tuple[Level, str] | MessageText:
        return self if vm is None else vm._line.current


# -- waiting for the flow, by its signal ----------------------------------------------------------

class _Stepping(Protocol):
    step: Step
    step_changed: Any  # the view model's Signal(object)
    message: tuple[Level, str]


async def until_step(vm: _Stepping, step: Step, timeout: float) -> None:  # noqa: ASYNC109 - says where it stuck
    """Until ``vm`` reaches ``step`` (at once when it is there), by its ``step_changed`` signal,
    never by polling; TimeoutError naming the step it stuck at and the line on its screen.
    The self-test, the tests and the benchmark wait this way."""
    if vm.step is step:
        return
    reached = asyncio.get_running_loop().create_future()

    def on_step(now: Step) -> None:
        if now is step and not reached.done():
            reached.set_result(None)

    vm.step_changed.connect(on_step)
    try:
        await asyncio.wait_for(reached, timeout)
    except TimeoutError:
        raise TimeoutError(f"stuck at {vm.step.name} waiting for {step.name}: {vm.message[1]}") from None
    finally:
        vm.step_changed.disconnect(on_step)
