from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

import msgspec

from ports.cache import Cache

T = TypeVar("T")

# 0xc1 is the one byte msgpack never writes: it marks a key deleted and held (see `Cache.delete`).
HELD = b"\xc1"


def encode(value: object) -> bytes:
    """How every cache adapter stores a value, so memory and Redis behave alike."""
    return msgspec.msgpack.encode(value)


def decode(raw: bytes, kind: type[T]) -> T | None:
    if raw == HELD:
        return None
    try:
        return msgspec.msgpack.decode(raw, type=kind)
    except msgspec.DecodeError:  # written by another version of the code: a miss, not an error
        return None


def ttl_ms(seconds: float) -> int:
    return max(math.ceil(seconds * 1000), 1)


class MemoryCache:
    """The cache of one process: the `memory` profile and the tests. Entries expire on their TTL;
    past `max_entries` the expired go first, then the oldest written."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic, max_entries: int = 100_000) -> None:
        self._now = monotonic
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, bytes]] = {}  # key -> (expires at, encoded value)

    async def get(self, key: str, kind: type[T]) -> T | None:
        raw = self._live(key)
        return None if raw is None else decode(raw, kind)

    async def set(self, key: str, value: object, *, ttl_seconds: float, if_absent: bool = False) -> bool:
        if if_absent and self._live(key) is not None:
            return False
        self._store(key, encode(value), ttl_seconds)
        return True

    async def delete(self, *keys: str, hold_seconds: float = 0.0) -> None:
        for key in keys:
            if hold_seconds > 0:
                self._store(key, HELD, hold_seconds)
            else:
                self._entries.pop(key, None)

    def _live(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._now():
            del self._entries[key]
            return None
        return entry[1]

    def _store(self, key: str, raw: bytes, ttl_seconds: float) -> None:
        self._entries.pop(key, None)  # re-inserted last: the dict's order is the order of writes
        if len(self._entries) >= self._max_entries:
            self._evict()
        self._entries[key] = (self._now() + ttl_ms(ttl_seconds) / 1000, raw)

    def _evict(self) -> None:
        now = self._now()
        expired = [key for key, (expires, _) in self._entries.items() if expires <= now]
        for key in expired or list(self._entries)[: max(len(self._entries) // 10, 1)]:
            del self._entries[key]


class DisabledCache:
    """No cache at all: processes that share a database but no Redis could not tell each other
    what changed, so they read everything from the source."""

    async def get(self, key: str, kind: type[T]) -> T | None:
        return None

    async def set(self, key: str, value: object, *, ttl_seconds: float, if_absent: bool = False) -> bool:
        return False

    async def delete(self, *keys: str, hold_seconds: float = 0.0) -> None:
        return None


class LocalFirstCache:
    """A short-lived copy in this process in front of a shared cache, or of none (what runs without Redis).

    A read this process made in the last `local_seconds` is answered without a round trip; a change deletes
    the keys here and in the shared cache, so this process sees it at once and every other within
    `local_seconds` (what a copy may lag behind, whatever TTL the value has). Without a shared cache the copy
    is all there is: processes that share a database but no Redis each cache for that long.
    """

    def __init__(
        self,
        shared: Cache | None,
        *,
        local_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        self._shared = shared
        self._seconds = local_seconds
        self._local = MemoryCache(monotonic=monotonic, max_entries=max_entries)

    async def get(self, key: str, kind: type[T]) -> T | None:
        value = await self._local.get(key, kind)
        if value is not None or self._shared is None:
            return value
        value = await self._shared.get(key, kind)
        if value is not None:
            await self._local.set(key, value, ttl_seconds=self._seconds, if_absent=True)
        return value

    async def set(self, key: str, value: object, *, ttl_seconds: float, if_absent: bool = False) -> bool:
        if self._shared is not None and not await self._shared.set(
            key, value, ttl_seconds=ttl_seconds, if_absent=if_absent
        ):
            return False
        return await self._local.set(key, value, ttl_seconds=min(ttl_seconds, self._seconds), if_absent=if_absent)

    async def delete(self, *keys: str, hold_seconds: float = 0.0) -> None:
        await self._local.delete(*keys, hold_seconds=hold_seconds)
        if self._shared is not None:
            await self._shared.delete(*keys, hold_seconds=hold_seconds)
