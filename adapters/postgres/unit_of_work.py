from __future__ import annotations

from types import TracebackType
from typing import Self

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

import adapters.postgres
from adapters.contributions import contributed
from adapters.postgres.pool import Connection
from domain.kernel.errors import ServiceUnavailable
from ports.unit_of_work import UnitOfWork

# The repositories a unit of work carries, by the attribute `UnitOfWork` names them: what the contexts of this
# adapter contribute (a contract test checks that this covers the port exactly).
REPOSITORIES = contributed(adapters.postgres, skip=__name__)


class PostgresUnitOfWork(UnitOfWork):
    """One pooled connection, one transaction; rolled back unless committed.

    The connection leaves autocommit for the unit of work: psycopg opens the
    transaction with the first statement and `rollback()` on exit is free
    when `commit()` already ended it. Work after a commit opens a new
    transaction that is rolled back unless committed too.
    """

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._conn: Connection | None = None

    async def __aenter__(self) -> Self:
        try:
            conn: Connection = await self._pool.getconn()
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise ServiceUnavailable("the database is unavailable") from exc
        await conn.set_autocommit(False)
        self._conn = conn
        for name, repository in REPOSITORIES.items():
            setattr(self, name, repository(conn))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if not conn.broken:
                    await conn.rollback()
                    await conn.set_autocommit(True)
            except psycopg.Error:
                pass
            finally:
                await self._pool.putconn(conn)
        if isinstance(exc, psycopg.OperationalError):
            raise ServiceUnavailable("the database is unavailable") from exc

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside the unit of work"
        await self._conn.commit()
