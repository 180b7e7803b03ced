from __future__ import annotations

from abc import abstractmethod
from typing import Protocol, TypeVar

T = TypeVar("T")


class Cache(Protocol):
    """Values kept for a while under a key; shared by every process when backed by Redis.

    Never the source of truth: any read may miss (expired, evicted, or the backend is down) and
    every caller works without it; a backend that fails is a miss, never an error. Values are
    bytes or anything msgspec encodes (dataclasses, enums, UUIDs, datetimes, lists, dicts);
    `get` decodes into the type asked, and a value that does not decode into it is a miss.
    """

    @abstractmethod
    async def get(self, key: str, kind: type[T]) -> T | None: ...

    @abstractmethod
    async def set(self, key: str, value: object, *, ttl_seconds: float, if_absent: bool = False) -> bool:
        """Keep `value` for `ttl_seconds`; with `if_absent` only if the key holds nothing, not even a
        held delete (a read filling the cache must not overwrite newer news). Say if it was stored."""

    @abstractmethod
    async def delete(self, *keys: str, hold_seconds: float = 0.0) -> None:
        """Forget the keys. With `hold_seconds`, `if_absent` sets of them are refused for that long, so
        a read that began before the change being announced cannot put the old value back."""
