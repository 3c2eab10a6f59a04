"""The real app on a journal that is gone, emptied, damaged, cut short, or in a folder it cannot
write: each time a clear refusal (a message a manager understands on stderr and in a dialog,
exit code 1, no traceback) or a recovery IT chose, never a traceback or a silent fresh start.

The journal is first written by the real app: a checkout whose two PUTs AIQ answers 500, so two
redemptions wait for a manager (unknown); then the fault; then the real app starts on it.
"Read-only" for root: ``chattr +i`` (root ignores permission bits; an immutable folder refuses
new files even to root), plain ``chmod`` for anyone else. "Full": the app runs in its own mount
namespace (``unshare -m``) whose data folder is a small tmpfs, filled from outside through
``/proc/<pid>/root`` the moment AIQ takes the points.
"""

from __future__ import annotations

import errno
import os
import queue
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from budtender_app import APP_NAME
from budtender_app.simulator.server import SimulatorServer
from tests.e2e.test_faults import REDEEM, WatchedSimulator, drive_to_checkout
from tests.e2e.xapp import AppProcess, app_env, xdotool

pytestmark = [pytest.mark.xvfb, pytest.mark.keyring, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]

class Counter:
    """One till's folders; the real app started on them."""

    def __init__(self, display: str, store: str, root: Path) -> None:
        self.display, self.store, self.root = display, store, root
        self.sim = WatchedSimulator()
        self.server = SimulatorServer(self.sim).start()
        self.env = app_env(display, root)
        self.folder = root / "data" / "budtender-app"
        self.journal = self.folder / "journal.sqlite3"
        self.apps: list[AppProcess] = []

    def write(self, how: str = "quit") -> None:
        """The real app: a checkout left unknown (AIQ answers 500), then quit, or killed as a till
        losing power (its last commits then stay in the -wal file)."""
        self.server.inject(500, path_prefix=REDEEM, count=2)
        app = self.start()
        app.expect(r"in real mode")
        drive_to_checkout(app, self.display, "LOST-1")
        app.expect(r"step DONE")
        if how == "kill":
            app.kill()
        else:
            assert app.stop() == 0
        assert dict(self.rows()) == {"101": "unknown", "102": "unknown"}

    def rows(self) -> list[tuple[str, str]]:
        with closing(sqlite3.connect(f"{self.journal.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return db.execute("SELECT discount_id, state FROM redemptions").fetchall()

    @property
    def args(self) -> list[str]:
        return ["--store", self.store, "--base-url", self.server.url]

    def start(self) -> AppProcess:
        app = AppProcess(self.args, self.env)
        self.apps.append(app)
        return app

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "budtender_app", *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=60)

    def events(self) -> list[str]:
        with closing(sqlite3.connect(f"{self.journal.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return [r[0] for r in db.execute("SELECT event FROM audit ORDER BY id")]

    def close(self) -> None:
        for app in self.apps:
            app.kill()
        self.server.stop()


@pytest.fixture
def counter(display, store_with_credentials, tmp_path):
    till = Counter(display, store_with_credentials, tmp_path)
    yield till
    till.close()


def refused(app: AppProcess, counter: Counter, words: str) -> str:
    """The app says ``words`` (a regex) and why, shows its dialog, and exits 1 once it is closed."""
    line = app.expect(words)
    app.expect(r"refused to start")
    # The manager closes the dialog (no window manager here: give it the focus first).
    xdotool(counter.display, "search", "--sync", "--onlyvisible", "--name", APP_NAME, "windowfocus", "--sync")
    xdotool(counter.display, "key", "Return")
    code = app.process.wait(30)
    app.stop()
    output = "\n".join(app.seen)
    assert code == 1, output
    assert "Traceback" not in output, output
    assert "window shown" not in output, "it started anyway"
    assert "budtender-app journal accept-fresh" in output or "IT:" in output, output
    return line


def test_a_deleted_journal_is_refused_until_it_accepts_a_fresh_one(counter):
    """The journal with two unknown redemptions is deleted: the app refuses; `journal check` says
    why; after `journal accept-fresh` it starts on a new journal whose first event records it."""
    counter.write()
    for suffix in ("", "-wal", "-shm"):
        Path(str(counter.journal) + suffix).unlink(missing_ok=True)

    refused(counter.start(), counter, r"redemption journal .* is missing")
    check = counter.cli("journal", "check")
    assert check.returncode == 5 and "is missing" in check.stderr and "Traceback" not in check.stderr
    listing = counter.cli("redemptions", "pending")
    assert listing.returncode == 1 and "is missing" in listing.stderr, "never 'Nothing pending'"
    accepted = counter.cli("journal", "accept-fresh")
    assert accepted.returncode == 0, accepted.stderr
    assert "new redemption journal" in accepted.stdout

    app = counter.start()
    app.expect(r"window shown")
    assert app.stop() == 0
    assert counter.events()[0] == "journal_replaced"
    assert counter.cli("journal", "check").returncode == 0


def test_a_journal_emptied_to_zero_bytes_is_refused(counter):
    counter.write()
    counter.journal.write_bytes(b"")
    refused(counter.start(), counter, r"redemption journal .* is empty \(0 bytes\)")
    assert counter.journal.stat().st_size == 0, "nothing was written over it"


def test_a_journal_with_random_bytes_in_the_middle_is_refused(counter):
    counter.write()
    data = bytearray(counter.journal.read_bytes())
    page = 4096
    assert len(data) >= 4 * page
    data[2 * page:3 * page] = random.Random(7).randbytes(page)
    counter.journal.write_bytes(bytes(data))
    refused(counter.start(), counter, r"redemption journal is damaged")
    listing = counter.cli("redemptions", "pending")
    assert listing.returncode != 0 and "Traceback" not in listing.stderr + listing.stdout
    assert "damaged" in listing.stderr


def test_a_garbled_wal_that_drops_the_last_commits_is_refused(counter):
    counter.write("kill")
    wal = Path(str(counter.journal) + "-wal")
    data = bytearray(wal.read_bytes())
    assert len(data) > 10_000, "the writer's commits are in the -wal"
    data[-2000:-1000] = random.Random(8).randbytes(1000)  # inside the last frame: SQLite drops it
    wal.write_bytes(bytes(data))
    assert ("102", "sending") in counter.rows(), "the last commit is gone"
    refused(counter.start(), counter, r"has lost its last \d+ event")
    accepted = counter.cli("journal", "accept-fresh")
    assert accepted.returncode == 0 and "were lost" in accepted.stdout, accepted.stderr
    app = counter.start()
    app.expect(r"ha(?:s|ve) no answer from AIQ")  # the unknown redemption is still there, for a manager
    app.expect(r"window shown")
    assert app.stop() == 0
    assert "events_lost" in counter.events()


@contextmanager
def read_only(*paths: Path):
    """``paths`` (and the files in them) cannot be written, even by root."""
    targets = [p for path in paths for p in (path, *sorted(path.iterdir()))]
    if os.geteuid() != 0:
        for target in targets:
            target.chmod(0o555 if target.is_dir() else 0o444)
        yield
        for target in targets:
            target.chmod(0o755 if target.is_dir() else 0o644)
        return
    if not shutil.which("chattr"):
        pytest.skip("root needs chattr to make a folder read-only")
    done = subprocess.run(["chattr", "+i", *map(str, targets)], capture_output=True, text=True)
    if done.returncode != 0:
        subprocess.run(["chattr", "-i", *map(str, targets)], capture_output=True)
        pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, targets)], check=True)


