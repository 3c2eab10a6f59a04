"""Registers as separate processes (tests/helpers/hub_register.py), each with its own data,
config and state folders, all on the test's one OS keyring (its D-Bus session), joined to one hub
as ``budtender-app hub set`` joins it (tests/cli/test_hub_cli.py runs that command itself). The
test talks to each with a line and reads its JSON answer, waiting on the pipe with a timeout,
never by sleeping."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub.config import HubConfig, parse_hub_url
from budtender_app.services.paths import APP_DIR_NAME, Folders

ROOT = Path(__file__).resolve().parents[2]
ANSWER_TIMEOUT = 45.0


def register_env(folder: Path) -> dict[str, str]:
    """This register's own XDG folders (the D-Bus session, so the keyring, stays the test's)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for kind in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{kind}_HOME"] = str(folder / kind.lower())
    return env


def keyring() -> CredentialStore:
    """The test's OS keyring, by name (as tests/e2e/conftest.py's store_with_credentials)."""
    from keyring.backends import SecretService

    return CredentialStore(SecretService.Keyring())


def join_hub(folder: Path, url: str, password: str) -> None:
    """What ``hub set`` keeps: the URL in this register's hub.json, the password in the keyring."""
    HubConfig(keyring(), register_folders(folder).hub_file).save(parse_hub_url(url), password)


def register_folders(folder: Path) -> Folders:
    return Folders(data=folder / "data" / APP_DIR_NAME, config=folder / "config" / APP_DIR_NAME,
                   state=folder / "state" / APP_DIR_NAME, log=folder / "state" / APP_DIR_NAME / "log")


def cli(env: dict[str, str], *args: str, stdin: str | None = None, name: str = "") -> subprocess.CompletedProcess[str]:
    """``budtender-app ARGS`` in this register's folders (on register ``name``'s computer)."""
    command = ["-m", "tests.helpers.hub_register", "--as", name] if name else ["-m", "budtender_app"]
    return subprocess.run([sys.executable, *command, *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


class RegisterProcess:
    """One register's process; ``ask`` sends a command and returns its answer."""

    def __init__(self, folder: Path, name: str, *, store: str, base_url: str, phone: str,
                 hub_url: str = "", hub_password: str = "") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.name, self.env = folder, name, register_env(folder)
        if hub_url:
            join_hub(folder, hub_url, hub_password)
        self._stderr = (folder / "stderr.log").open("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.hub_register", "--name", name, "--store", store,
             "--base-url", base_url, "--phone", phone],
            cwd=ROOT, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(line)
        self._answers.put("")  # the process ended

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """IT's ``budtender-app ARGS`` on this register's computer."""
        return cli(self.env, *args, stdin=stdin, name=self.name)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self, timeout: float = ANSWER_TIMEOUT) -> dict[str, Any]:
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name} did not answer in {timeout} s:\n{self.stderr}") from None
        if not line:
            raise AssertionError(f"{self.name} ended (exit {self.process.wait(10)}):\n{self.stderr}")
        return dict(json.loads(line))

    def ask(self, command: str) -> dict[str, Any]:
        self.send(command)
        return self.answer()

    @property
    def journal(self) -> Path:
        return register_folders(self.folder).journal()

    @property
    def stderr(self) -> str:
        self._stderr.flush()
        return (self.folder / "stderr.log").read_text(encoding="utf-8")

    def quit(self) -> None:
        """Told to quit (``ended`` waits for it)."""
        if self.process.poll() is None:
            try:
                self.send("quit")
            except OSError:
                self.process.kill()

    def ended(self) -> None:
        """Waits for it to end (killed only when it does not)."""
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._stderr.close()


def quit_all(processes: list[RegisterProcess]) -> None:
    """All told at once, then each waited for: they close down side by side."""
    for p in processes:
        p.quit()
    for p in processes:
        p.ended()
