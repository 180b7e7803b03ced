"""Serving: the API's and the scraper's uvicorn servers, migrations, and what every long-running command shares."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import FrameType

import structlog
import uvicorn

from adapters.postgres.migrator import migrate
from application.ops.check_health import ProcessBoard
from entrypoints.cli.processes import ServiceError, port_taken
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


def serve(settings: Settings) -> None:
    api_server(settings).run()


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
