"""Running the real app as its own process in a real X window (Xvfb), and typing into it."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class Xvfb:
    """A private X server; ``display`` is ":N"."""

    def __init__(self) -> None:
        if not shutil.which("Xvfb"):
            raise RuntimeError("Xvfb is not installed (Debian: apt-get install xvfb)")
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:  # Xvfb writes the display number once it is ready
            number = pipe.readline().strip()
        if not number:
            self.process.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


#: The e2e staff member's passcode: also training's demo cashier's (domain/staff.TRAINING_STAFF),
#: so one passcode signs in on a real terminal and in training.
PASSCODE = "2468"


#: What the e2e till types when the app asks for it by moving the focus (a log line at DEBUG).
STAFF_TYPING = {"setup_name_edit": "E2E Manager", "setup_passcode_edit": PASSCODE, "setup_again_edit": PASSCODE,
                "passcode_edit": PASSCODE}


class AppProcess:
    """``python -m budtender_app`` with its log lines readable as they come.

    Staff sign-in (issue 13): when the first-start setup or the sign-in screen takes the keyboard
    ("focus setup_name_edit", "focus passcode_edit"...), ``expect`` types the answer and Enter, so
    a test reads on from the counter as before. sign_in=False: the test does it itself.
    """

    _display = ""  # where to type the staff answers ("": nowhere)

    def __init__(self, args: list[str], env: dict[str, str], *, sign_in: bool = True) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._display = env.get("DISPLAY", "") if sign_in else ""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "budtender_app", "--debug", *args],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=Path(__file__).resolve().parents[2],
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("<exit>")

    def expect(self, pattern: str, timeout: float = 20.0) -> str:
        """Until a log line matches ``pattern`` (a regex); the app's own words are the clock."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no log line matched {pattern!r}; last lines:\n" + "\n".join(self.seen[-25:]))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line == "<exit>":
                raise AssertionError(f"the app exited waiting for {pattern!r}:\n" + "\n".join(self.seen[-25:]))
            if regex.search(line):
                return line
            self._answer_staff(line)

    def _answer_staff(self, line: str) -> None:
        """Type the first-start setup's or the sign-in screen's answer when it takes the keyboard."""
        text = STAFF_TYPING.get(line.rpartition(" focus ")[2]) if " focus " in line else None
        if self._display and text is not None:
            xdotool(self._display, "type", "--delay", "20", text)
            xdotool(self._display, "key", "Return")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (the app closes its window the normal way), wait for the exit; the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._drain()
        return code

    def kill(self) -> int:
        """SIGKILL, as when the till loses power: nothing in the app runs after it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        code = self.process.wait(20)
        self._drain()
        return code

    def _drain(self) -> None:
        """After the exit: every line the app wrote goes into ``seen``."""
        self._reader.join(10)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line != "<exit>":
                self.seen.append(line)


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, env={**os.environ, "DISPLAY": display}, timeout=20)


def type_text(display: str, text: str) -> None:
    xdotool(display, "type", "--delay", "20", text)


def app_env(display: str, root: Path, **extra: str) -> dict[str, str]:
    """The environment of an app on ``display`` whose config, data, state and cache live under
    ``root``: start it again with the same ``root`` and it finds the same journal."""
    return {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
            "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"), "XDG_CACHE_HOME": str(root / "cache"), **extra}
