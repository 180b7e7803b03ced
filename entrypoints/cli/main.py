"""The `cascade` console script."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import msgspec
import structlog
import uvicorn

from adapters.postgres.migrator import MigrationError, migrate
from adapters.telemetry.logging import configure_logging
from adapters.telemetry.tracing import setup_tracing
from application.admin.make_platform_admin import MakePlatformAdmin, MakePlatformAdminCommand
from application.credit.release_stale_reservations import (
    ReleaseStaleReservations,
    ReleaseStaleReservationsCommand,
)
from application.ops.check_health import ProcessBoard
from domain.kernel.errors import DomainError
from entrypoints.cli.key_rotation import rotate_keys
from entrypoints.cli.local_services import (
    DataDir,
    EmbeddedPostgres,
    Owner,
    ServiceError,
    TemporalDevServer,
    free_port,
    port_taken,
    spawn,
    stop_child,
)
from entrypoints.cli.sandbox import fake_providers
from entrypoints.http.server_protocol import with_header_timeout
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import ConfigError, Settings, env_name, load_settings

log = structlog.get_logger("cascade.cli")
# The long-running processes are traced; `dev` is the API process (its worker and scraper trace themselves).
TRACED = {"serve": "cascade-api", "dev": "cascade-api", "worker": "cascade-worker", "scraper": "cascade-scraper"}


READY_BANNER = "cascade dev is ready"
OWNER_WAIT_SECONDS = 60.0  # how long a command waits for another one to let go of the data dir


class DevFailed(Exception):
    """`cascade dev` cannot start or keep running; the message names the process at fault."""


def _server(app: object, settings: Settings, host: str, port: int, event: str, **extra: object) -> uvicorn.Server:
    """One uvicorn server; our edge middleware writes the access log, and slow headers are a 408."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=with_header_timeout(settings.http_header_timeout_seconds),
        **extra,  # type: ignore[arg-type]
    )
    log.info(event, url=f"http://{host}:{port}", docs="/schema")
    return uvicorn.Server(config)


def _api_server(settings: Settings, board: ProcessBoard | None = None) -> uvicorn.Server:
    from entrypoints.http.app import create_app
    from entrypoints.http.controllers.ops import watch_processes

    log.info("profile", profile=settings.profile)
    app = create_app(settings)
    if board is not None:
        watch_processes(app, board)
    return _server(
        app, settings, settings.host, settings.port, "serving", proxy_headers=True, forwarded_allow_ips="127.0.0.1"
    )


def serve(settings: Settings) -> None:
    _api_server(settings).run()


def serve_scraper(settings: Settings) -> None:
    from entrypoints.scraper.app import create_scraper_app

    app = create_scraper_app(settings)
    _server(app, settings, settings.scraper_host, settings.scraper_port, "scraper_serving").run()


def run_migrations(settings: Settings) -> None:
    if not settings.database_url:
        raise ConfigError("CASCADE_DATABASE_URL: required to migrate")
    applied = asyncio.run(migrate(settings.database_url, Path(settings.migrations_dir)))
    log.info("migrated", applied=[f"{m.version:03d}_{m.name}" for m in applied])


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- the data dir: one owner, and the embedded PostgreSQL --------------------------------------------------------


def _take(data_dir: DataDir, command: str, *, embedded_postgres: bool) -> Owner | None:
    """Own the data dir (None), after stopping what an owner killed without warning left running; or return the
    `cascade dev` that owns it. Another command that holds it is waited for."""
    deadline = time.monotonic() + OWNER_WAIT_SECONDS
    while (stopped := data_dir.try_own(command, embedded_postgres=embedded_postgres)) is None:
        owner = data_dir.owner()
        if owner is not None and owner.command == "dev":
            return owner
        if time.monotonic() > deadline:
            holder = f"pid {owner.pid} (cascade {owner.command})" if owner else "another process"
            raise ServiceError(f"{data_dir.path} stayed in use by {holder} for {OWNER_WAIT_SECONDS:g} s")
        time.sleep(0.1)
    for name, pid in stopped.items():
        log.warning("stopped_leftover", process=name, pid=pid, reason="an earlier run did not stop it")
    return None


def _require_free(port: int, setting: str, host: str = "127.0.0.1") -> None:
    if port_taken(host, port):
        raise ServiceError(f"port {port} ({setting}) is taken by another program: stop it, or set {setting}")


@contextmanager
def _embedded_postgres(settings: Settings, data_dir: DataDir) -> Iterator[str]:
    """The embedded PostgreSQL of the data dir, for its owner: started, its URL recorded, stopped at the end."""
    postgres = EmbeddedPostgres(data_dir.path / "postgres", settings.embedded_postgres_port)
    if (pid := postgres.stop_leftover()) is not None:
        log.warning("stopped_leftover", process="postgres", pid=pid, reason="an earlier run did not stop it")
    _require_free(postgres.port, "CASCADE_EMBEDDED_POSTGRES_PORT")
    log.info("starting_embedded_postgres", data_dir=str(postgres.data_dir), port=postgres.port)
    try:
        url = postgres.start()
        data_dir.record(database_url=url)
        yield url
    finally:
        postgres.stop()  # also when it started but could not create the database
        log.info("stopped_embedded_postgres")


