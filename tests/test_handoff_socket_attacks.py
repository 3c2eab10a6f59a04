"""Issue 14 attacked (session 6): another computer user, a broken POS and a hostile link, at the socket.

The running terminal's server runs in this test process (a fake ``take``, as in
test_single_instance.py); the second process is ``python -m budtender_app``.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import stat
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from budtender_app.domain.handoff import Handoff, to_wire
from budtender_app.handoff_server import HandoffServer
from budtender_app.single_instance import NoTerminal, send, socket_name
from tests.test_single_instance import Counter, answer_of, connect, second_process

NOBODY = 65534


@pytest.fixture
def counter():
    return Counter()


@pytest.fixture
def running(qtbot, counter):
    server = HandoffServer(counter.take, counter.bring_forward, read_timeout_ms=3000)
    assert server.listen()
    yield server
    server.close()


@pytest.fixture
def shared_tmp(monkeypatch):
    """No XDG_RUNTIME_DIR: the socket goes to the temp folder, which every user may write (/tmp).
    A short one of its own (a socket's path has at most 107 bytes)."""
    tmp = Path(tempfile.mkdtemp(prefix="t14-", dir="/tmp"))
    tmp.chmod(0o1777)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.logs_expected(r"hand-off refused")
def test_a_deeply_nested_line_is_answered_at_once_not_at_the_timeout(qtbot, running, counter):
    peer = connect(qtbot, running)
    peer.write(b"[" * 4000 + b"]" * 4000 + b"\n")
    assert answer_of(qtbot, peer) == {"ok": False, "said": "The hand-off message cannot be read."}
    assert counter.taken == []


def test_a_link_beside_a_sale_command_is_refused_not_dropped(qtbot, running, counter):
    """On Windows "%1" around a link with a quote splits it: budtender://…" sale --total 5 "…"""
    done = second_process(qtbot, "budtender://sale?total=1.00", "sale", "--total", "500.00")
    assert done.returncode == 2 and "on its own" in done.stderr and counter.taken == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to play another user")
def test_another_user_squatting_the_temp_folder_name_cannot_shut_the_terminal_out(qtbot, shared_tmp, counter):
    name = str(shared_tmp / Path(socket_name()).name)  # known in advance: the login name and config folder
    squat = socket.socket(socket.AF_UNIX)
    try:
        squat.bind(name)  # in the shared temp folder itself, as another user could
        squat.listen()
        os.chown(name, NOBODY, NOBODY)
        server = HandoffServer(counter.take, counter.bring_forward)
        assert server.listen(), "another user's socket at the predictable name kept the terminal from listening"
        try:
            done = second_process(qtbot, "sale", "--total", "3.00")
            assert done.returncode == 0 and counter.taken == [Handoff(total=Decimal("3.00"))]
        finally:
            server.close()
    finally:
        squat.close()


def test_in_the_temp_folder_the_socket_is_in_a_folder_only_this_user_may_enter(qtbot, shared_tmp, counter):
    name = socket_name()
    folder = Path(name).parent
    assert folder != shared_tmp
    server = HandoffServer(counter.take, counter.bring_forward)
    assert server.listen()
    try:
        info = os.lstat(folder)
        assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and info.st_mode & 0o077 == 0
    finally:
        server.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to play another user")
def test_a_private_folder_another_user_made_first_is_not_used(qtbot, shared_tmp, counter, monkeypatch):
    first = shared_tmp / f"budtender-app-{os.getuid()}"  # the folder's name is known in advance
    first.mkdir(mode=0o777)
    first.chmod(0o777)
    os.chown(first, NOBODY, NOBODY)
    monkeypatch.setenv("XDG_STATE_HOME", str(shared_tmp / "home-state"))  # a home's path: short, unlike tmp_path
    name = socket_name()
    assert Path(name).parent != first and Path(name).parent != shared_tmp
    server = HandoffServer(counter.take, counter.bring_forward)
    assert server.listen()
    try:
        done = second_process(qtbot, "sale", "--total", "4.00")
        assert done.returncode == 0 and counter.taken == [Handoff(total=Decimal("4.00"))]
    finally:
        server.close()


def test_a_socket_file_nobody_listens_on_is_no_terminal(qtbot, shared_tmp):
    name = socket_name()
    os.makedirs(os.path.dirname(name), exist_ok=True)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(name)
    stale.close()
    with pytest.raises(NoTerminal):
        send(Handoff(total=Decimal("1.00")))


def test_no_phone_from_the_socket_reaches_the_log_or_the_answer(qtbot, running, counter, caplog):
    caplog.set_level(logging.DEBUG)
    peer = connect(qtbot, running)
    peer.write(to_wire(Handoff(total=Decimal("8.00"), transaction="T-9", phone="5550102030")))
    answer = answer_of(qtbot, peer)
    assert answer["ok"] is True and "0102030" not in str(answer)
    assert "0102030" not in caplog.text


@pytest.mark.logs_expected(r"hand-off refused: the message was not finished in time")
def test_a_flood_of_silent_connections_never_holds_a_real_hand_off(qtbot, counter):
    server = HandoffServer(counter.take, counter.bring_forward, read_timeout_ms=500)
    assert server.listen()
    try:
        silent = [connect(qtbot, server) for _ in range(100)]
        done = second_process(qtbot, "sale", "--total", "6.00")
        assert done.returncode == 0 and counter.taken == [Handoff(total=Decimal("6.00"))]
        qtbot.waitUntil(lambda: server.peers == 0, timeout=5000)  # each cut off at its time
        assert len(silent) == 100
    finally:
        server.close()
