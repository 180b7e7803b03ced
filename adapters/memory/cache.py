from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

import msgspec

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
    """The cache of one process: the `memory` profile, the tests, and each process of the `local` profile without
    Redis. Entries expire on their TTL, or after `max_ttl_seconds` if that is sooner: processes that share a
    database but no cache cannot tell each other what changed, so that is the bound within which each sees
    another's change (its own at once). Past `max_entries` the expired go first, then the oldest written."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
        max_ttl_seconds: float = math.inf,
    ) -> None:
        self._now = monotonic
        self._max_entries = max_entries
        self._max_ttl = max_ttl_seconds
        self._entries: dict[str, tuple[float, bytes]] = {}  # key -> (expires at, encoded value)

    async def get(self, key: str, kind: type[T]) -> T | None:
        raw = self._live(key)
        return None if raw is None else decode(raw, kind)

    async def set(self, key: str, value: object, *, ttl_seconds: float, if_absent: bool = False) -> bool:
        if if_absent and self._live(key) is not None:
            return False
        self._store(key, encode(value), min(ttl_seconds, self._max_ttl))
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
