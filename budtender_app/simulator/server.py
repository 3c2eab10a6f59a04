"""The simulated AIQ over real HTTP on 127.0.0.1, with fault injection for client tests.

Contract and end-to-end tests need a real socket (timeouts, dropped connections, truncated
bodies) that an in-process transport cannot fake. Quiet by design: nothing per request is
logged, because paths and bodies carry phones, PINs and redemption tokens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

from budtender_app.simulator.core import Simulator
from budtender_app.simulator.records import ENVELOPE
from budtender_app.simulator.seed import (
    DEMO_API_KEY,
    DEMO_PHONE,
    DEMO_PHONE_HIDDEN,
    DEMO_PHONE_NEW,
    DEMO_UID,
)

log = logging.getLogger(__name__)

FAULT_KINDS = frozenset({"hang", "drop_before", "drop_after", "garbage", "truncated"})
GARBAGE_BODY = b"<html><body>502 Bad Gateway</body></html>"


@dataclass
class _Fault:
    kind: int | str
    path_prefix: str
    remaining: int
    body: object = ENVELOPE
    headers: tuple[tuple[str, str], ...] = ()


class SimulatorServer:
    """Serve ``simulator`` on 127.0.0.1 from a daemon thread. ``port=0`` picks a free port.

    Use as a context manager (``with SimulatorServer(sim) as server: server.url``) or call
    ``start()`` / ``stop()``. ``latency`` (seconds before each answer) can change while running.
    """

    def __init__(self, simulator: Simulator | None = None, *, port: int = 0, latency: float = 0.0) -> None:
        self.simulator = simulator if simulator is not None else Simulator()
        self.port = port
        self.latency = latency
        self.url = ""
        self._lock = threading.Lock()
        self._hung_changed = threading.Condition(self._lock)
        self._faults: list[_Fault] = []
        self._hung: list[threading.Event] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> SimulatorServer:
        """Bind, point the simulator's redemption URLs here, and serve. Raises OSError when the
        port is taken."""
        if self._httpd is not None:
            raise RuntimeError("the simulator server is already running")
        self._stopping.clear()
        self._httpd = _HttpServer(("127.0.0.1", self.port), self)
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator.base_url = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="aiq-simulator", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving. Never waits on a client: hung requests and idle connections are cut."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        self.release()  # hung handlers wake, see _stopping, and drop their connection
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # wakes a handler blocked reading a keep-alive connection
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- fault injection -------------------------------------------------------------------

    def inject(self, kind: int | str, *, path_prefix: str = "", count: int = 1, body: object = ENVELOPE,
               headers: dict[str, str] | None = None) -> None:
        """Make the next ``count`` requests whose target starts with ``path_prefix`` fail.

        ``kind``: an HTTP status (answered with ``body``, by default AIQ's error envelope saying
        "Injected failure" (None: no body; bytes: raw text/html), plus ``headers`` such as
        Retry-After or Location; state untouched);
        "hang" (no answer until ``release()``, which then processes and answers it, or
        ``stop()``, which drops it unprocessed); "drop_before" (connection closed, nothing
        processed); "drop_after" (processed, e.g. the redemption IS recorded, then closed);
        "garbage" (processed, then a 200 with an HTML body); "truncated" (processed, then
        headers promising more body than is sent, then closed). Faults queue in order.
        """
        valid_status = isinstance(kind, int) and not isinstance(kind, bool) and 200 <= kind <= 599
        if not (valid_status or kind in FAULT_KINDS):
            raise ValueError(f"unknown fault kind {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(kind, path_prefix, count, body, tuple((headers or {}).items())))

    def clear_faults(self) -> None:
        """Forget faults not yet used."""
        with self._lock:
            self._faults.clear()

    def release(self) -> None:
        """Let every hung request go on (or, while stopping, be dropped)."""
        with self._lock:
            hung, self._hung = self._hung, []
            self._hung_changed.notify_all()
        for event in hung:
            event.set()

    @property
    def hanging(self) -> int:
        """How many requests are hung right now."""
        with self._lock:
            return len(self._hung)

    def wait_hanging(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests are hung (True) or ``timeout`` passes (False)."""
        with self._hung_changed:
            return self._hung_changed.wait_for(lambda: len(self._hung) >= count, timeout)

    # -- called from handler threads --------------------------------------------------------

    def _take_fault(self, target: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if target.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _hang(self) -> bool:
        """Wait for release() (True) or stop() (False)."""
        event = threading.Event()
        with self._lock:
            if self._stopping.is_set():
                return False
            self._hung.append(event)
            self._hung_changed.notify_all()
        event.wait()
        return not self._stopping.is_set()

    def _delay(self) -> None:
        if self.latency > 0:
            self._stopping.wait(self.latency)  # stop() cuts the wait short

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must never keep the process (or a test run) alive

    def __init__(self, address: tuple[str, int], owner: SimulatorServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # The default prints a traceback to stderr; clients hanging up is routine here.
        log.debug("simulator connection ended with an error", exc_info=True)  # noqa: LOG014 - socketserver calls it from its except


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like AIQ, so clients reuse connections
    server_version = "AIQSimulator/1"
    # Headers and body go out in separate writes: without this, Nagle and delayed ACKs add
    # ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    timeout = 30  # an idle keep-alive connection ends by itself
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # request lines carry phones and redemption tokens: never log them

    def do_GET(self) -> None:
        try:
            self._serve()
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (e.g. timed out on a hang)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _serve(self) -> None:
        owner, sim = self.server.owner, self.server.owner.simulator
        try:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        except ValueError:
            self._send(400, _encode({"success": False, "message": "Bad Content-Length"}))
            return
        request = (self.command, self.path, dict(self.headers.items()), body)
        fault = owner._take_fault(self.path)
        if fault is None:
            self._answer(*sim.handle(*request))
            return
        kind = fault.kind
        if isinstance(kind, int):
            sim.record(*request, fault=kind)
            payload = {"success": False, "message": "Injected failure"} if fault.body is ENVELOPE else fault.body
            self._answer(kind, payload, fault.headers)
        elif kind in ("hang", "drop_before"):
            sim.record(*request, fault=kind)
            if kind == "hang" and owner._hang():
                self._answer(*sim.handle(*request, record=False))
            else:
                self.close_connection = True  # closing without a byte of answer
        else:
            status, payload = sim.handle(*request, fault=kind)
            if kind == "drop_after":
                self.close_connection = True
            elif kind == "garbage":
                self._send(200, GARBAGE_BODY, content_type="text/html")
            else:
                self._send(status, _encode(payload), truncate=True)

    def _answer(self, status: int, payload: object | None, headers: tuple[tuple[str, str], ...] = ()) -> None:
        content_type = "text/html" if isinstance(payload, bytes) else "application/json"
        self._send(status, _encode(payload), content_type=content_type, headers=headers)

    def _send(self, status: int, content: bytes, *, content_type: str = "application/json",
              truncate: bool = False, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.server.owner._delay()
        if status in (204, 304):
            content = b""  # these answers never have a body: a client would read it as the next answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        # "truncated": promise more than we send, then hang up mid-body.
        self.send_header("Content-Length", str(len(content) + (64 if truncate else 0)))
        if truncate:
            self.send_header("Connection", "close")
            content = content[: len(content) // 2]
            self.close_connection = True
        self.end_headers()
        self.wfile.write(content)


def _encode(payload: object | None) -> bytes:
    if isinstance(payload, bytes):  # a raw body (a proxy's page): sent as it is
        return payload
    return b"" if payload is None else json.dumps(payload).encode()


def run_standalone(port: int, latency: float, *, stop_event: threading.Event | None = None,
                   out: TextIO | None = None) -> int:
    """Serve the demo simulator on 127.0.0.1:``port`` until Ctrl+C / SIGTERM (or ``stop_event``).

    Prints the URL, the demo credentials and phones, then one line per texted PIN (phone
    masked). Printing the PIN is fine here: it is simulated, and this is a training tool.
    """
    out = out if out is not None else sys.stdout
    stop = stop_event if stop_event is not None else threading.Event()
    say = _printer(out)
    simulator = Simulator(api_key=DEMO_API_KEY, uid=DEMO_UID)
    simulator.on_pin_sent = lambda phone, pin: say(f"PIN for ***-***-{phone[-4:]}: {pin}")
    server = SimulatorServer(simulator, port=port, latency=latency)
    try:
        server.start()
    except OSError as exc:
        print(f"Cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    restore = _stop_on_sigterm(stop)
    try:
        say(
            f"AIQ simulator at {server.url} | API key {DEMO_API_KEY} | UID {DEMO_UID} | "
            f"shoppers {DEMO_PHONE} (1,500 points), {DEMO_PHONE_HIDDEN} (points hidden), "
            f"{DEMO_PHONE_NEW} (new member) | Ctrl+C stops"
        )
        while not stop.wait(0.5):  # a timed wait lets Ctrl+C through on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        server.stop()
    return 0


def _printer(out: TextIO) -> Callable[[str], None]:
    lock = threading.Lock()  # handler threads print PINs concurrently

    def say(line: str) -> None:
        with lock:
            out.write(line + "\n")
            out.flush()

    return say


def _stop_on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM set ``stop``; returns the undo. Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())

    def undo() -> None:
        signal.signal(signal.SIGTERM, previous)

    return undo
