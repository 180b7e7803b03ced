from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ports.health import ComponentHealth


class RedisProbe:
    """Redis is optional: when it is down Cascade runs degraded, not down."""

    def __init__(self, client: Redis, *, timeout_seconds: float = 1.0) -> None:
        self._client = client
        self._timeout = timeout_seconds

    async def check(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._client.ping(), self._timeout)
        except (RedisError, OSError, TimeoutError):
            return ComponentHealth(
                name="redis",
                status="degraded",
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                detail="redis is unavailable; rate limits are per process and nothing is cached",
                required=False,
            )
        return ComponentHealth(
            name="redis", status="ok", latency_ms=round((time.perf_counter() - started) * 1000, 2), required=False
        )
