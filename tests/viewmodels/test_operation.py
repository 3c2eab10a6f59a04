"""The one background-operation helper every view model holds: what the cashier sees of the
work in flight (busy text, the message line) and that no task is dropped or left running."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from budtender_app.domain import errors
from budtender_app.domain.messages import Level
from budtender_app.viewmodels.operation import MessageLine, Operations


class Screen:
    """What the signals carried, in order."""

    def __init__(self) -> None:
        self.busy: list[str] = []
        self.lines: list[tuple[str, str]] = []
        self.crashes: list[BaseException] = []

    def parts(self, *, only_changes: bool = False) -> tuple[Operations, MessageLine]:
        line = MessageLine(lambda level, text: self.lines.append((level, text)), only_changes=only_changes)
        ops = Operations(self.busy.append, line, on_crash=self.crashes.append, only_changes=only_changes)
        return ops, line


def test_a_repeated_line_is_said_again_unless_only_changes_count():
    screen = Screen()
    _, every = screen.parts()
    every.say(Level.ERROR, "Type the manager PIN.")
    every.say(Level.ERROR, "Type the manager PIN.")
    assert screen.lines == [("error", "Type the manager PIN.")] * 2
    changes = MessageLine(lambda level, text: screen.lines.append((level, text)), only_changes=True)
    changes.say(Level.INFO, "x")
    changes.say(Level.INFO, "x")
    changes.clear()
    assert screen.lines[2:] == [("info", "x"), ("", "")] and changes.current == (Level.CLEAR, "")


@pytest.mark.asyncio
async def test_a_query_shows_its_busy_text_then_hands_on_the_answer():
    screen = Screen()
    ops, _ = screen.parts()
    seen: list[tuple[str, int]] = []

    async def work() -> int:
        assert ops.busy == "Asking AIQ…"
        return 7

    await ops.query(work, busy="Asking AIQ…", success=lambda n: seen.append((ops.busy, n)))
    assert screen.busy == ["Asking AIQ…", ""]
    assert seen == [("", 7)], "the busy text is cleared before success runs"


@pytest.mark.asyncio
async def test_a_domain_error_becomes_the_message_before_the_busy_text_clears():
    screen = Screen()
    ops, line = screen.parts()
    order: list[str] = []

    async def work() -> None:
        raise errors.Unreachable("Cannot reach AIQ.")

    await ops.query(work, busy="Asking…", success=lambda _: order.append("success"))
    assert line.current == (Level.ERROR, "Cannot reach AIQ.") and order == []
    assert ops.busy == ""

    def failure(exc: errors.AiqError) -> None:
        order.append(f"failure while busy={ops.busy!r}")

    await ops.query(work, busy="Again…", success=lambda _: None, failure=failure)
    assert order == ["failure while busy='Again…'"]


@pytest.mark.asyncio
async def test_a_new_lookup_cancels_the_last_and_keeps_its_own_busy_text():
    screen = Screen()
    ops, _ = screen.parts()
    gate = asyncio.get_running_loop().create_future()
    answers: list[str] = []

    async def hang() -> str:
        await gate
        return "first"

    async def second() -> str:
        return "second"

    first = ops.start(hang, busy="First…", success=answers.append)
    await asyncio.sleep(0)
    ops.start(second, busy="Second…", success=answers.append)
    assert ops.busy == "Second…"
    await ops.wait_idle()
    assert first.cancelled() and answers == ["second"]
    assert screen.busy == ["First…", "", "Second…", ""], "the cancelled one never cleared the new text"


@pytest.mark.asyncio
async def test_every_task_is_kept_until_it_ends_and_a_crash_is_reported():
    screen = Screen()
    ops, _ = screen.parts()

    async def waits_on_what_only_it_knows() -> None:
        await asyncio.get_running_loop().create_future()  # asyncio itself keeps only a weak reference

    async def bug() -> None:
        raise RuntimeError("a bug")

    kept = weakref.ref(ops.spawn(waits_on_what_only_it_knows()))
    ops.spawn(bug())
    await asyncio.sleep(0)
    gc.collect()
    task = kept()
    assert task is not None and not task.done(), "a task the view model started vanished mid-flight"
    task.cancel()
    await ops.wait_idle()
    assert [str(e) for e in screen.crashes] == ["a bug"]


@pytest.mark.asyncio
async def test_esc_stops_the_lookup_and_clears_its_busy_text():
    screen = Screen()
    ops, _ = screen.parts(only_changes=True)
    gate = asyncio.get_running_loop().create_future()

    async def hang() -> None:
        await gate

    task = ops.start(hang, busy="Texting a PIN…", success=lambda _: None)
    await asyncio.sleep(0)
    ops.cancel_replaceable()
    await ops.wait_idle()
    assert task.cancelled() and ops.busy == "" and screen.busy == ["Texting a PIN…", ""]
