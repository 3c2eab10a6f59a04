"""Issue 14's transport: a real second process hands a sale to the running terminal over its socket.

The running terminal's server runs in this test process (a fake ``take`` records what arrives);
the second process is ``python -m budtender_app ...``, with this test's folders (conftest), so
its socket name is this test's own.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Signal
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QWidget

from budtender_app.domain.handoff import MAX_WIRE, Handoff, to_wire
from budtender_app.handoff_server import HandoffServer, bring_to_front
from budtender_app.single_instance import socket_name

ROOT = Path(__file__).resolve().parents[1]


class Counter:
    """The counter's side, faked: what it was handed, and how often the window came forward."""

    def __init__(self, accept: bool = True) -> None:
        self.taken: list[Handoff] = []
        self.raised = 0
        self.accept = accept

    def take(self, handoff: Handoff) -> tuple[bool, str]:
        self.taken.append(handoff)
        if not self.accept:
            return False, "Finish or cancel the current sale first."
        return True, f"Cart total {handoff.total} filled in."

    def bring_forward(self) -> None:
        self.raised += 1


@pytest.fixture
def counter():
    return Counter()


@pytest.fixture
def running(qtbot, counter):
    server = HandoffServer(counter.take, counter.bring_forward, read_timeout_ms=300)
    assert server.listen()
    yield server
    server.close()


def second_process(qtbot, *args: str) -> subprocess.CompletedProcess:
    """``python -m budtender_app ARGS`` while this process's Qt loop serves the socket."""
    process = subprocess.Popen([sys.executable, "-m", "budtender_app", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ))
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=15000)
    out, err = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_sale_command_fills_in_the_running_terminal(qtbot, running, counter):
    done = second_process(qtbot, "sale", "--total", "42.50", "--transaction", "T-1", "--discount", "POS-5OFF")
    assert (done.returncode, done.stdout.strip()) == (0, "Cart total 42.50 filled in.")
    assert counter.taken == [Handoff(total=Decimal("42.50"), transaction="T-1", discounts=("POS-5OFF",))]
    assert counter.raised == 1


def test_the_running_terminal_refusing_says_why_and_exits_1(qtbot, running, counter):
    counter.accept = False
    done = second_process(qtbot, "sale", "--total", "9.99")
    assert done.returncode == 1 and "Finish or cancel the current sale first." in done.stderr
    assert counter.raised == 1  # the cashier sees why on the screen brought forward


def test_with_no_terminal_running_it_says_start_the_terminal_first(qtbot):
    done = second_process(qtbot, "sale", "--total", "42.50")
    assert done.returncode == 3 and "Start the terminal first" in done.stderr


def test_a_link_as_the_browser_passes_it(qtbot, running, counter):
    done = second_process(qtbot, "budtender://sale?total=12.00&transaction=T-1001&discount=A&discount=B")
    assert done.returncode == 0
    assert counter.taken == [Handoff(total=Decimal("12.00"), transaction="T-1001", discounts=("A", "B"))]


@pytest.mark.parametrize("args", [
    ["budtender://sale?total=12.00&phone=5551234567"],
    ["budtender://sale?total=twelve"],
    ["budtender://refund?total=12.00"],
    ["sale", "--total", "-4"],
])
def test_a_malformed_hand_off_is_refused_with_exit_2_and_nothing_is_sent(qtbot, running, counter, args):
    done = second_process(qtbot, *args)
    assert done.returncode == 2 and done.stderr.strip() and not done.stdout
    assert counter.taken == [] and counter.raised == 0


def test_a_plain_second_launch_only_raises_the_running_one_and_says_so(qtbot, running, counter):
    done = second_process(qtbot, "--demo")
    assert done.returncode == 0 and "already running" in done.stdout and "--demo" in done.stdout
    assert counter.raised == 1 and counter.taken == []


def test_windows_way_over_qlocalsocket_reaches_it_too(qtbot, running, counter):
    script = ("import sys; from budtender_app.single_instance import send_with_qt, socket_name; "
              f"sys.stdout.buffer.write(send_with_qt({to_wire(Handoff(total=Decimal('5.00')))!r}, socket_name()))")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT, env=dict(os.environ))
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=15000)
    assert json.loads(process.communicate()[0])["ok"] is True
    assert counter.taken == [Handoff(total=Decimal("5.00"))]


# -- a peer that misbehaves never holds the terminal ------------------------------------------

def connect(qtbot, server: HandoffServer) -> QLocalSocket:
    peer = QLocalSocket()
    peer.connectToServer(server.name)
    qtbot.waitUntil(lambda: peer.state() == QLocalSocket.LocalSocketState.ConnectedState)
    return peer


def answer_of(qtbot, peer: QLocalSocket) -> dict:
    received = bytearray()

    def line_read() -> bool:
        received.extend(bytes(peer.readAll().data()))
        return received.endswith(b"\n")

    qtbot.waitUntil(line_read)
    return json.loads(bytes(received))


@pytest.mark.logs_expected(r"hand-off refused")
def test_garbage_is_answered_and_the_terminal_goes_on(qtbot, running, counter):
    peer = connect(qtbot, running)
    peer.write(b"\x00\xffnot json\n")
    assert answer_of(qtbot, peer) == {"ok": False, "said": "The hand-off message cannot be read."}
    assert counter.raised == 0
    done = second_process(qtbot, "sale", "--total", "1.00")
    assert done.returncode == 0


