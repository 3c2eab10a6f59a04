"""The background push (hub_wiring.start_hub + HubPusher) against a real hub: it keeps up with
the counter's journal, and an unreachable hub is a quiet state, never an error at the counter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
import pytest

from budtender_app.hub_wiring import start_hub
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub import schema
from budtender_app.services.hub.config import HubConfig, parse_hub_url
from tests.helpers.hub_journal import SEAL, write_sales
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pg import free_port

pytestmark = pytest.mark.hub


def now() -> datetime:
    return datetime(2026, 12, 2, 14, 2, tzinfo=UTC)


def joined(url: str, password: str) -> CredentialStore:
    keys = CredentialStore(MemoryKeyring())
    HubConfig(keys).save(parse_hub_url(url), password)
    return keys


async def next_state(states: asyncio.Queue, until, timeout: float = 10.0):
    async with asyncio.timeout(timeout):
        while not until(state := await states.get()):
            pass
    return state


@pytest.mark.asyncio
async def test_the_background_push_keeps_up_with_the_journal(hub_db, tmp_path):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    path = tmp_path / "j.sqlite3"
    write_sales(path, 2)
    states: asyncio.Queue = asyncio.Queue()
    link = start_hub(path, SEAL, joined(hub_db.url, hub_db.password), now, training=False,
                     on_state=states.put_nowait)
    assert link is not None
    try:
        assert (await next_state(states, lambda s: s.in_sync)).chain_ok
        write_sales(path, 1)  # the counter goes on selling
        link.pusher.nudge()
        await next_state(states, lambda s: s.in_sync and s.waiting == 0)
    finally:
        link.stop()
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        assert conn.execute("SELECT count(*) FROM hub_events").fetchone() == (18,)


@pytest.mark.asyncio
async def test_an_unreachable_hub_is_a_state_not_an_error(tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    link = start_hub(path, SEAL, joined(f"postgresql://u@127.0.0.1:{free_port()}/hub", "pw"), now, training=False)
    assert link is not None
    try:
        state = await link.pusher.push_once()
        assert state.unreachable_since == now() and "unreachable" in state.problem and not state.in_sync
    finally:
        link.stop()


def test_no_hub_push_without_a_hub_or_in_training(tmp_path):
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    assert start_hub(path, SEAL, CredentialStore(MemoryKeyring()), now, training=False) is None
    keys = joined("postgresql://u@127.0.0.1/hub", "pw")
    assert start_hub(path, SEAL, keys, now, training=True) is None


@pytest.mark.asyncio
async def test_the_counter_shows_the_hubs_state_quietly_and_stops_the_push_at_quit(hub_db, tmp_path, qtbot):
    """The status bar's left says "Hub: in sync" once pushed (issue 15's visible state); a sale
    never waits on it; closing the window stops the push."""
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QLabel, QMainWindow

    from budtender_app.hub_wiring import HubControl, show_hub

    class Window(QMainWindow):
        closed = Signal()

    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)
    window = Window()
    qtbot.addWidget(window)
    states: asyncio.Queue = asyncio.Queue()
    control = HubControl(path, SEAL, joined(hub_db.url, hub_db.password), now, training=False)
    started, start = asyncio.Event(), control.start

    def start_then_say() -> bool:
        running = start()
        started.set()
        return running

    control.start = start_then_say
    show_hub(window, control, lambda moment: moment)
    async with asyncio.timeout(5):  # once the loop runs (the window is up), show_hub starts the push
        await started.wait()
    shown = control.on_state

    def shown_then_told(state):
        shown(state)  # the label first, as the app has it
        states.put_nowait(state)

    control.on_state = shown_then_told
    await next_state(states, lambda s: s is not None and s.in_sync)
    label = window.findChild(QLabel, "hub_state_label")
    assert label.text() == "Hub: in sync" and not label.isHidden()
    await control.stop()  # a manager left the hub in the settings: the label goes, the push stops
    assert label.isHidden() and control.link is None
    assert await control.restart()  # and joined again: it comes back
    await next_state(states, lambda s: s is not None and s.in_sync)
    link = control.link
    window.closed.emit()
    assert not link.pusher._rounds.running and control.link is None, "the push stopped with the window"


def test_the_hub_state_in_a_few_quiet_words():
    from budtender_app.hub_wiring import state_text
    from budtender_app.services.hub.pusher import PushState

    local = lambda moment: moment  # noqa: E731 - the store's zone is UTC here
    assert state_text(PushState(), local) == "Hub: connecting…"
    assert state_text(PushState(waiting=0), local) == "Hub: in sync"
    assert state_text(PushState(waiting=1200), local) == "Hub: 1,200 events waiting"
    assert state_text(PushState(waiting=3, unreachable_since=now(), problem="x"), local) == \
        "Hub unreachable since 14:02"
    assert "does not match" in state_text(PushState(waiting=0, chain_ok=False), local)


@pytest.mark.asyncio
async def test_a_joined_hub_gives_the_counter_its_claims_and_the_push_claims_what_was_sold(hub_db, tmp_path):
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    path = tmp_path / "j.sqlite3"
    write_sales(path, 1)  # POS-00000000, sold while no claim was made
    checkout = SimpleNamespace(store="Main St", claimer=None)
    states: asyncio.Queue = asyncio.Queue()
    link = start_hub(path, SEAL, joined(hub_db.url, hub_db.password), now, training=False,
                     on_state=states.put_nowait, checkout=checkout)
    assert link is not None and checkout.claimer is not None
    try:
        await next_state(states, lambda s: s.in_sync)
        held = await checkout.claimer.claim("POS-00000000", ["d1"])  # this terminal's own: claimed late already
        assert held.outcome.value == "claimed"
    finally:
        link.stop()
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        rows = conn.execute("SELECT discount_id, terminal_id FROM hub_claims ORDER BY 1").fetchall()
    assert rows == [("d1", SEAL.journal_id), ("d2", SEAL.journal_id)]


@pytest.mark.asyncio
async def test_a_hub_that_goes_away_mid_push_is_unreachable_and_the_next_push_catches_up(hub_db, tmp_path,
                                                                                          monkeypatch):
    """The hub's server stopped or restarted while a push runs (its connection cut): the counter
    says unreachable since when, as for a hub that never answered, no warning; nothing is lost."""
    from budtender_app.services.hub import pusher as pusher_module
    from budtender_app.services.hub.push import Terminal
    from budtender_app.services.hub.pusher import HubPusher
    from budtender_app.services.journal import Journal

    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)
    path = tmp_path / "j.sqlite3"
    write_sales(path, 2)
    real_push, cut = pusher_module.push, []

    def push_cut_off(terminal, conn):
        if not cut:  # the first push loses its connection as it starts
            cut.append(conn.info.backend_pid)
            hub_db.cluster.admin(f"SELECT pg_terminate_backend({conn.info.backend_pid})")
        return real_push(terminal, conn)

    monkeypatch.setattr(pusher_module, "push", push_cut_off)
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    with Journal.open_read_only(path, SEAL) as journal:
        pusher = HubPusher(Terminal(journal, "Register 1"), args, now=now)
        away = await pusher.push_once()
        assert away.unreachable_since == now() and "went away during the push" in away.problem
        back = await pusher.push_once()
    assert back.in_sync and back.unreachable_since is None and cut
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        assert conn.execute("SELECT count(*), max(seq) FROM hub_events").fetchone() == (12, 12)
