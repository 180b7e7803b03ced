from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import set_json_dumps, set_json_loads
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
        configure=_use_msgspec_for_json,
        open=False,
    )
    await pool.open(wait=False)
    return pool


async def _use_msgspec_for_json(conn: Connection) -> None:
    """`json` and `jsonb` columns decoded and encoded by msgspec: several times the standard library's speed, on
    every record row (inputs, fields, provenance)."""
    set_json_loads(msgspec.json.decode, conn)
    set_json_dumps(msgspec.json.encode, conn)


@asynccontextmanager
async def connection(pool: AsyncConnectionPool) -> AsyncIterator[Connection]:
    """A pooled connection; an unreachable database becomes `ServiceUnavailable`."""
    try:
        async with pool.connection() as conn:
            yield conn
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise ServiceUnavailable("the database is unavailable") from exc
