"""The database a command uses: the configured one, or the embedded PostgreSQL of the data dir, owned by one
command at a time (`cascade.lock`) and shared with the others."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from entrypoints.cli.data_dir import DataDir, Owner
from entrypoints.cli.embedded_postgres import EmbeddedPostgres
from entrypoints.cli.processes import ServiceError
from entrypoints.cli.servers import interrupt, require_free, run_migrations
from entrypoints.wiring.settings import ConfigError, Settings, replaced

log = structlog.get_logger("cascade.cli")

OWNER_WAIT_SECONDS = 60.0  # how long a command waits for another one to let go of the data dir


def take_data_dir(data_dir: DataDir, command: str, *, embedded_postgres: bool) -> Owner | None:
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


@contextmanager
def embedded_postgres(settings: Settings, data_dir: DataDir) -> Iterator[str]:
    """The embedded PostgreSQL of the data dir, for its owner: started, its URL recorded, stopped at the end."""
    postgres = EmbeddedPostgres(data_dir.path / "postgres", settings.embedded.postgres_port)
    if (pid := postgres.stop_leftover()) is not None:
        log.warning("stopped_leftover", process="postgres", pid=pid, reason="an earlier run did not stop it")
    require_free(postgres.port, "CASCADE_EMBEDDED_POSTGRES_PORT")
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
    if settings.database.url:
        yield settings
        return
    data_dir = DataDir(Path(settings.data_dir))
    deadline = time.monotonic() + OWNER_WAIT_SECONDS
    while (owner := take_data_dir(data_dir, command, embedded_postgres=True)) is not None:
        if not owner.embedded_postgres:
            raise ConfigError(
                f"CASCADE_DATABASE_URL: required: the cascade dev of {data_dir.path} (pid {owner.pid}) "
                "uses a database of its own"
            )
        if owner.database_url:
            log.info("using_embedded_postgres", of=f"cascade dev (pid {owner.pid})", data_dir=str(data_dir.path))
            yield replaced(settings, database_url=owner.database_url)
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"the cascade dev of {data_dir.path} (pid {owner.pid}) did not start its PostgreSQL")
        time.sleep(0.1)  # that `cascade dev` is starting it
    previous = signal.signal(signal.SIGTERM, interrupt)  # stopped, it still stops the database it started
    try:
        with embedded_postgres(settings, data_dir) as url:
            owned = replaced(settings, database_url=url)
            if command != "migrate":
                run_migrations(owned)  # the schema this code expects, as `cascade dev` would apply it
            yield owned
    finally:
        data_dir.release()
        signal.signal(signal.SIGTERM, previous)
