from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.memory.cache import HELD, decode, encode, ttl_ms
from adapters.redis.outage import RedisOutage

T = TypeVar("T")
_FAILED: Any = object()


class RedisCache:
    """The cache every process shares.

    A Redis that fails is a miss: reads answer None, writes are dropped, nothing reaches the
    caller (see `RedisOutage` for the log and the pause before trying again). Deletes are the
    exception: one that cannot reach Redis is kept and sent first, before anything else, when Redis
    answers again, or an entry a change made stale would outlive the outage. Past `max_pending`
    kept deletes, the whole cache is dropped on recovery instead.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "cascade:cache:",
        outage: RedisOutage | None = None,
        max_pending: int = 10_000,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._outage = outage or RedisOutage("cache")
        self._max_pending = max_pending
        self._pending: dict[str, float] = {}  # key -> hold seconds of a delete Redis has not seen yet
        self._drop_all = False
        self._replaying = asyncio.Lock()

    async def get(self, key: str, kind: type[T]) -> T | None:
        raw = await self._call(lambda: self._client.get(self._prefix + key))
        return None if raw is _FAILED or raw is None else decode(raw, kind)

    async def set(self, key: str, value: object, *, ttl_seconds: float, if_absent: bool = False) -> bool:
        raw = encode(value)
        stored = await self._call(
            lambda: self._client.set(self._prefix + key, raw, px=ttl_ms(ttl_seconds), nx=if_absent)
        )
        return stored is not _FAILED and bool(stored)

    async def delete(self, *keys: str, hold_seconds: float = 0.0) -> None:
        if keys and await self._call(lambda: self._delete(dict.fromkeys(keys, hold_seconds))) is _FAILED:
            self._keep(keys, hold_seconds)

    async def _call(self, operation: Callable[[], Awaitable[Any]]) -> Any:
        if not self._outage.may_try():
            return _FAILED
        try:
            if self._pending or self._drop_all:
                async with self._replaying:
                    await self._replay()
            result = await operation()
        except (RedisError, OSError) as exc:
            self._outage.failed(exc)
            return _FAILED
        self._outage.succeeded()
        return result

    async def _delete(self, holds: dict[str, float]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for key, hold in holds.items():
                if hold > 0:
                    pipe.set(self._prefix + key, HELD, px=ttl_ms(hold))
                else:
                    pipe.delete(self._prefix + key)
            await pipe.execute()

    async def _replay(self) -> None:
        if self._drop_all:
            batch: list[Any] = []
            async for name in self._client.scan_iter(match=self._prefix + "*", count=1000):
                batch.append(name)
                if len(batch) >= 1000:
                    await self._client.unlink(*batch)
                    batch = []
            if batch:
                await self._client.unlink(*batch)
            self._drop_all = False
        pending, self._pending = self._pending, {}
        try:
            if pending:
                await self._delete(pending)
        except BaseException:
            for key, hold in pending.items():
                self._keep((key,), hold)
            raise

    def _keep(self, keys: tuple[str, ...], hold_seconds: float) -> None:
        if self._drop_all:
            return  # dropping everything covers these
        for key in keys:
            self._pending[key] = max(self._pending.get(key, 0.0), hold_seconds)
        if len(self._pending) > self._max_pending:
            self._pending.clear()
            self._drop_all = True
