"""The running terminal's side of the hand-off socket (issue 14): a per-user ``QLocalServer``.

Each connection sends one line (``domain/handoff.py`` ``to_wire``) and gets one line back,
``{"ok": ..., "said": ...}``, from the counter's ``take`` (``single_instance.Take``). Every message,
a bare second launch included, brings the window to the front. A peer never holds the GUI: its
line is read as it arrives (never waited for), one that grows past ``MAX_WIRE`` bytes or is not
finished within ``read_timeout_ms`` is answered (when it can be) and cut off.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from budtender_app.domain.handoff import MAX_WIRE, HandoffError, from_wire
from budtender_app.single_instance import Take, socket_name

if TYPE_CHECKING:
    from budtender_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

READ_TIMEOUT_MS = 2000


def bring_to_front(window: QWidget) -> None:
    """Un-minimise (to the state it had: a maximised terminal comes back maximised), raise, focus."""
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        window.setWindowState((state & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
    if not window.isVisible():
        window.showNormal()
    window.raise_()
    window.activateWindow()


class HandoffServer(QObject):
    """Listens on this user's socket; answers each hand-off from ``take``."""

    def __init__(self, take: Take, bring_forward: Callable[[], None], *, training: bool = False,
                 name: str | None = None, read_timeout_ms: int = READ_TIMEOUT_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._take, self._bring_forward, self._training = take, bring_forward, training
        self.name = name or socket_name()
        self._read_timeout_ms = read_timeout_ms
        self._peers: set[_Peer] = set()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_server_new_connection)

    def listen(self) -> bool:
        """Start listening; False (and a warning) when another terminal already does."""
        # With an access option Qt binds beside the name and renames over it, so listen() never
        # fails on a name in use: the check that no terminal answers there is this one.
        if _answers(self.name):
            log.warning("hand-offs: cannot listen: another terminal is running for this user")
            return False
        QLocalServer.removeServer(self.name)  # nobody answers: what is left is a crashed terminal's
        if not self._server.listen(self.name):
            log.warning("hand-offs: cannot listen (%s)", self._server.errorString())
            return False
        log.info("hand-offs: listening")
        return True

    def close(self) -> None:
        self._server.close()
        for peer in list(self._peers):
            peer.drop()

    @property
    def peers(self) -> int:
        """Connections still open (tests: a stuck peer is cut off)."""
        return len(self._peers)

    def _on_server_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            conn = self._server.nextPendingConnection()
            peer = _Peer(conn, self._answer, self._read_timeout_ms, self._peers.discard)
            self._peers.add(peer)
            peer.start()

    def _answer(self, line: bytes) -> dict[str, object]:
        try:
            handoff = from_wire(line)
        except HandoffError as exc:
            log.warning("hand-off refused: %s", exc)
            return {"ok": False, "said": str(exc)}
        self._bring_forward()
        if handoff.raise_only:
            mode = "training" if self._training else "real"
            return {"ok": True, "said": f"The terminal is already running (in {mode} mode): it is in front now."}
        try:
            ok, said = self._take(handoff)
        except Exception:
            log.exception("hand-off failed")
            ok, said = False, "The terminal could not take the hand-off: type the sale at the counter."
        log.info("hand-off %s", "taken" if ok else "refused")
        return {"ok": ok, "said": said}


class _Peer:
    """One connection: its line, read as it comes, answered once."""

    def __init__(self, conn: QLocalSocket, answer: Callable[[bytes], dict[str, object]], timeout_ms: int,
                 forget: Callable[[_Peer], None]) -> None:
        self._conn, self._answer, self._forget = conn, answer, forget
        self._buffer = b""
        self._done = self._dropped = False
        self._timer = QTimer(conn)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        conn.readyRead.connect(self._on_conn_ready_read)
        conn.disconnected.connect(self.drop)

    def start(self) -> None:
        self._timer.start()
        self._on_conn_ready_read()  # what arrived with the connection

    def _on_conn_ready_read(self) -> None:
        if self._done:
            return
        self._buffer += bytes(self._conn.readAll().data())
        line, newline, _ = self._buffer.partition(b"\n")
        if newline:
            self._reply(self._answer(line + newline))
        elif len(self._buffer) >= MAX_WIRE:
            log.warning("hand-off refused: a message longer than %d bytes", MAX_WIRE)
            self._reply({"ok": False, "said": "The hand-off message is too long."})

    def _on_timer_timeout(self) -> None:
        if not self._done:
            log.warning("hand-off refused: the message was not finished in time")
            self._reply({"ok": False, "said": "The hand-off message was not finished in time."})

    def _reply(self, answer: dict[str, object]) -> None:
        self._done = True
        self._timer.stop()
        self._conn.write(json.dumps(answer).encode() + b"\n")
        self._conn.flush()
        self._conn.disconnectFromServer()  # after what was written has gone
        if self._conn.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            self.drop()

    def drop(self) -> None:
        if self._dropped:
            return
        self._dropped = self._done = True
        self._timer.stop()
        self._conn.deleteLater()
        self._forget(self)


def _answers(name: str) -> bool:
    """Does a terminal answer on ``name``? (Only then is its socket left alone.)"""
    probe = QLocalSocket()
    probe.connectToServer(name)
    answered = probe.waitForConnected(300)
    probe.abort()
    return answered


def listen_for_handoffs(window: MainWindow, *, training: bool) -> HandoffServer:
    """The running terminal's server, for ``window``: each hand-off goes to its ``take_handoff``
    (the counter's intake, viewmodels/handoff.py), which fills in or refuses in words."""
    server = HandoffServer(window.take_handoff, lambda: bring_to_front(window), training=training, parent=window)
    window.closed.connect(server.close)  # the socket file goes with the terminal, before the loop stops
    server.listen()
    return server
