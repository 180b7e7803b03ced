"""The `cascade` console script."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import FrameType

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
from domain.errors import DomainError
from entrypoints.config import ConfigError, Settings, env_name, load_settings
from entrypoints.ioc import build_container
from entrypoints.key_rotation import rotate_keys
from entrypoints.local_services import EmbeddedPostgres, TemporalDevServer, free_port
from entrypoints.sandbox import fake_providers

log = structlog.get_logger("cascade.cli")
# The long-running processes are traced; `dev` is the API process (its worker and scraper trace themselves).
TRACED = {"serve": "cascade-api", "dev": "cascade-api", "worker": "cascade-worker", "scraper": "cascade-scraper"}


def _run(app: object, host: str, port: int, event: str, **extra: object) -> None:
    """One uvicorn server; our edge middleware writes the access log."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, **extra)  # type: ignore[arg-type]
    log.info(event, url=f"http://{host}:{port}", docs="/schema")
    uvicorn.Server(config).run()


def serve(settings: Settings) -> None:
    from entrypoints.http.app import create_app

    log.info("profile", profile=settings.profile)
    _run(
        create_app(settings),
        settings.host,
        settings.port,
        "serving",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


def serve_scraper(settings: Settings) -> None:
    from entrypoints.scraper.app import create_scraper_app

    _run(create_scraper_app(settings), settings.scraper_host, settings.scraper_port, "scraper_serving")


def run_migrations(settings: Settings) -> None:
    if not settings.database_url:
        raise ConfigError("CASCADE_DATABASE_URL: required to migrate")
    applied = asyncio.run(migrate(settings.database_url, Path(settings.migrations_dir)))
    log.info("migrated", applied=[f"{m.version:03d}_{m.name}" for m in applied])


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def dev(settings: Settings, *, sandbox: bool = False) -> None:
    """Local profile on embedded PostgreSQL and a Temporal dev server kept under the data dir,
    with a job worker beside the API; Ctrl-C stops everything."""
    # uvicorn re-raises the signal that stopped it; as KeyboardInterrupt it still reaches `finally`.
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as stack:
        overrides: dict[str, object] = {"profile": "local"}
        if sandbox:
            overrides |= stack.enter_context(fake_providers())
            log.warning("sandbox", message="providers are the local fakes of tests/fakes/, not the real APIs")
        if not settings.database_url:
            postgres = EmbeddedPostgres(Path(settings.data_dir) / "postgres", settings.embedded_postgres_port)
            log.info("starting_embedded_postgres", data_dir=str(postgres.data_dir), port=postgres.port)
            overrides["database_url"] = postgres.start()
            stack.callback(log.info, "stopped_embedded_postgres")
            stack.callback(postgres.stop)
        if not settings.temporal_address:
            temporal = TemporalDevServer(
                Path(settings.data_dir) / "temporal" / "dev.db", settings.embedded_temporal_port
            )
            log.info("starting_temporal_dev_server", port=temporal.port)
            overrides["temporal_address"] = temporal.start(log_file=Path(settings.data_dir) / "temporal" / "server.log")
            stack.callback(log.info, "stopped_temporal_dev_server")
            stack.callback(temporal.stop)
        if not settings.scraper_url and not sandbox:  # the sandbox's fictional companies have no sites to read
            overrides |= _scraper_overrides(settings)
            stack.callback(_stop, _start_process("scraper", overrides))
        settings = load_settings(None, **overrides)
        run_migrations(settings)
        stack.callback(_stop, _start_process("worker", overrides))
        serve(settings)


def _scraper_overrides(settings: Settings) -> dict[str, object]:
    """A scraper beside the API on a loopback port, with a service key of this run unless one is set."""
    port = settings.scraper_port if settings.scraper_port != settings.port else free_port()
    keys = settings.scraper_service_keys or secrets.token_urlsafe(32)
    return {"scraper_port": port, "scraper_url": f"http://127.0.0.1:{port}", "scraper_service_keys": keys}


def _start_process(command: str, overrides: dict[str, object]) -> subprocess.Popen[bytes]:
    """`cascade <command>` with this process's settings and the services `dev` started."""
    env = dict(os.environ) | {env_name(name): str(value) for name, value in overrides.items()}
    process = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", command], env=env)
    log.info("started", command=command, pid=process.pid)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.info("stopped", pid=process.pid)


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
        "dev", help="embedded PostgreSQL and Temporal + migrations + a worker + the API: what `make run` runs"
    )
    dev_command.add_argument(
        "--sandbox", action="store_true", help="use the local fake Apollo, Hunter and Clearbit as providers"
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
            run_migrations(settings)
        elif args.command == "scraper":
            serve_scraper(settings)
        elif args.command == "worker":
            from entrypoints.worker.main import run_worker

            asyncio.run(run_worker(settings))
        elif args.command == "dev":
            dev(settings, sandbox=args.sandbox)
        elif args.command == "credits":
            release_stale(settings, args.older_than_minutes)
        elif args.command == "users":
            make_admin(settings, args.email, args.revoke)
        elif args.command == "keys":
            return rotate_keys(settings, args.batch_size)
    except ConfigError as exc:
        print(f"cascade: configuration error: {exc}", file=sys.stderr)
        return 2
    except (MigrationError, DomainError) as exc:
        print(f"cascade: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