@contextmanager
def command_database(settings: Settings, command: str) -> Iterator[Settings]:
    """The settings a command (migrate, users, keys, credits) runs with.

    Without CASCADE_DATABASE_URL it uses the embedded PostgreSQL of CASCADE_DATA_DIR: the one a running
    `cascade dev` serves, or else one started (and migrated) for the command and stopped after it."""
    if settings.database_url:
        yield settings
        return
    data_dir = DataDir(Path(settings.data_dir))
    deadline = time.monotonic() + OWNER_WAIT_SECONDS
    while (owner := _take(data_dir, command, embedded_postgres=True)) is not None:
        if not owner.embedded_postgres:
            raise ConfigError(
                f"CASCADE_DATABASE_URL: required: the cascade dev of {data_dir.path} (pid {owner.pid}) "
                "uses a database of its own"
            )
        if owner.database_url:
            log.info("using_embedded_postgres", of=f"cascade dev (pid {owner.pid})", data_dir=str(data_dir.path))
            yield msgspec.structs.replace(settings, database_url=owner.database_url)
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"the cascade dev of {data_dir.path} (pid {owner.pid}) did not start its PostgreSQL")
        time.sleep(0.1)  # that `cascade dev` is starting it
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stopped, it still stops the database it started
    try:
        with _embedded_postgres(settings, data_dir) as url:
            owned = msgspec.structs.replace(settings, database_url=url)
            if command != "migrate":
                run_migrations(owned)  # the schema this code expects, as `cascade dev` would apply it
            yield owned
    finally:
        data_dir.release()
        signal.signal(signal.SIGTERM, previous)


# --- cascade dev ---------------------------------------------------------------------------------------------------


def dev(settings: Settings, *, sandbox: bool = False, ready_timeout: float = 120.0) -> None:
    """Local profile on embedded PostgreSQL and a Temporal dev server kept under the data dir, with a job worker
    and the scraper beside the API; ready once all of them are, and Ctrl-C stops everything."""
    # uvicorn re-raises the signal that stopped it; as KeyboardInterrupt it still reaches `finally`.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)  # a closed terminal stops everything too
    started = time.monotonic()
    data_dir = DataDir(Path(settings.data_dir))
    with ExitStack() as stack:
        if (owner := _take(data_dir, "dev", embedded_postgres=not settings.database_url)) is not None:
            raise DevFailed(
                f"it already runs on {data_dir.path} (pid {owner.pid}): stop it first, "
                "or give this one another CASCADE_DATA_DIR"
            )
        stack.callback(data_dir.release)
        _require_free(settings.port, "CASCADE_PORT", host=settings.host)
        overrides: dict[str, object] = {"profile": "local"}
        if sandbox:
            overrides |= stack.enter_context(fake_providers())
            log.warning("sandbox", message="providers are the local fakes of tests/fakes/, not the real APIs")
        if not settings.database_url:
            overrides["database_url"] = stack.enter_context(_embedded_postgres(settings, data_dir))
        if not settings.temporal_address:
            overrides["temporal_address"] = stack.enter_context(
                _temporal_dev_server(settings, data_dir, timeout=ready_timeout)
            )
        board = ProcessBoard()
        children: list[_Child] = []
        if not settings.scraper_url and not sandbox:  # the sandbox's fictional companies have no sites to read
            overrides |= _scraper_overrides(settings)
            _require_free(int(str(overrides["scraper_port"])), "CASCADE_SCRAPER_PORT")
            waiting_for = f"waiting for GET {overrides['scraper_url']}/health"
            children.append(stack.enter_context(_child("scraper", waiting_for, overrides, data_dir, board)))
        settings = load_settings(None, **overrides)
        run_migrations(settings)
        waiting_for = f"waiting for it to poll task queue {settings.temporal_task_queue!r}"
        children.append(stack.enter_context(_child("worker", waiting_for, overrides, data_dir, board)))
        server = _api_server(settings, board)
        watch = _Watch(server, settings, children, board, timeout=ready_timeout, started=started)
        stack.callback(watch.stop)  # first at exit: the children exit after it stopped watching them
        watch.start()
        signal.signal(signal.SIGHUP, lambda signum, frame: server.handle_exit(signal.SIGTERM, frame))
        server.run()
        if watch.failure:
            raise DevFailed(watch.failure)


