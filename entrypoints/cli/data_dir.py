"""A data directory has one owner at a time (`DataDir`): a `cascade dev`, or a command that runs its embedded
PostgreSQL for itself. The owner records the processes it starts, so that whatever an owner killed without
warning left behind is stopped by the next one."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from entrypoints.cli.processes import process_identity, stop_process


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