@pytest.mark.logs_expected(r"hand-off refused: the message was not finished in time")
def test_a_peer_that_never_finishes_its_line_is_cut_off(qtbot, running, counter):
    peer = connect(qtbot, running)
    peer.write(b'{"v": 1, "sale":')
    assert answer_of(qtbot, peer)["said"] == "The hand-off message was not finished in time."
    qtbot.waitUntil(lambda: running.peers == 0)
    done = second_process(qtbot, "sale", "--total", "1.00")  # while it waited, others were served
    assert done.returncode == 0 and counter.taken == [Handoff(total=Decimal("1.00"))]


@pytest.mark.logs_expected(r"hand-off refused: a message longer than")
def test_a_peer_that_sends_too_much_is_cut_off(qtbot, running, counter):
    peer = connect(qtbot, running)
    peer.write(b"x" * (MAX_WIRE + 10))
    assert answer_of(qtbot, peer)["said"] == "The hand-off message is too long."
    qtbot.waitUntil(lambda: running.peers == 0)
    assert counter.taken == []


# -- the socket --------------------------------------------------------------------------------

def test_a_crashed_terminals_socket_is_replaced(qtbot, counter):
    name = socket_name()
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(name)
    stale.close()  # what a killed terminal leaves: the file, nobody listening
    server = HandoffServer(counter.take, counter.bring_forward)
    assert server.listen()
    server.close()


@pytest.mark.logs_expected(r"hand-offs: cannot listen")
def test_a_second_terminal_never_takes_over_a_live_socket(qtbot, running, counter):
    other = HandoffServer(counter.take, counter.bring_forward)
    assert not other.listen()
    other.close()  # the one that never listened takes nothing away with it
    assert second_process(qtbot, "sale", "--total", "2.00").returncode == 0  # the first still serves
    assert counter.taken == [Handoff(total=Decimal("2.00"))]


def test_the_socket_is_this_users_only_and_the_same_in_training(monkeypatch, tmp_path):
    name = socket_name()
    assert Path(name).name.startswith(f"budtender-app-{getpass.getuser()}-")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    assert socket_name() != name  # another terminal's settings, another terminal
    monkeypatch.setenv("BUDTENDER_SOCKET_NAME", "/tmp/it-chose.sock")
    assert socket_name() == "/tmp/it-chose.sock"


def test_the_socket_file_only_this_user_may_open(qtbot, running):
    assert os.stat(running.name).st_mode & 0o077 == 0


# -- the window --------------------------------------------------------------------------------

class Window(QWidget):
    closed = Signal()


# Qt's offscreen platform (the tests') cannot raise a window, and says so; a desktop's can.
offscreen_raise = pytest.mark.qt_log_ignore("This plugin does not support raise")


@offscreen_raise
def test_a_minimised_window_comes_back_to_the_front(qtbot):
    window = Window()
    qtbot.addWidget(window)
    window.showMinimized()
    bring_to_front(window)
    assert window.isVisible() and not window.isMinimized()


# -- the app itself ------------------------------------------------------------------------------

def test_the_app_listens_once_its_window_shows_and_its_socket_goes_with_it(qtbot):
    """run_app's wiring: the real terminal (training) takes the second launches, and a sale handed
    off fills the counter's cart total (viewmodels/handoff.py), saying so to the second process."""
    app = subprocess.Popen([sys.executable, "-m", "budtender_app", "--demo"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, cwd=ROOT, env=dict(os.environ))
    name = socket_name()
    try:
        qtbot.waitUntil(lambda: os.path.exists(name) or app.poll() is not None, timeout=20000)
        assert app.poll() is None
        again = second_process(qtbot, "--demo")
        assert again.returncode == 0 and "already running (in training mode)" in again.stdout
        sale = second_process(qtbot, "sale", "--total", "42.50")
        assert sale.returncode == 0 and "Cart total $42.50 filled in" in sale.stdout
        assert app.poll() is None  # one terminal, still running
    finally:
        app.terminate()  # SIGTERM closes the window without asking (app.py)
        qtbot.waitUntil(lambda: app.poll() is not None, timeout=20000)
    assert app.returncode == 0 and not os.path.exists(name)


def test_a_link_with_a_command_is_refused(qtbot, running, counter):
    done = second_process(qtbot, "journal", "check", "budtender://sale?total=1.00")
    assert done.returncode == 2 and "on its own" in done.stderr and counter.taken == []


def test_a_sale_without_a_total_is_refused_by_the_command_line(qtbot, running, counter):
    done = second_process(qtbot, "sale", "--transaction", "T-1")
    assert done.returncode == 2 and "--total" in done.stderr and counter.taken == []


def test_only_the_socket_carries_a_phone(qtbot, running, counter):
    peer = connect(qtbot, running)
    peer.write(to_wire(Handoff(total=Decimal("8.00"), phone="5550102030")))
    assert answer_of(qtbot, peer)["ok"] is True
    assert counter.taken[0].phone == "5550102030"
