"""`cascade dev`: every service of a development machine under one data dir, watched until it stops."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import structlog
import uvicorn

from application.ops.check_health import ProcessBoard
from entrypoints.cli.data_dir import DataDir
from entrypoints.cli.database import embedded_postgres, take_data_dir
from entrypoints.cli.processes import free_port, spawn, stop_child
from entrypoints.cli.sandbox import fake_providers
from entrypoints.cli.servers import api_server, interrupt, require_free, run_migrations
from entrypoints.cli.temporal_dev import TemporalDevServer
from entrypoints.wiring.settings import Settings, env_name, load_settings

log = structlog.get_logger("cascade.cli")

READY_BANNER = "cascade dev is ready"


class DevFailed(Exception):
    """`cascade dev` cannot start or keep running; the message names the process at fault."""


def dev(settings: Settings, *, sandbox: bool = False, ready_timeout: float = 120.0) -> None:
    """Local profile on embedded PostgreSQL and a Temporal dev server kept under the data dir, with a job worker
    and the scraper beside the API; ready once all of them are, and Ctrl-C stops everything."""
    # uvicorn re-raises the signal that stopped it; as KeyboardInterrupt it still reaches `finally`.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)  # a closed terminal stops everything too
    started = time.monotonic()
    data_dir = DataDir(Path(settings.data_dir))
    with ExitStack() as stack:
        if (owner := take_data_dir(data_dir, "dev", embedded_postgres=not settings.database.url)) is not None:
            raise DevFailed(
                f"it already runs on {data_dir.path} (pid {owner.pid}): stop it first, "
                "or give this one another CASCADE_DATA_DIR"
            )
        stack.callback(data_dir.release)
        require_free(settings.port, "CASCADE_PORT", host=settings.host)
        overrides: dict[str, object] = {"profile": "local"}
        if sandbox:
            overrides |= stack.enter_context(fake_providers())
            log.warning("sandbox", message="providers are the local fakes of tests/fakes/, not the real APIs")
        if not settings.database.url:
            overrides["database_url"] = stack.enter_context(embedded_postgres(settings, data_dir))
        if not settings.temporal.address:
            overrides["temporal_address"] = stack.enter_context(
                _temporal_dev_server(settings, data_dir, timeout=ready_timeout)
            )
        board = ProcessBoard()
        children: list[_Child] = []
        if not settings.scraper.url and not sandbox:  # the sandbox's fictional companies have no sites to read
            overrides |= _scraper_overrides(settings)
            require_free(int(str(overrides["scraper_port"])), "CASCADE_SCRAPER_PORT")
            waiting_for = f"waiting for GET {overrides['scraper_url']}/health"
            children.append(stack.enter_context(_child("scraper", waiting_for, overrides, data_dir, board)))
        settings = load_settings(None, **overrides)
        run_migrations(settings)
        waiting_for = f"waiting for it to poll task queue {settings.temporal.task_queue!r}"
        children.append(stack.enter_context(_child("worker", waiting_for, overrides, data_dir, board)))
        server = api_server(settings, board)
        watch = _Watch(server, settings, children, board, timeout=ready_timeout, started=started)
        stack.callback(watch.stop)  # first at exit: the children exit after it stopped watching them
        watch.start()
        signal.signal(signal.SIGHUP, lambda signum, frame: server.handle_exit(signal.SIGTERM, frame))
        server.run()
        if watch.failure:
            raise DevFailed(watch.failure)


@contextmanager
def _temporal_dev_server(settings: Settings, data_dir: DataDir, *, timeout: float) -> Iterator[str]:
    require_free(settings.embedded.temporal_port, "CASCADE_EMBEDDED_TEMPORAL_PORT")
    temporal = TemporalDevServer(data_dir.path / "temporal" / "dev.db", settings.embedded.temporal_port)
    log.info("starting_temporal_dev_server", port=temporal.port)
    try:
        yield temporal.start(
            log_file=data_dir.path / "temporal" / "server.log",
            timeout=timeout,
            on_spawn=lambda pid: data_dir.record(process=("temporal", pid)),
        )
    finally:
        temporal.stop()
        data_dir.forget("temporal")
        log.info("stopped_temporal_dev_server")


def _scraper_overrides(settings: Settings) -> dict[str, object]:
    """A scraper beside the API on a loopback port, with a service key of this run unless one is set."""
    port = settings.scraper.port if settings.scraper.port != settings.port else free_port()
    keys = settings.scraper.service_keys or secrets.token_urlsafe(32)
    return {"scraper_port": port, "scraper_url": f"http://127.0.0.1:{port}", "scraper_service_keys": keys}


@dataclass(slots=True)
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    waiting_for: str  # what its readiness is


@contextmanager
def _child(
    name: str, waiting_for: str, overrides: dict[str, object], data_dir: DataDir, board: ProcessBoard
) -> Iterator[_Child]:
    """`cascade <name>` with this process's settings and the services `dev` started; stopped at the end."""
    env = dict(os.environ) | {env_name(field): str(value) for field, value in overrides.items()}
    process = spawn([sys.executable, "-m", "entrypoints.cli.main", name], env=env)
    data_dir.record(process=(name, process.pid))
    board.set(name, "starting", f"pid {process.pid}: {waiting_for}")
    log.info("started", command=name, pid=process.pid)
    try:
        yield _Child(name, process, waiting_for)
    finally:
        stop_child(process)
        data_dir.forget(name)
        log.info("stopped", command=name, pid=process.pid)


