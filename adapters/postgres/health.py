from __future__ import annotations

import asyncio
import time

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection
from domain.kernel.errors import ServiceUnavailable
from ports.health import ComponentHealth

PING = "SELECT 1"


class PostgresDatabaseProbe:
    def __init__(self, pool: AsyncConnectionPool, *, timeout_seconds: float = 2.0) -> None:
        self._pool = pool
        self._timeout = timeout_seconds

    async def check(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._ping(), self._timeout)
        except (ServiceUnavailable, TimeoutError):
            return ComponentHealth(
                name="database", status="down", latency_ms=_since(started), detail="the database is unavailable"
            )
        return ComponentHealth(name="database", status="ok", latency_ms=_since(started))

    async def _ping(self) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(PING)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
