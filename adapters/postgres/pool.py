from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from domain.kernel.errors import ServiceUnavailable

Connection = psycopg.AsyncConnection[tuple[Any, ...]]
# A context's repositories in a unit of work, by the attribute the port names them, each made on the connection.
Repositories = dict[str, Callable[[Connection], object]]


async def open_pool(url: str, *, min_size: int, max_size: int, acquire_timeout: float) -> AsyncConnectionPool:
    """Open a pool of autocommit connections; a unit of work opens its own transaction."""
    pool: AsyncConnectionPool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=acquire_timeout,
        kwargs={"autocommit": True},
        open=False,
    )
    await pool.open(wait=False)
    return pool


@asynccontextmanager
async def connection(pool: AsyncConnectionPool) -> AsyncIterator[Connection]:
    """A pooled connection; an unreachable database becomes `ServiceUnavailable`."""
    try:
        async with pool.connection() as conn:
            yield conn
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise ServiceUnavailable("the database is unavailable") from exc