def _local(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


class _Watch:
    """`cascade dev`'s eye on what it started, from a thread of its own.

    It polls the API (readiness), the scraper (GET /health) and the worker (its poll of the task queue, as Temporal
    sees it: the worker's metrics port is served before it connects, and could belong to another program) until
    each is ready, marking them on the board that /health shows, then prints the banner; then it watches that the
    worker and the scraper keep running. One that exits, or is not ready within the timeout, stops `cascade dev`
    with an error naming it."""

    def __init__(
        self,
        server: uvicorn.Server,
        settings: Settings,
        children: list[_Child],
        board: ProcessBoard,
        *,
        timeout: float,
        started: float,
    ) -> None:
        self._server, self._settings, self._children, self._board = server, settings, children, board
        self._timeout, self._started = timeout, started
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._main, name="cascade-dev-watch", daemon=True)
        self._temporal: Any = None
        self.failure: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)

    def _main(self) -> None:
        asyncio.run(self._watch())

    def _stopped(self) -> bool:
        return self._stopping.is_set() or self._server.should_exit

    async def _watch(self) -> None:
        checks: dict[str, Callable[[httpx.AsyncClient], Awaitable[bool]]] = {"api": self._api_ready}
        for child in self._children:
            checks[child.name] = self._worker_ready(child) if child.name == "worker" else self._scraper_ready
        deadline = time.monotonic() + self._timeout
        async with httpx.AsyncClient(timeout=2.0) as http:
            while checks:
                if self._stopped():
                    return
                if (exited := self._exited()) is not None:
                    return self._fail(exited, "before it was ready")
                for name, ready in list(checks.items()):
                    if await ready(http):
                        del checks[name]
                        self._seen_ready(name)
                if checks and time.monotonic() > deadline:
                    waiting = {child.name: child.waiting_for for child in self._children}
                    late = "; ".join(
                        f"the {name} ({waiting.get(name, 'waiting for its readiness')})" for name in checks
                    )
                    return self._fail(None, f"not ready within {self._timeout:g} s: {late}")
                await asyncio.sleep(0.1)
        self._announce()
        while not self._stopped():
            if (exited := self._exited()) is not None:
                return self._fail(exited, "")
            await asyncio.sleep(0.2)

    def _exited(self) -> _Child | None:
        return next((child for child in self._children if child.process.poll() is not None), None)

    def _seen_ready(self, name: str) -> None:
        child = next((c for c in self._children if c.name == name), None)
        if child is not None:
            self._board.set(name, "ok", f"pid {child.process.pid}")
        log.info("process_ready", process=name, seconds=round(time.monotonic() - self._started, 1))

    def _fail(self, child: _Child | None, what: str) -> None:
        if child is not None:
            code = child.process.returncode
            self._board.set(child.name, "down", f"pid {child.process.pid} exited with code {code}")
            what = f"the {child.name} (pid {child.process.pid}) exited with code {code} {what}".strip()
            what += "; its output is above"
        self.failure = what
        log.error("dev_failed", reason=what)
        self._server.should_exit = True

    async def _api_ready(self, http: httpx.AsyncClient) -> bool:
        if not self._server.started:
            return False
        base = f"http://{_local(self._settings.host)}:{self._settings.port}"
        try:
            return (await http.get(f"{base}/api/v1/readiness")).status_code == 200
        except httpx.HTTPError:
            return False

    async def _scraper_ready(self, http: httpx.AsyncClient) -> bool:
        try:
            return (await http.get(f"{self._settings.scraper.url}/health")).status_code == 200
        except httpx.HTTPError:
            return False

    def _worker_ready(self, child: _Child) -> Callable[[httpx.AsyncClient], Awaitable[bool]]:
        identity = f"{child.process.pid}@{socket.gethostname()}"  # a Temporal client's identity by default

        async def polling(_: httpx.AsyncClient) -> bool:
            """The worker polls both its workflow and its activity task queue."""
            from temporalio.api.enums.v1 import TaskQueueType
            from temporalio.api.taskqueue.v1 import TaskQueue
            from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
            from temporalio.client import Client
            from temporalio.service import RPCError

            settings = self._settings
            try:
                if self._temporal is None:
                    self._temporal = await Client.connect(
                        settings.temporal.address, namespace=settings.temporal.namespace
                    )
                for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
                    answer = await self._temporal.workflow_service.describe_task_queue(
                        DescribeTaskQueueRequest(
                            namespace=settings.temporal.namespace,
                            task_queue=TaskQueue(name=settings.temporal.task_queue),
                            task_queue_type=kind,
                        )
                    )
                    if identity not in {poller.identity for poller in answer.pollers}:
                        return False
            except (RPCError, RuntimeError, OSError):
                return False
            return True

        return polling

    def _announce(self) -> None:
        settings, took = self._settings, time.monotonic() - self._started
        base = f"http://{_local(settings.host)}:{settings.port}"
        lines = [f"{READY_BANNER} in {took:.1f} s", f"  API      {base}/api/v1  (docs: {base}/schema)"]
        for child in self._children:
            if child.name == "worker":
                where = f"task queue {settings.temporal.task_queue!r} on {settings.temporal.address}"
                lines.append(f"  worker   pid {child.process.pid}, {where}")
            else:
                lines.append(f"  scraper  {settings.scraper.url}  (pid {child.process.pid})")
        lines += [f"  data     {settings.data_dir}", "Ctrl-C stops everything."]
        print("\n".join(lines), flush=True)
        log.info("dev_ready", seconds=round(took, 1))
