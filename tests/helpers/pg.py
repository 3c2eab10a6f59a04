"""A throwaway PostgreSQL cluster for the hub tests: ``initdb`` and ``pg_ctl`` on a temporary
folder and a free port on 127.0.0.1, one database per test, stopped at the end of the session.

Run as root (CI), the server runs as the unprivileged ``postgres`` user (PostgreSQL refuses to
run as root) on a folder that user owns. Host connections need a password (scram-sha-256), as a
store's server would; the socket folder is private to the cluster.

The hub tests (``pytest.mark.hub``) are skipped, with the reason, only where the PostgreSQL
binaries are absent (tests/run.sh installs Debian's ``postgresql``) or under faketime (CI's
second and third passes: the server must not run on a faked clock; the first pass ran them).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "postgres"
PASSWORD = "hub-test-password"
_counter = itertools.count(1)


def bin_dir() -> Path | None:
    """The newest PostgreSQL's bin folder (Debian's /usr/lib/postgresql/N/bin, else the PATH's)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def skip_reason() -> str:
    """Why the hub tests cannot run here ("" when they can)."""
    if os.environ.get("FAKETIME"):
        return "hub tests run the real PostgreSQL server, not under faketime (CI's first pass runs them)"
    if bin_dir() is None:
        return "PostgreSQL binaries (initdb, pg_ctl) are absent: install Debian's postgresql (tests/run.sh does)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """One running cluster; ``url(db)`` is how a terminal reaches database ``db``."""

    folder: Path
    port: int
    bin: Path

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD)
        self._chown(pwfile)
        self._run(str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", SUPERUSER,
                  "--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options,
                  "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def url(self, db: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=PASSWORD,
                             dbname="postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def dump(self, db: str, file: Path) -> None:
        """``pg_dump`` of database ``db`` to ``file`` (custom format): the store's nightly backup."""
        subprocess.run([str(self.bin / "pg_dump"), *self._client(), "-Fc", "-f", str(file), db],
                       check=True, capture_output=True, timeout=60, env=self._client_env())

    def restore(self, db: str, file: Path) -> None:
        """Database ``db`` replaced by the backup in ``file`` (``pg_restore`` into a new, empty one)."""
        self.admin(f"DROP DATABASE {db} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {db}")
        subprocess.run([str(self.bin / "pg_restore"), *self._client(), "-d", db, str(file)],
                       check=True, capture_output=True, timeout=60, env=self._client_env())

    def _client(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER]

    @staticmethod
    def _client_env() -> dict[str, str]:
        return dict(os.environ, PGPASSWORD=PASSWORD)

    def new_database(self) -> str:
        name = f"hub_{os.getpid()}_{next(_counter)}"
        self.admin(f"CREATE DATABASE {name}")
        return name

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """The session's PostgreSQL cluster (skips with the reason where it cannot run)."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    bindir = bin_dir()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="budtender-pg-"))
    cluster = Cluster(folder, free_port(), bindir)
    cluster._chown(folder)
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class HubDb:
    """A fresh database on the cluster: its URL (no password) and the password."""

    cluster: Cluster
    name: str

    @property
    def url(self) -> str:
        return self.cluster.url(self.name)

    password = PASSWORD

    def drop_and_recreate(self) -> None:
        """As if the hub were restored from a backup taken before any push: an empty database."""
        self.cluster.admin(f"DROP DATABASE {self.name} WITH (FORCE)")
        self.cluster.admin(f"CREATE DATABASE {self.name}")


@pytest.fixture
def hub_db(pg_cluster: Cluster) -> Iterator[HubDb]:
    """A database of its own for one test, dropped after it."""
    db = HubDb(pg_cluster, pg_cluster.new_database())
    yield db
    pg_cluster.admin(f"DROP DATABASE IF EXISTS {db.name} WITH (FORCE)")
