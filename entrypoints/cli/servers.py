"""Serving: the API's and the scraper's uvicorn servers, migrations, and what every long-running command shares."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

import structlog
import uvicorn

from adapters.postgres.migrator import migrate
from application.ops.check_health import ProcessBoard
from entrypoints.cli.processes import ServiceError, port_taken, spawn, stop_child
from entrypoints.http.server_protocol import with_header_timeout
from entrypoints.wiring.settings import ConfigError, Settings

log = structlog.get_logger("cascade.cli")


def uvicorn_server(
    app: object, settings: Settings, host: str, port: int, event: str, **extra: object
) -> uvicorn.Server:
    """One uvicorn server; our edge middleware writes the access log, and slow headers are a 408."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=with_header_timeout(settings.http.header_timeout_seconds),
        **extra,  # type: ignore[arg-type]
    )
    log.info(event, url=f"http://{host}:{port}", docs="/schema")
    return uvicorn.Server(config)


def api_server(settings: Settings, board: ProcessBoard | None = None) -> uvicorn.Server:
    from entrypoints.http.app import create_app
    from entrypoints.http.controllers.ops import watch_processes

    log.info("profile", profile=settings.profile)
    app = create_app(settings)
    if board is not None:
        watch_processes(app, board)
    return uvicorn_server(
        app, settings, settings.host, settings.port, "serving", proxy_headers=True, forwarded_allow_ips="127.0.0.1"
    )


def api_workers(settings: Settings) -> tuple[int, str | None]:
    """How many API processes `cascade serve` runs, and why one only when more were asked for."""
    asked = settings.api_workers or os.cpu_count() or 1
    if asked > 1 and settings.profile == "memory":
        return 1, f"{asked} asked for, but the memory profile keeps its data inside one process"
    if asked > 1 and not settings.temporal.address:
        return 1, f"{asked} asked for, but without Temporal jobs and webhook deliveries run inside the API process"
    return asked, None


def serve(settings: Settings, *, listening_fd: int | None = None) -> None:
    """The API: one process, or `api_workers` of them sharing one listening socket (this one supervises)."""
    if listening_fd is not None:  # one of several: serve on the socket the supervisor made
        api_server(settings).run(sockets=[socket.socket(fileno=listening_fd)])
        return
    workers, why_one = api_workers(settings)
    if why_one is not None:
        log.info("api_workers", workers=1, reason=why_one)
    if workers == 1:
        api_server(settings).run()
        return
    serve_processes(settings, workers)


def serve_processes(settings: Settings, workers: int) -> None:
    """`workers` API processes accepting on one socket made here; when one ends, the others are stopped and the
    command ends with its code (a supervisor above restarts the whole)."""
    listening = socket.create_server((settings.host, settings.port), backlog=2048, reuse_port=False)
    listening.set_inheritable(True)
    fd = listening.fileno()
    command = [sys.executable, "-m", "entrypoints.cli.main", "serve", "--listening-fd", str(fd)]
    children = [spawn(command, pass_fds=(fd,)) for _ in range(workers)]
    log.info("serving", url=f"http://{settings.host}:{settings.port}", workers=workers, pids=[c.pid for c in children])

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        ended = [child.returncode for child in children if child.returncode is not None]  # before we stop any
        for child in children:
            stop_child(child)  # each in its own group, so a Ctrl-C reaches them only through here
        listening.close()
    # Stopped by us, a child ends on our SIGTERM (uvicorn raises it again once shut down); one that ended by
    # itself gives the command its code.
    if not stopping and ended:
        raise SystemExit(ended[0] if ended[0] > 0 else 1)


def serve_scraper(settings: Settings) -> None:
    from entrypoints.scraper.app import create_scraper_app

    app = create_scraper_app(settings)
    uvicorn_server(app, settings, settings.scraper.host, settings.scraper.port, "scraper_serving").run()


def run_migrations(settings: Settings) -> None:
    if not settings.database.url:
        raise ConfigError("CASCADE_DATABASE_URL: required to migrate")
    applied = asyncio.run(migrate(settings.database.url, Path(settings.migrations_dir)))
    log.info("migrated", applied=[f"{m.version:03d}_{m.name}" for m in applied])


def interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def require_free(port: int, setting: str, host: str = "127.0.0.1") -> None:
    if port_taken(host, port):
        raise ServiceError(f"port {port} ({setting}) is taken by another program: stop it, or set {setting}")