def test_a_read_only_data_folder_is_refused_with_what_it_does(counter):
    counter.write()
    for name in ("journal.sqlite3.lock",):
        (counter.folder / name).unlink(missing_ok=True)
    with read_only(counter.folder):
        line = refused(counter.start(), counter, r"cannot write its redemption journal in")
    assert str(counter.folder) in line


def test_a_read_only_log_folder_is_refused(counter):
    logs = counter.root / "state" / "budtender-app" / "log"
    logs.mkdir(parents=True)
    with read_only(logs):
        line = refused(counter.start(), counter, r"cannot write its log in")
    assert str(logs) in line


def test_a_journal_edited_by_hand_does_not_redeem_twice(counter):
    """`UPDATE redemptions SET state='queued' WHERE state='unknown'` and a restart: nothing is
    sent again, and the manager is told what was found."""
    counter.write()
    puts_before = sum(r.method == "PUT" for r in counter.sim.requests)
    with closing(sqlite3.connect(counter.journal)) as db, db:
        db.execute("UPDATE redemptions SET state = 'queued' WHERE state = 'unknown'")
    app = counter.start()
    told = app.expect(r"told the cashier")
    app.expect(r"window shown")
    assert app.stop() == 0
    assert "changed outside the app" in told and "audit trail says 'unknown'" in told
    assert sum(r.method == "PUT" for r in counter.sim.requests) == puts_before, "sent again"
    assert not any("sending journaled redemption" in line for line in app.seen)


