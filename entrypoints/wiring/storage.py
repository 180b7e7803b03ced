"""The storage technologies (memory, PostgreSQL): the unit of work, the pool, and how contexts register readers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dishka import Provider, Scope, provide
from psycopg_pool import AsyncConnectionPool

from adapters.memory.health import StaticProbe
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.postgres.health import PostgresDatabaseProbe
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.topology import Topology
from ports.health import DatabaseProbe
from ports.unit_of_work import UnitOfWork


class MemoryStorage(Provider):
    """Every store in process: the test harness and the `memory` profile."""

    scope = Scope.APP
    store = provide(MemoryStore)
    uow = provide(MemoryUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)

    @provide
    def database_probe(self) -> DatabaseProbe:
        return StaticProbe("database", "in-memory store; nothing survives a restart")


class PostgresStorage(Provider):
    scope = Scope.APP
    uow = provide(PostgresUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)

    @provide
    async def pool(self, settings: Settings) -> AsyncIterator[AsyncConnectionPool]:
        pool = await open_pool(
            settings.database.url,
            min_size=settings.database.pool_min,
            max_size=settings.database.pool_max,
            acquire_timeout=settings.database.pool_timeout,
        )
        yield pool
        await pool.close()

    @provide
    def database_probe(self, pool: AsyncConnectionPool) -> DatabaseProbe:
        return PostgresDatabaseProbe(pool)


def storage(topology: Topology) -> Provider:
    return MemoryStorage() if topology.in_memory else PostgresStorage()


def provide_reader(provider: Provider, topology: Topology, port: Any, *, memory: type, postgres: type) -> None:
    """A context's read side: the memory or the PostgreSQL adapter of `port`, whichever storage is in use."""
    provider.provide(memory if topology.in_memory else postgres, provides=port, scope=Scope.APP)
