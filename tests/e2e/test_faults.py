"""No redemption lost, none taken twice: the real app, killed or faulted mid-checkout, restarted.

Each test runs the real app (its own process, a real X window under Xvfb, typed into with
xdotool) in real mode against the simulated AIQ over HTTP on 127.0.0.1, confirms a checkout with
two discounts, meets a fault (SIGKILL at some moment, or the server refusing connections,
answering 500, hanging past the read timeout or hanging up mid-answer), then starts the app
again on the same data folder, lets it recover, quits it, and counts. For every (transaction,
discount) of the checkout:

* AIQ (the simulator) received at most one PUT for it and recorded at most one redemption;
* it is redeemed at AIQ, or ``budtender-app redemptions pending`` lists it (nothing lost);
* no PUT for it went out after the restart unless the journal had it 'queued' (never sent).

The clock is the app's own log lines ("step X", "focus Y", "window shown"), the server's hung
requests, the simulator recording a redemption, and process exit: never a sleep.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from budtender_app.simulator.core import DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer
from tests.e2e.xapp import AppProcess, app_env, type_text, xdotool

pytestmark = [pytest.mark.xvfb, pytest.mark.keyring, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]
REDEEM = "/api/v1.1/discount/redeem"
PIN = "2468"
CART = "42.00"
ALEX = "(555) 123-4567"
#: Space, Down, Space in Alex's wallet for a $42 cart: "$5 off any purchase" (reusable, so a
#: second redemption would show at AIQ) and "$10 off your order" (single use).
CHOSEN = ("101", "102")
POS_IDS = {"101": "POS-5OFF", "102": "POS-10OFF", "901": "POS-2OFF", "902": "POS-3OFF"}


class WatchedSimulator(Simulator):
    """The simulated AIQ, telling the test each time it takes a redemption's points.

    ``on_redeemed`` runs on the server's thread after the points are taken and before the
    answer goes out: the moment to SIGKILL the app for "AIQ took it, the app never heard".
    """

    def __init__(self) -> None:
        super().__init__(pin_source=lambda: PIN)
        self.on_redeemed = None
        self._redeemed = threading.Condition()

    def handle(self, method, target, headers, body, **kwargs):
        status, payload = super().handle(method, target, headers, body, **kwargs)
        if method.upper() == "PUT" and target.startswith(REDEEM) and status == 200:
            if self.on_redeemed is not None:
                self.on_redeemed()
            with self._redeemed:
                self._redeemed.notify_all()
        return status, payload

    def wait_redemptions(self, count: int, timeout: float = 10.0) -> bool:
        """Until AIQ has recorded ``count`` redemptions (True) or ``timeout`` passes (False)."""
        with self._redeemed:
            return self._redeemed.wait_for(lambda: len(self.redemptions) >= count, timeout)


def free_port() -> int:
    """A port to serve on, chosen up front: the app's base URL is fixed when it starts, and the
    server must come back on the same one after being stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def put_target(request) -> tuple[str, str] | None:
    """(transaction, discount) of a redemption PUT: .../redeem/{uid}/{discount}/{token}/{transaction}."""
    if request.method != "PUT" or not request.path.startswith(REDEEM + "/"):
        return None
    parts = request.path[len(REDEEM) + 1:].split("/")
    return (parts[3], parts[1]) if len(parts) == 4 else None