@contextmanager
def _temporal_dev_server(settings: Settings, data_dir: DataDir, *, timeout: float) -> Iterator[str]:
    _require_free(settings.embedded_temporal_port, "CASCADE_EMBEDDED_TEMPORAL_PORT")
    temporal = TemporalDevServer(data_dir.path / "temporal" / "dev.db", settings.embedded_temporal_port)
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
    port = settings.scraper_port if settings.scraper_port != settings.port else free_port()
    keys = settings.scraper_service_keys or secrets.token_urlsafe(32)
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
            return (await http.get(f"{self._settings.scraper_url}/health")).status_code == 200
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
                        settings.temporal_address, namespace=settings.temporal_namespace
                    )
                for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
                    answer = await self._temporal.workflow_service.describe_task_queue(
                        DescribeTaskQueueRequest(
                            namespace=settings.temporal_namespace,
                            task_queue=TaskQueue(name=settings.temporal_task_queue),
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
                where = f"task queue {settings.temporal_task_queue!r} on {settings.temporal_address}"
                lines.append(f"  worker   pid {child.process.pid}, {where}")
            else:
                lines.append(f"  scraper  {settings.scraper_url}  (pid {child.process.pid})")
        lines += [f"  data     {settings.data_dir}", "Ctrl-C stops everything."]
        print("\n".join(lines), flush=True)
        log.info("dev_ready", seconds=round(took, 1))


def make_admin(settings: Settings, email: str, revoke: bool) -> None:
    async def run() -> None:
        container = build_container(settings)
        try:
            async with container() as request:
                use_case = await request.get(MakePlatformAdmin)
                await use_case(MakePlatformAdminCommand(email=email, value=not revoke))
        finally:
            await container.close()

    asyncio.run(run())
    log.info("platform_admin_set", email=email, value=not revoke)


def release_stale(settings: Settings, older_than_minutes: int) -> None:
    async def run() -> int:
        container = build_container(settings)
        try:
            async with container() as request:
                use_case = await request.get(ReleaseStaleReservations)
                released = await use_case(
                    ReleaseStaleReservationsCommand(older_than=timedelta(minutes=older_than_minutes))
                )
                return len(released)
        finally:
            await container.close()

    log.info("released_stale_reservations", count=asyncio.run(run()), older_than_minutes=older_than_minutes)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="cascade", description="Cascade data-enrichment backend")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the REST API (settings from CASCADE_* variables)")
    commands.add_parser("migrate", help="apply pending PostgreSQL migrations")
    commands.add_parser("worker", help="run enrichment jobs from the Temporal task queue (CASCADE_TEMPORAL_ADDRESS)")
    commands.add_parser("scraper", help="the scraper service (CASCADE_SCRAPER_HOST / _PORT, X-Service-Key auth)")
    dev_command = commands.add_parser(
        "dev",
        help="embedded PostgreSQL and Temporal + migrations + a worker + the scraper + the API: what `make run` runs",
    )
    dev_command.add_argument(
        "--sandbox", action="store_true", help="use the local fake Apollo, Hunter and Clearbit as providers"
    )
    dev_command.add_argument(
        "--ready-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for the Temporal dev server, then for the API, the worker and the scraper, before "
        "failing with the name of the one that is not ready (default 120)",
    )
    credits = commands.add_parser("credits", help="credit maintenance").add_subparsers(
        dest="credits_command", required=True
    )
    stale = credits.add_parser("release-stale", help="release what crashed runs still hold (run it periodically)")
    stale.add_argument("--older-than-minutes", type=int, default=60, help="only reservations at least this old")
    users = commands.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    admin = users.add_parser("make-admin", help="give a user the platform-admin flag")
    admin.add_argument("email")
    admin.add_argument("--revoke", action="store_true", help="take the flag away instead")
    keys = commands.add_parser("keys", help="manage encryption keys").add_subparsers(dest="keys_command", required=True)
    rotate = keys.add_parser(
        "rotate", help="re-encrypt every credential and webhook secret to the active key of CASCADE_ENCRYPTION_KEYS"
    )
    rotate.add_argument("--batch-size", type=int, default=100, help="rows per transaction (default 100)")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        if args.command == "dev":
            # A laptop rarely runs a collector: `make run` traces only when asked (OTEL_ENABLED=true), and the
            # worker and scraper it starts inherit the choice.
            os.environ.setdefault("OTEL_ENABLED", "false")
        if args.command in TRACED:  # before any pool, client or app exists, so all of them are instrumented
            setup_tracing(TRACED[args.command])
        if args.command == "serve":
            serve(settings)
        elif args.command == "migrate":
            with command_database(settings, "migrate") as database:
                run_migrations(database)
        elif args.command == "scraper":
            serve_scraper(settings)
        elif args.command == "worker":
            from entrypoints.worker.main import run_worker

            asyncio.run(run_worker(settings))
        elif args.command == "dev":
            dev(settings, sandbox=args.sandbox, ready_timeout=args.ready_timeout)
        elif args.command == "credits":
            with command_database(settings, "credits release-stale") as database:
                release_stale(database, args.older_than_minutes)
        elif args.command == "users":
            with command_database(settings, "users make-admin") as database:
                make_admin(database, args.email, args.revoke)
        elif args.command == "keys":
            with command_database(settings, "keys rotate") as database:
                return rotate_keys(database, args.batch_size)
    except ConfigError as exc:
        print(f"cascade: configuration error: {exc}", file=sys.stderr)
        return 2
    except DevFailed as exc:
        print(f"cascade dev: {exc}", file=sys.stderr)
        return 1
    except (MigrationError, DomainError, ServiceError) as exc:
        print(f"cascade: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
