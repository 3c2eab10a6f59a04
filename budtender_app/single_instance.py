"""One running terminal per user session (issue 14): its socket's name, and the second process's side.

The running terminal listens on a per-user local socket (``handoff_server.py``, a ``QLocalServer``
that only this computer user may reach). A second launch sends it one line, ``to_wire(handoff)``
(``Handoff()``: only bring the window to the front), and reads one line back,
``{"ok": true|false, "said": "..."}``.

The first launch pays for the check: on Linux and macOS the socket is a file, and no file means no
terminal, found with one ``stat`` (no Qt import: QtCore + QtNetwork cost ~10 ms warm, ~100 ms cold).
When the file is there, the second process talks over a plain ``AF_UNIX`` socket, which is what
``QLocalServer`` listens on, so a hand-off never waits for Qt to load. On Windows the socket is a
named pipe and ``QLocalSocket`` talks to it (blocking waits: the second process has no event loop).
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import zlib
from collections.abc import Callable

from budtender_app.domain.handoff import Handoff, to_wire

Take = Callable[[Handoff], tuple[bool, str]]  # the counter's side: (accepted?, the words to show and return)

SOCKET_ENV = "BUDTENDER_SOCKET_NAME"  # IT's (and the tests') override of the name
CONNECT_TIMEOUT = 1.0  # seconds: a terminal that listens accepts at once
ANSWER_TIMEOUT = 5.0  # seconds: the terminal answers between two repaints, unless its screen is busy
MAX_ANSWER = 8192


class NoTerminal(Exception):
    """No terminal answers on this user's socket."""


def socket_name() -> str:
    """This user's terminal socket: the same for training and real mode.

    Derived from the login name and the config folder (a terminal is its settings: a second config
    folder, as each test has, is a second terminal). On Linux it is a file in ``XDG_RUNTIME_DIR``
    (this user's own, mode 0700) when there is one, else in the temp folder; on Windows a pipe name.
    """
    override = os.environ.get(SOCKET_ENV, "").strip()
    if override:
        return override
    from budtender_app.services.paths import folders

    # A checksum, not a secret: hashlib would load OpenSSL (~7 ms of every hand-off's process).
    digest = f"{zlib.crc32(str(folders().config).encode('utf-8', 'surrogatepass')):08x}"
    base = f"budtender-app-{_login()}-{digest}"
    if os.name == "nt":
        return base
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, base + ".sock")
    tmp = os.environ.get("TMPDIR") or "/tmp"  # noqa: S108 - the shared temp folder: only a private folder of ours in it
    return os.path.join(_private_folder(tmp, str(folders().state)), base + ".sock")


def _private_folder(tmp: str, fallback: str) -> str:
    """This user's own folder in the temp folder, which every user may write: there another user
    could take the socket's (predictable) name first and shut the terminal out. ``fallback`` (this
    user's state folder) when another user took the folder's name too, or it cannot be made."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = os.path.join(tmp, f"budtender-app-{uid}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return _made(fallback)
    try:
        info = os.lstat(folder)  # lstat: a symlink there is someone else's trick, not our folder
    except OSError:
        return _made(fallback)
    if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077:
        return folder
    return _made(fallback)


def _made(folder: str) -> str:
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def _login() -> str:
    try:
        import getpass

        name = getpass.getuser()
    except (ImportError, KeyError, OSError):
        name = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:32] or "user"


def send(handoff: Handoff, name: str | None = None) -> tuple[bool, str]:
    """Hand ``handoff`` to the running terminal; its answer. NoTerminal when none answers."""
    name = name or socket_name()
    if os.name == "nt" or not os.path.isabs(name):
        return _answer_of(send_with_qt(to_wire(handoff), name))
    if not _ours(name):
        raise NoTerminal
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_TIMEOUT)
            conn.connect(name)
            conn.settimeout(ANSWER_TIMEOUT)
            conn.sendall(to_wire(handoff))
            return _answer_of(_read_line(conn))
    except (FileNotFoundError, ConnectionRefusedError):
        raise NoTerminal from None  # none, or a crashed terminal's file: the next start removes it
    except OSError:
        return False, "The running terminal did not answer in time: look at its screen."


def running(name: str | None = None) -> bool:
    """Cheap: could a terminal be listening? (False is sure; True means try to connect.)"""
    name = name or socket_name()
    return os.name == "nt" or not os.path.isabs(name) or _ours(name)


def _ours(path: str) -> bool:
    """The socket file is there and this user's (another user's file is never talked to)."""
    try:
        return os.stat(path).st_uid == os.getuid()
    except OSError:
        return False


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) <= MAX_ANSWER:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def send_with_qt(message: bytes, name: str) -> bytes:
    """``message`` over a QLocalSocket (Windows' named pipes); the answer's line. NoTerminal if none."""
    from PySide6.QtNetwork import QLocalSocket

    conn = QLocalSocket()
    conn.connectToServer(name)
    if not conn.waitForConnected(int(CONNECT_TIMEOUT * 1000)):
        raise NoTerminal
    conn.write(message)
    conn.waitForBytesWritten(int(ANSWER_TIMEOUT * 1000))
    data = b""
    while b"\n" not in data and len(data) <= MAX_ANSWER:
        if not conn.bytesAvailable() and not conn.waitForReadyRead(int(ANSWER_TIMEOUT * 1000)):
            break
        data += bytes(conn.readAll().data())
    conn.disconnectFromServer()
    return data


def _answer_of(line: bytes) -> tuple[bool, str]:
    try:
        answer = json.loads(line.decode("utf-8"))
        return bool(answer["ok"]), str(answer["said"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return False, "The running terminal did not answer in time: look at its screen."