class Till:
    """One counter: its data folder survives app restarts; the simulator survives server restarts."""

    def __init__(self, display: str, store: str, root: Path) -> None:
        self.display = display
        self.sim = WatchedSimulator()
        self.port = free_port()
        self.env = app_env(display, root)
        self.args = ["--store", store, "--base-url", f"http://127.0.0.1:{self.port}"]
        self.journal_path = root / "data" / "budtender-app" / "journal.sqlite3"
        self._apps: list[AppProcess] = []
        self._servers: list[SimulatorServer] = []

    def serve(self) -> SimulatorServer:
        """The simulated AIQ on this till's port (again, after a stop)."""
        server = SimulatorServer(self.sim, port=self.port).start()
        self._servers.append(server)
        return server

    def start(self) -> AppProcess:
        app = AppProcess(self.args, self.env)
        self._apps.append(app)
        app.expect(r"in real mode")
        return app

    def close(self) -> None:
        for app in self._apps:
            app.kill()
        for server in self._servers:
            server.stop()

    def journal(self, transaction: str) -> dict[str, str]:
        """discount id -> journal state of this transaction, read straight from the file."""
        uri = self.journal_path.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            return dict(conn.execute(
                "SELECT discount_id, state FROM redemptions WHERE transaction_id = ?", (transaction,)))

    def pending(self, transaction: str) -> dict[str, str]:
        """discount id -> state, as IT's `budtender-app redemptions pending` lists them."""
        done = subprocess.run([sys.executable, "-m", "budtender_app", "redemptions", "pending"],
                              env=self.env, cwd=REPO, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
        by_pos = {pos: discount for discount, pos in POS_IDS.items()}
        listed = {}
        for line in done.stdout.splitlines():
            # time, transaction, discount name, POS id, points, state, message
            cells = re.split(r"\s{2,}", line.strip())
            if len(cells) >= 6 and cells[1] == transaction:
                listed[by_pos.get(cells[3], cells[3])] = cells[5]
        return listed

    def puts(self, transaction: str, since: int = 0) -> Counter:
        """discount id -> how many redemption PUTs for it AIQ received (from request ``since`` on)."""
        targets = [put_target(r) for r in self.sim.requests[since:]]
        return Counter(t[1] for t in targets if t is not None and t[0] == transaction)

    def redeemed(self, transaction: str) -> Counter:
        """discount id -> how many redemptions of it AIQ recorded for this transaction."""
        return Counter(r.discount_id for r in self.sim.redemptions if r.transaction_id == transaction)


@pytest.fixture
def till(display, store_with_credentials, tmp_path):
    counter = Till(display, store_with_credentials, tmp_path)
    yield counter
    counter.close()


def drive_to_checkout(app: AppProcess, display: str, transaction: str, *, phone: str = ALEX,
                      confirm: bool = True) -> None:
    """By keyboard: cart total, phone, PIN, the first two usable discounts, F9, the transaction
    ID, and (unless ``confirm`` is False) Enter, which redeems."""
    app.expect(r"focus cart_edit")
    type_text(display, CART)
    xdotool(display, "key", "F2")
    app.expect(r"focus phone_edit")
    type_text(display, phone)
    xdotool(display, "key", "Return")
    app.expect(r"step PIN")
    app.expect(r"focus pin_edit")
    type_text(display, PIN)
    xdotool(display, "key", "Return")
    app.expect(r"step WALLET")
    app.expect(r"focus offer_list")
    xdotool(display, "key", "space", "Down", "space", "Return")
    app.expect(r"step APPLY_IN_POS")
    xdotool(display, "key", "F9")
    app.expect(r"focus transaction_edit")
    type_text(display, transaction)
    if confirm:
        confirm_checkout(app, display)


def confirm_checkout(app: AppProcess, display: str) -> None:
    xdotool(display, "key", "Return")
    app.expect(r"step REDEEMING")


def quit_app(app: AppProcess) -> None:
    """SIGTERM: the window closes the normal way, after the work in flight."""
    code = app.stop(timeout=30)
    assert code == 0, "\n".join(app.seen[-30:])


@dataclass
class Count:
    at_restart: dict[str, str]  # journal states when the app started again
    final: dict[str, str]  # journal states once it quit
    pending: dict[str, str]  # what `redemptions pending` lists
    redeemed: Counter  # redemptions AIQ recorded
    puts: Counter  # redemption PUTs AIQ received, the whole test
    puts_after_restart: Counter
    told: str  # what the app said at start about the journal
    resent: int  # "sending journaled redemption" lines after the restart


def restart_and_count(till: Till, transaction: str, discounts=CHOSEN) -> Count:
    """Start the app again on the same journal, quit it once its window shows (the quit waits
    for the re-sending of queued rows), and count what AIQ and the journal say."""
    at_restart = till.journal(transaction)
    requests_before = len(till.sim.requests)
    app = till.start()
    app.expect(r"window shown")
    quit_app(app)
    count = Count(
        at_restart=at_restart,
        final=till.journal(transaction),
        pending=till.pending(transaction),
        redeemed=till.redeemed(transaction),
        puts=till.puts(transaction),
        puts_after_restart=till.puts(transaction, requests_before),
        told=next((line for line in app.seen if "told the cashier" in line), ""),
        resent=sum("sending journaled redemption" in line for line in app.seen),
    )
    assert_none_lost_none_twice(count, transaction, discounts)
    return count


def assert_never_twice(puts: Counter, redeemed: Counter, transaction: str) -> None:
    for d in sorted(set(puts) | set(redeemed)):
        assert redeemed[d] <= 1, f"{transaction}/{d}: AIQ took the points {redeemed[d]} times"
        assert puts[d] <= 1, f"{transaction}/{d}: sent {puts[d]} times"


def assert_none_lost_none_twice(count: Count, transaction: str, discounts) -> None:
    assert_never_twice(count.puts, count.redeemed, transaction)
    for d in discounts:
        key = f"{transaction}/{d}"
        assert count.redeemed[d] == 1 or count.pending.get(d) in ("unknown", "queued"), (
            f"{key} is lost: not redeemed at AIQ and not pending ({count})")
        if count.at_restart.get(d) != "queued":
            assert count.puts_after_restart[d] == 0, (
                f"{key} was '{count.at_restart.get(d)}' at restart, yet sent again after it")
        if count.final.get(d) == "redeemed":
            assert count.redeemed[d] == 1, f"{key}: the journal says redeemed, AIQ has no such redemption"
    unsent = sum(state == "queued" for state in count.at_restart.values())
    unknown = sum(state in ("sending", "unknown") for state in count.at_restart.values())
    assert count.resent == unsent, count
    said_unsent = re.search(r"(\d+) redemptions? from before never reached AIQ", count.told)
    said_unknown = re.search(r"(\d+) redemptions? ha(?:s|ve) no answer from AIQ", count.told)
    assert (int(said_unsent.group(1)) if said_unsent else 0) == unsent, count.told
    assert (int(said_unknown.group(1)) if said_unknown else 0) == unknown, count.told


# -- the app killed (SIGKILL: nothing in it runs after) --------------------------------------


def test_sigkill_after_confirming_before_aiq_processes_a_put(till):
    """Killed with the first PUT unprocessed (the server then drops it): that one is unknown (the
    app cannot tell), the second, never sent, goes out by itself after the restart."""
    server = till.serve()
    server.inject("hang", path_prefix=REDEEM)
    app = till.start()
    drive_to_checkout(app, till.display, "KILL-1")
    assert server.wait_hanging(), "the first PUT reached the server"
    app.kill()
    server.stop()  # stop() drops a hung request unprocessed: AIQ took nothing
    assert not till.sim.redemptions
    assert till.journal("KILL-1") == {"101": "sending", "102": "queued"}

    till.serve()
    count = restart_and_count(till, "KILL-1")
    assert count.final == {"101": "unknown", "102": "redeemed"}
    assert count.pending == {"101": "unknown"}
    assert count.redeemed == Counter({"102": 1})
    assert count.puts_after_restart == Counter({"102": 1})


def test_sigkill_while_a_put_is_in_flight_and_aiq_then_takes_it(till):
    """Killed mid-PUT; AIQ then processes it: the points are gone and the app never heard. It
    must stay unknown (for a manager), never be sent again."""
    server = till.serve()
    server.inject("hang", path_prefix=REDEEM)
    app = till.start()
    drive_to_checkout(app, till.display, "KILL-2")
    assert server.wait_hanging()
    app.kill()
    server.release()  # release() processes the hung PUT: AIQ takes the points of 101
    assert till.sim.wait_redemptions(1)
    assert till.journal("KILL-2") == {"101": "sending", "102": "queued"}

    count = restart_and_count(till, "KILL-2")
    assert count.final == {"101": "unknown", "102": "redeemed"}
    assert count.pending == {"101": "unknown"}
    assert count.redeemed == Counter({"101": 1, "102": 1})
    assert count.puts_after_restart == Counter({"102": 1})


def test_sigkill_the_moment_aiq_took_the_points(till):
    """The simulator SIGKILLs the app right after it records the first redemption, before its
    answer goes out: AIQ has it, the journal says 'sending', so after the restart 'unknown'."""
    till.serve()
    app = till.start()
    killed = threading.Event()

    def kill_the_app() -> None:
        if not killed.is_set():
            killed.set()
            os.kill(app.pid, signal.SIGKILL)

    till.sim.on_redeemed = kill_the_app
    drive_to_checkout(app, till.display, "KILL-3")
    assert app.process.wait(20) == -signal.SIGKILL
    app.kill()  # reaps and collects its last lines
    till.sim.on_redeemed = None
    assert [r.discount_id for r in till.sim.redemptions] == ["101"]
    assert till.journal("KILL-3") == {"101": "sending", "102": "queued"}

    count = restart_and_count(till, "KILL-3")
    assert count.final == {"101": "unknown", "102": "redeemed"}
    assert count.pending == {"101": "unknown"}
    assert count.redeemed == Counter({"101": 1, "102": 1})
    assert count.puts_after_restart == Counter({"102": 1})


def test_sigkill_after_one_answer_was_recorded_and_the_next_put_in_flight(till):
    """The first answered and journaled as redeemed; killed during the second: the first is
    final, the second unknown, and nothing is sent after the restart."""
    server = till.serve()
    server.inject("hang", path_prefix=f"{REDEEM}/{DEMO_UID}/102/")
    app = till.start()
    drive_to_checkout(app, till.display, "KILL-4")
    assert server.wait_hanging()
    app.kill()
    server.stop()  # drops the second PUT unprocessed
    assert till.journal("KILL-4") == {"101": "redeemed", "102": "sending"}

    till.serve()
    count = restart_and_count(till, "KILL-4")
    assert count.final == {"101": "redeemed", "102": "unknown"}
    assert count.pending == {"102": "unknown"}
    assert count.redeemed == Counter({"101": 1})
    assert count.puts_after_restart == Counter()


def test_a_second_copy_started_mid_put_neither_takes_over_nor_sends(till):
    """One app per journal: a copy started while a PUT is in flight does not start (issue 14: it
    brings the running terminal to the front over the local socket and exits; the journal's own
    lock still refuses a copy that gets past that), so it cannot turn the in-flight row 'unknown'
    nor re-send the queued one; the first app finishes."""
    server = till.serve()
    server.inject("hang", path_prefix=REDEEM)
    app = till.start()
    drive_to_checkout(app, till.display, "TWO-1")
    assert server.wait_hanging()
    second = till.start()  # waits for "in real mode": the running terminal's, in the second's answer
    assert "The terminal is already running (in real mode): it is in front now" in second.seen[-1]
    assert second.process.wait(20) == 0  # it exits by itself, having opened no journal
    assert till.journal("TWO-1") == {"101": "sending", "102": "queued"}
    server.release()
    app.expect(r"step DONE")
    quit_app(app)
    assert till.journal("TWO-1") == {"101": "redeemed", "102": "redeemed"}
    assert till.puts("TWO-1") == Counter({"101": 1, "102": 1})
    assert till.redeemed("TWO-1") == Counter({"101": 1, "102": 1})


# -- the server misbehaving ------------------------------------------------------------------


def test_server_refusing_connections_then_back_after_a_restart(till):
    """Nothing reaches AIQ: both stay 'queued' (retried with backoff, then left); once AIQ is back
    the restarted app sends each exactly once by itself."""
    server = till.serve()
    app = till.start()
    drive_to_checkout(app, till.display, "DOWN-1", confirm=False)
    server.stop()  # the port now refuses connections
    confirm_checkout(app, till.display)
    app.expect(r"step DONE", timeout=40)
    assert till.puts("DOWN-1") == Counter()
    assert till.journal("DOWN-1") == {"101": "queued", "102": "queued"}
    quit_app(app)

    till.serve()
    count = restart_and_count(till, "DOWN-1")
    assert count.final == {"101": "redeemed", "102": "redeemed"}
    assert count.pending == {}
    assert count.redeemed == Counter({"101": 1, "102": 1})
    assert count.puts_after_restart == Counter({"101": 1, "102": 1})


def test_server_answering_500_and_the_cashier_confirming_again(till):
    """A 5xx is unknown: never re-sent, not by confirming the same transaction again, not after a
    restart. (The simulator's 500 takes nothing, so both stay pending for a manager.)"""
    server = till.serve()
    server.inject(500, path_prefix=REDEEM, count=2)
    app = till.start()
    drive_to_checkout(app, till.display, "ERR-1")
    app.expect(r"step DONE")
    assert_never_twice(till.puts("ERR-1"), till.redeemed("ERR-1"), "ERR-1")
    assert till.journal("ERR-1") == {"101": "unknown", "102": "unknown"}
    assert till.puts("ERR-1") == Counter({"101": 1, "102": 1})

    xdotool(till.display, "key", "Return")  # new sale; the cashier tries the same sale again
    app.expect(r"step CART")
    drive_to_checkout(app, till.display, "ERR-1")
    app.expect(r"step DONE")
    assert till.puts("ERR-1") == Counter({"101": 1, "102": 1}), "confirming again sent again"
    quit_app(app)

    count = restart_and_count(till, "ERR-1")
    assert count.final == {"101": "unknown", "102": "unknown"}
    assert count.pending == {"101": "unknown", "102": "unknown"}
    assert count.redeemed == Counter()
    assert count.puts_after_restart == Counter()


def test_server_hanging_past_the_read_timeout(till):
    """The first PUT hangs past the (shortened) read timeout: unknown; the second goes on. AIQ
    then processes the late one: taken once, and still never re-sent."""
    till.env["BUDTENDER_AIQ_READ_TIMEOUT"] = "1"
    server = till.serve()
    server.inject("hang", path_prefix=REDEEM)
    app = till.start()
    drive_to_checkout(app, till.display, "SLOW-1")
    assert server.wait_hanging()
    app.expect(r"step DONE", timeout=10)  # after the app's read timeout (1 s here, 15 s by default)
    assert_never_twice(till.puts("SLOW-1"), till.redeemed("SLOW-1"), "SLOW-1")
    assert till.journal("SLOW-1") == {"101": "unknown", "102": "redeemed"}
    server.release()
    assert till.sim.wait_redemptions(2)
    quit_app(app)

    count = restart_and_count(till, "SLOW-1")
    assert count.final == {"101": "unknown", "102": "redeemed"}
    assert count.pending == {"101": "unknown"}
    assert count.redeemed == Counter({"101": 1, "102": 1})
    assert count.puts_after_restart == Counter()


def test_server_closing_the_connection_mid_answer(till):
    """AIQ processes both, then hangs up: mid-body ("truncated") for the first, before any answer
    ("drop_after") for the second. Both unknown, both taken once, neither sent again."""
    server = till.serve()
    server.inject("truncated", path_prefix=REDEEM)
    server.inject("drop_after", path_prefix=REDEEM)
    app = till.start()
    drive_to_checkout(app, till.display, "CUT-1")
    app.expect(r"step DONE")
    assert_never_twice(till.puts("CUT-1"), till.redeemed("CUT-1"), "CUT-1")
    assert till.journal("CUT-1") == {"101": "unknown", "102": "unknown"}
    assert till.redeemed("CUT-1") == Counter({"101": 1, "102": 1})
    quit_app(app)

    count = restart_and_count(till, "CUT-1")
    assert count.final == {"101": "unknown", "102": "unknown"}
    assert count.pending == {"101": "unknown", "102": "unknown"}
    assert count.redeemed == Counter({"101": 1, "102": 1})
    assert count.puts_after_restart == Counter()


# -- the same transaction twice --------------------------------------------------------------


def test_confirming_the_same_transaction_twice_sends_one_put_per_discount(till):
    """Two sales with the same POS transaction ID and the same (reusable) discounts: the second
    confirmation finds them journaled and sends nothing."""
    till.sim.add_shopper("5554443333", first_name="Casey", points=500, discounts=[
        {"id": "901", "name": "$2 off", "pointsDeduction": 50, "dollarValue": 2,
         "posDiscountID": "POS-2OFF", "reusable": True},
        {"id": "902", "name": "$3 off", "pointsDeduction": 60, "dollarValue": 3,
         "posDiscountID": "POS-3OFF", "reusable": True},
    ])
    till.serve()
    app = till.start()
    for sale in (1, 2):
        drive_to_checkout(app, till.display, "TWICE-1", phone="(555) 444-3333")
        app.expect(r"step DONE")
        assert till.puts("TWICE-1") == Counter({"901": 1, "902": 1}), f"after sale {sale}"
        if sale == 1:
            xdotool(till.display, "key", "Return")  # new sale
            app.expect(r"step CART")
    quit_app(app)
    assert sum("was journaled already: not sent again" in line for line in app.seen) == 2
    assert till.redeemed("TWICE-1") == Counter({"901": 1, "902": 1})
    assert till.sim.points_of("5554443333") == 500 - 50 - 60
    assert till.journal("TWICE-1") == {"901": "redeemed", "902": "redeemed"}
    assert till.pending("TWICE-1") == {}


def test_the_same_transaction_id_for_another_shopper_is_refused_then_corrected(till):
    """POS transaction numbers can repeat (a daily or per-register counter, a typo). A second
    shopper checked out under an ID already journaled, with a discount of the same AIQ template,
    is refused at checkout with the reason (never shown 'redeemed' with nothing sent); with the
    right ID it is redeemed once."""
    till.sim.add_shopper("5554443333", first_name="Casey", points=1_000, discounts=[
        {"id": "101", "name": "$5 off any purchase", "pointsDeduction": 100, "dollarValue": 5,
         "posDiscountID": "POS-5OFF", "reusable": True},
        {"id": "102", "name": "$10 off your order", "pointsDeduction": 250, "dollarValue": 10,
         "posDiscountID": "POS-10OFF"},
    ])
    casey = till.sim.contact_id_of("5554443333")
    till.serve()
    app = till.start()
    drive_to_checkout(app, till.display, "1001")
    app.expect(r"step DONE")
    xdotool(till.display, "key", "Return")  # next sale, next shopper, the same POS number
    app.expect(r"step CART")
    drive_to_checkout(app, till.display, "1001", phone="(555) 444-3333", confirm=False)
    xdotool(till.display, "key", "Return")
    app.expect(r"transaction ID refused: already used for another sale")
    assert not [r for r in till.sim.redemptions if r.contact_id == casey], "nothing sent under the reused ID"
    xdotool(till.display, "key", "ctrl+a")
    type_text(till.display, "1002")
    confirm_checkout(app, till.display)
    app.expect(r"step DONE")
    quit_app(app)
    taken_from_casey = Counter(r.discount_id for r in till.sim.redemptions if r.contact_id == casey)
    assert taken_from_casey == Counter(dict.fromkeys(CHOSEN, 1))
    assert all(r.transaction_id == "1002" for r in till.sim.redemptions if r.contact_id == casey)


@pytest.fixture
def undecodable_answers(monkeypatch):
    """Make the simulator label its next ``n[0]`` redemption answers gzip while sending them plain:
    processed by AIQ, then an answer the client cannot decode (a proxy mangling the encoding)."""
    from budtender_app.simulator import server as server_module

    left = [0]
    original = server_module._Handler.end_headers

    def end_headers(handler) -> None:
        if handler.command == "PUT" and handler.path.startswith(REDEEM) and left[0] > 0:
            left[0] -= 1
            handler.send_header("Content-Encoding", "gzip")
        original(handler)

    monkeypatch.setattr(server_module._Handler, "end_headers", end_headers)
    return left


def test_an_answer_that_cannot_be_decoded_is_not_sent_again(till, undecodable_answers):
    """AIQ took the points and answered, but the answer cannot be decoded: that is an answer
    lost after sending (unknown), never "could not be sent" (which is retried by itself)."""
    till.serve()
    undecodable_answers[0] = 1  # only the first answer is mangled
    app = till.start()
    drive_to_checkout(app, till.display, "GZIP-1")
    app.expect(r"step DONE")
    quit_app(app)
    assert_never_twice(till.puts("GZIP-1"), till.redeemed("GZIP-1"), "GZIP-1")
