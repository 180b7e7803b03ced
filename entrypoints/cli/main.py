"""The `cascade` console script: its commands and their arguments."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import structlog

from adapters.postgres.migrator import MigrationError
from adapters.telemetry.logging import configure_logging
from adapters.telemetry.tracing import setup_tracing
from application.admin.make_platform_admin import MakePlatformAdmin, MakePlatformAdminCommand
from application.credit.release_stale_reservations import (
    ReleaseStaleReservations,
    ReleaseStaleReservationsCommand,
)
from domain.kernel.errors import DomainError
from entrypoints.cli.database import command_database
from entrypoints.cli.dev import DevFailed, dev
from entrypoints.cli.key_rotation import rotate_keys
from entrypoints.cli.processes import ServiceError
from entrypoints.cli.replication import print_status, replay
from entrypoints.cli.search import print_status as print_search_status
from entrypoints.cli.search import reindex as reindex_search
from entrypoints.cli.servers import run_migrations, serve, serve_scraper
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import ConfigError, Settings, load_settings

log = structlog.get_logger("cascade.cli")

# The long-running processes are traced; `dev` is the API process (its worker and scraper trace themselves).
TRACED = {"serve": "cascade-api", "dev": "cascade-api", "worker": "cascade-worker", "scraper": "cascade-scraper"}


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
    serve_command = commands.add_parser("serve", help="serve the REST API (settings from CASCADE_* variables)")
    # how the processes of `CASCADE_API_WORKERS` > 1 receive the socket their supervisor listens on
    serve_command.add_argument("--listening-fd", type=int, default=None, help=argparse.SUPPRESS)
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
    replication = commands.add_parser("replication", help="the search index's replication").add_subparsers(
        dest="replication_command", required=True
    )
    replication.add_parser("status", help="each sink's events behind, seconds behind and dead letters (JSON lines)")
    again = replication.add_parser("replay", help="try dead letters again: all of a sink's, or those named")
    again.add_argument("--sink", default="search", help="the sink (default search)")
    again.add_argument(
        "--event",
        type=UUID,
        action="append",
        dest="events",
        metavar="EVENT_ID",
        help="a dead letter's event id (repeat for more); none: every dead letter of the sink",
    )
    search = commands.add_parser("search", help="the search index").add_subparsers(dest="search_command", required=True)
    search.add_parser("status", help="the live index, its documents against the records, lag, last reindex (JSON)")
    search.add_parser(
        "reindex", help="rebuild the index from the records into a new one and swap it in (progress: JSON lines)"
    )
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
            serve(settings, listening_fd=args.listening_fd)
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
        elif args.command == "replication":
            with command_database(settings, f"replication {args.replication_command}") as database:
                if args.replication_command == "status":
                    print_status(database)
                else:
                    replayed = replay(database, args.sink, args.events)
                    log.info("dead_letters_replayed", sink=args.sink, count=replayed)
        elif args.command == "search":
            with command_database(settings, f"search {args.search_command}") as database:
                if args.search_command == "status":
                    print_search_status(database)
                elif not reindex_search(database):
                    return 1
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