class AppOnSmallDisk(AppProcess):
    """The real app in its own mount namespace, its data folder a ``size`` tmpfs."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path, size: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        script = f'mount -t tmpfs -o size={size},mode=0700 tmpfs "$1" && shift && exec "$@"'
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._display = env.get("DISPLAY", "")  # types the staff sign-in's answers (xapp.AppProcess)
        self.process = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", script, "sh", str(folder), sys.executable, "-m", "budtender_app",
             "--debug", *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, cwd=REPO)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.folder = Path(f"/proc/{self.process.pid}/root") / str(folder).lstrip("/")  # as the app sees it


def fill(folder: Path, errors: list[OSError]) -> Path:
    """Write into ``folder`` until its disk is full; the file that holds the space."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 512):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as exc:
                errors.append(exc)
    finally:
        os.close(fd)
    return filler


def test_a_disk_that_fills_between_the_put_and_its_answer(counter):
    """AIQ takes the points and the disk fills before the app writes the answer down: the
    counter leaves "Redeeming" saying unknown, ask a manager (the next discount is not sent, its
    record could not be written); once there is room the answer lands in the journal."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("a private tmpfs needs root and unshare")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespaces here")
    app = AppOnSmallDisk(counter.args, counter.env, counter.folder, "2m")
    counter.apps.append(app)
    filled: list[Path] = []
    errors: list[OSError] = []

    def disk_fills() -> None:
        if not filled:
            filled.append(fill(app.folder, errors))

    counter.sim.on_redeemed = disk_fills
    app.expect(r"in real mode")
    drive_to_checkout(app, counter.display, "FULL-1")
    app.expect(r"step DONE")
    assert any("could not journal AIQ's answer" in line for line in app.seen)
    assert [r.discount_id for r in counter.sim.redemptions] == ["101"], "the next one was not sent"
    assert filled and errors and all(e.errno == errno.ENOSPC for e in errors), errors
    filled[0].unlink()  # room again
    app.expect(r"AIQ's answer for redemption \d+ is in the journal now", timeout=30)
    copy = counter.root / "copy"  # SQLite resolves /proc/N/root (a link to /): read a copy
    copy.mkdir()
    for suffix in ("", "-wal"):
        (copy / f"journal.sqlite3{suffix}").write_bytes((app.folder / f"journal.sqlite3{suffix}").read_bytes())
    with closing(sqlite3.connect(copy / "journal.sqlite3")) as db:
        assert dict(db.execute("SELECT discount_id, state FROM redemptions")) == {"101": "redeemed", "102": "queued"}
    assert app.stop() == 0
    output = "\n".join(app.seen)
    assert "Traceback" not in output and "Nothing more was sent" not in output
