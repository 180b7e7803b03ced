"""One suite over the in-process and the Redis caches, and how the Redis one lives through an outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from adapters.memory.cache import DisabledCache, MemoryCache
from adapters.redis.cache import RedisCache
from adapters.redis.outage import RedisOutage
from domain.kernel.permissions import Role
from ports.cache import Cache
from tests.support.clock import ManualClock

CLOSED_PORT = "redis://127.0.0.1:1/0"


@dataclass(slots=True, kw_only=True, frozen=True)
class Profile:
    id: UUID
    name: str
    role: Role | None
    seen_at: datetime
    tags: tuple[str, ...] = ()


def unique_key() -> str:
    return f"test:{uuid4().hex}"


@pytest.fixture(params=["memory", "memory-capped", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param.startswith("memory"):
        yield MemoryCache(max_ttl_seconds=60) if request.param == "memory-capped" else MemoryCache()
        return
    client = Redis.from_url(request.getfixturevalue("clean_redis"))
    try:
        yield RedisCache(client)
    finally:
        await client.aclose()


async def test_a_key_never_set_is_a_miss(cache: Cache) -> None:
    assert await cache.get(unique_key(), bytes) is None


async def test_values_come_back_as_the_type_asked(cache: Cache) -> None:
    profile = Profile(id=uuid4(), name="Ann", role=Role.ADMIN, seen_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    cases: list[tuple[object, type]] = [
        (b"\x00raw\xc1bytes", bytes),
        (profile, Profile),
        (Profile(id=uuid4(), name="Bob", role=None, seen_at=profile.seen_at, tags=("a", "b")), Profile),
        ([1, 2, 3], list[int]),
        (Role.VIEWER, Role),
        ("text", str),
    ]
    for value, kind in cases:
        key = unique_key()
        assert await cache.set(key, value, ttl_seconds=60)
        assert await cache.get(key, kind) == value


async def test_a_value_that_does_not_decode_into_the_type_asked_is_a_miss(cache: Cache) -> None:
    key = unique_key()
    await cache.set(key, {"unexpected": "shape"}, ttl_seconds=60)

    assert await cache.get(key, Profile) is None
    assert await cache.get(key, dict[str, str]) == {"unexpected": "shape"}


async def test_entries_expire_after_their_ttl(cache: Cache) -> None:
    short, long = unique_key(), unique_key()
    await cache.set(short, b"soon gone", ttl_seconds=0.3)
    await cache.set(long, b"still here", ttl_seconds=30)

    await asyncio.sleep(0.5)

    assert await cache.get(short, bytes) is None
    assert await cache.get(long, bytes) == b"still here"
    assert await cache.set(short, b"a fill", ttl_seconds=30, if_absent=True), "an expired key is empty again"


async def test_set_overwrites_but_a_fill_never_does(cache: Cache) -> None:
    key = unique_key()
    assert await cache.set(key, b"first", ttl_seconds=60, if_absent=True)
    assert not await cache.set(key, b"stale fill", ttl_seconds=60, if_absent=True)
    assert await cache.get(key, bytes) == b"first"

    assert await cache.set(key, b"second", ttl_seconds=60)
    assert await cache.get(key, bytes) == b"second"


async def test_delete_forgets_the_keys_it_names_and_nothing_else(cache: Cache) -> None:
    gone, also_gone, kept = unique_key(), unique_key(), unique_key()
    for key in (gone, also_gone, kept):
        await cache.set(key, b"v", ttl_seconds=60)

    await cache.delete(gone, also_gone, unique_key())  # an unknown key is fine
    await cache.delete()  # and so is none

    assert await cache.get(gone, bytes) is None
    assert await cache.get(also_gone, bytes) is None
    assert await cache.get(kept, bytes) == b"v"
    assert await cache.set(gone, b"refilled", ttl_seconds=60, if_absent=True)


async def test_a_held_delete_refuses_fills_until_the_hold_ends(cache: Cache) -> None:
    key = unique_key()
    await cache.set(key, b"old", ttl_seconds=60)

    await cache.delete(key, hold_seconds=0.4)

    assert await cache.get(key, bytes) is None, "held is a miss"
    assert not await cache.set(key, b"old again, from a read that began before", ttl_seconds=60, if_absent=True)
    assert await cache.get(key, bytes) is None
    await asyncio.sleep(0.6)
    assert await cache.set(key, b"new", ttl_seconds=60, if_absent=True)
    assert await cache.get(key, bytes) == b"new"


async def test_a_plain_set_replaces_a_held_delete(cache: Cache) -> None:
    key = unique_key()
    await cache.delete(key, hold_seconds=30)

    assert await cache.set(key, b"the news itself", ttl_seconds=60)
    assert await cache.get(key, bytes) == b"the news itself"


# --- Redis: shared, and never an error ---------------------------------------------------------------------------


async def test_redis_cache_is_shared_between_processes(clean_redis: str) -> None:
    first_client, second_client = Redis.from_url(clean_redis), Redis.from_url(clean_redis)
    key = unique_key()
    try:
        first, second = RedisCache(first_client), RedisCache(second_client)
        await first.set(key, b"from one replica", ttl_seconds=60)
        seen = await second.get(key, bytes)
        await second.delete(key, hold_seconds=5)
        refused = await first.set(key, b"a stale fill", ttl_seconds=60, if_absent=True)
    finally:
        await first_client.aclose()
        await second_client.aclose()

    assert seen == b"from one replica"
    assert not refused


async def test_redis_down_is_a_miss_and_nothing_is_raised() -> None:
    client = Redis.from_url(CLOSED_PORT, socket_connect_timeout=0.5)
    cache = RedisCache(client, outage=RedisOutage("cache", retry_seconds=0))
    key = unique_key()
    try:
        assert not await cache.set(key, b"v", ttl_seconds=60)
        assert await cache.get(key, bytes) is None
        await cache.delete(key, hold_seconds=10)
        await cache.delete(key)
    finally:
        await client.aclose()


async def test_an_outage_is_logged_once_per_interval_not_once_per_call() -> None:
    client = Redis.from_url(CLOSED_PORT, socket_connect_timeout=0.5)
    cache = RedisCache(client, outage=RedisOutage("cache", retry_seconds=0, log_every_seconds=60))
    try:
        with capture_logs() as logs:
            for _ in range(5):
                await cache.get(unique_key(), bytes)
                await cache.set(unique_key(), b"v", ttl_seconds=60)
    finally:
        await client.aclose()

    degraded = [entry for entry in logs if entry["event"] == "cache_degraded"]
    assert len(degraded) == 1
    assert degraded[0]["log_level"] == "warning"
    assert degraded[0]["error"] == "ConnectionError"


async def test_after_a_failure_redis_is_left_alone_for_a_while() -> None:
    """The fallback answers at once instead of each call waiting for its own timeout."""
    clock = ManualClock()
    outage = RedisOutage("cache", retry_seconds=5, monotonic=clock)
    client = Redis.from_url(CLOSED_PORT, socket_connect_timeout=0.5)
    cache = RedisCache(client, outage=outage)
    try:
        await cache.get(unique_key(), bytes)
        assert outage.down
        assert not outage.may_try()
        clock.advance(5)
        assert outage.may_try()
    finally:
        await client.aclose()


# --- the in-process cache, on a clock the test moves -------------------------------------------------------------


async def test_memory_cache_honours_ttls_to_the_millisecond() -> None:
    clock = ManualClock()
    cache = MemoryCache(monotonic=clock)
    await cache.set("k", b"v", ttl_seconds=300)

    clock.advance(299.999)
    assert await cache.get("k", bytes) == b"v"
    clock.advance(0.001)
    assert await cache.get("k", bytes) is None


async def test_memory_cache_evicts_the_expired_before_the_live() -> None:
    clock = ManualClock()
    cache = MemoryCache(monotonic=clock, max_entries=3)
    await cache.set("short", b"s", ttl_seconds=1)
    await cache.set("live-1", b"1", ttl_seconds=900)
    await cache.set("live-2", b"2", ttl_seconds=900)
    clock.advance(5)

    await cache.set("live-3", b"3", ttl_seconds=900)

    assert [await cache.get(k, bytes) for k in ("live-1", "live-2", "live-3")] == [b"1", b"2", b"3"]


async def test_memory_cache_full_of_live_entries_drops_the_oldest_written() -> None:
    cache = MemoryCache(monotonic=ManualClock(), max_entries=3)
    for key in ("a", "b", "c"):
        await cache.set(key, key.encode(), ttl_seconds=900)
    await cache.set("a", b"rewritten", ttl_seconds=900)  # now the newest

    await cache.set("d", b"d", ttl_seconds=900)

    assert await cache.get("b", bytes) is None
    assert [await cache.get(k, bytes) for k in ("a", "c", "d")] == [b"rewritten", b"c", b"d"]


async def test_disabled_cache_keeps_nothing() -> None:
    cache = DisabledCache()

    assert not await cache.set("k", b"v", ttl_seconds=60)
    assert await cache.get("k", bytes) is None
    await cache.delete("k", hold_seconds=5)


async def test_a_capped_cache_keeps_nothing_longer_than_its_bound() -> None:
    """Without Redis each process caches for at most its bound: what another process changed shows by then."""
    clock = ManualClock()
    cache = MemoryCache(monotonic=clock, max_ttl_seconds=2)
    key = unique_key()
    await cache.set(key, b"member", ttl_seconds=300)
    clock.advance(1.99)
    assert await cache.get(key, bytes) == b"member"
    clock.advance(0.02)
    assert await cache.get(key, bytes) is None
    await cache.delete(key, hold_seconds=10)
    assert not await cache.set(key, b"member", ttl_seconds=300, if_absent=True), "a hold is not cut to the bound"
