"""One sliding-window suite over the in-process and the Redis rate limiters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.redis.rate_limiter import RedisRateLimiter
from ports.rate_limit import Hit, RateLimiter
from tests.support.clock import ManualClock

CLOSED_PORT = "redis://127.0.0.1:1/0"


def unique_key() -> str:
    return f"test:{uuid4().hex}"


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    client = Redis.from_url(redis_url)
    try:
        yield RedisRateLimiter(client, MemoryRateLimiter())
    finally:
        await client.aclose()


@pytest.mark.parametrize(("limit", "window"), [(1, 1), (3, 60), (5, 900)])
async def test_allows_limit_hits_then_refuses(limiter: RateLimiter, limit: int, window: int) -> None:
    key = unique_key()

    decisions = [await limiter.hit(key, limit=limit, window_seconds=window) for _ in range(limit)]
    refused = [await limiter.hit(key, limit=limit, window_seconds=window) for _ in range(2)]

    assert [d.allowed for d in decisions] == [True] * limit
    assert [d.remaining for d in decisions] == list(range(limit - 1, -1, -1))
    assert {d.retry_after_seconds for d in decisions} == {0}
    assert {d.limit for d in decisions + refused} == {limit}
    for decision in refused:
        assert not decision.allowed
        assert decision.remaining == 0
        assert 1 <= decision.retry_after_seconds <= window


async def test_keys_are_independent(limiter: RateLimiter) -> None:
    spent, fresh = unique_key(), unique_key()
    for _ in range(2):
        await limiter.hit(spent, limit=2, window_seconds=60)
    assert not (await limiter.hit(spent, limit=2, window_seconds=60)).allowed

    decision = await limiter.hit(fresh, limit=2, window_seconds=60)

    assert decision.allowed
    assert decision.remaining == 1


async def test_refusals_are_not_counted(limiter: RateLimiter) -> None:
    key = unique_key()
    await limiter.hit(key, limit=1, window_seconds=1)
    for _ in range(5):
        assert not (await limiter.hit(key, limit=1, window_seconds=1)).allowed

    await asyncio.sleep(1.1)

    # had refusals been logged as events, the window would still be full
    assert (await limiter.hit(key, limit=1, window_seconds=1)).allowed


async def test_the_window_slides(limiter: RateLimiter) -> None:
    key = unique_key()
    first = await limiter.hit(key, limit=2, window_seconds=1)
    await asyncio.sleep(0.6)
    second = await limiter.hit(key, limit=2, window_seconds=1)
    refused = await limiter.hit(key, limit=2, window_seconds=1)

    await asyncio.sleep(0.5)  # the first hit has left the window, the second has not
    after_first_expired = await limiter.hit(key, limit=2, window_seconds=1)
    still_full = await limiter.hit(key, limit=2, window_seconds=1)

    assert (first.allowed, second.allowed, refused.allowed) == (True, True, False)
    assert after_first_expired.allowed
    assert after_first_expired.remaining == 0
    assert not still_full.allowed


async def test_redis_down_falls_back_and_still_enforces_limits() -> None:
    fallback = MemoryRateLimiter()
    client = Redis.from_url(CLOSED_PORT)
    limiter = RedisRateLimiter(client, fallback)
    key = unique_key()
    try:
        allowed = [await limiter.hit(key, limit=3, window_seconds=60) for _ in range(3)]
        refused = await limiter.hit(key, limit=3, window_seconds=60)
    finally:
        await client.aclose()

    assert [d.allowed for d in allowed] == [True, True, True]
    assert [d.remaining for d in allowed] == [2, 1, 0]
    assert not refused.allowed
    assert 1 <= refused.retry_after_seconds <= 60
    # the hits were counted by the fallback itself
    assert not (await fallback.hit(key, limit=3, window_seconds=60)).allowed
    assert (await fallback.hit(unique_key(), limit=3, window_seconds=60)).allowed


async def test_redis_limiter_is_shared_between_instances(redis_url: str) -> None:
    """Replicas share one count: what one instance counted, another refuses."""
    first_client, second_client = Redis.from_url(redis_url), Redis.from_url(redis_url)
    key = unique_key()
    try:
        first = RedisRateLimiter(first_client, MemoryRateLimiter())
        second = RedisRateLimiter(second_client, MemoryRateLimiter())
        await first.hit(key, limit=2, window_seconds=60)
        await first.hit(key, limit=2, window_seconds=60)
        decision = await second.hit(key, limit=2, window_seconds=60)
    finally:
        await first_client.aclose()
        await second_client.aclose()

    assert not decision.allowed


# --- the in-process limiter, on a clock the test moves ----------------------------------------------------------


async def test_memory_limiter_retry_after_is_when_the_oldest_hit_leaves_the_window() -> None:
    clock = ManualClock()
    limiter = MemoryRateLimiter(monotonic=clock)

    assert (await limiter.hit("k", limit=2, window_seconds=10)).allowed
    clock.advance(3)
    assert (await limiter.hit("k", limit=2, window_seconds=10)).allowed
    clock.advance(1)
    refused = await limiter.hit("k", limit=2, window_seconds=10)
    clock.advance(6)  # the first hit is exactly one window old
    reopened = await limiter.hit("k", limit=2, window_seconds=10)
    clock.advance(2)
    refused_again = await limiter.hit("k", limit=2, window_seconds=10)

    assert (refused.allowed, refused.retry_after_seconds) == (False, 6)
    assert (reopened.allowed, reopened.remaining) == (True, 0)
    assert (refused_again.allowed, refused_again.retry_after_seconds) == (False, 1)


async def test_memory_limiter_evicts_expired_keys_before_live_ones() -> None:
    clock = ManualClock()
    limiter = MemoryRateLimiter(monotonic=clock, max_keys=2)
    assert (await limiter.hit("login:email:ann@example.com", limit=1, window_seconds=900)).allowed
    assert (await limiter.hit("burst:203.0.113.7", limit=1, window_seconds=1)).allowed
    clock.advance(5)  # the burst key's window is over; the login key's is not

    assert (await limiter.hit("login:email:bob@example.com", limit=1, window_seconds=900)).allowed

    # the table was full: the expired burst key had to go, not Ann's live count
    assert not (await limiter.hit("login:email:ann@example.com", limit=1, window_seconds=900)).allowed


async def test_hits_in_order_stop_at_the_first_refusal_and_count_nothing_after_it(limiter: RateLimiter) -> None:
    user, spent, workspace = unique_key(), unique_key(), unique_key()
    await limiter.hit(spent, limit=1, window_seconds=60)

    first = await limiter.hit_in_order(
        [Hit(key=user, limit=5, window_seconds=60), Hit(key=workspace, limit=3, window_seconds=60)]
    )
    assert [(d.allowed, d.remaining, d.limit) for d in first] == [(True, 4, 5), (True, 2, 3)]

    refused = await limiter.hit_in_order(
        [
            Hit(key=user, limit=5, window_seconds=60),
            Hit(key=spent, limit=1, window_seconds=60),
            Hit(key=workspace, limit=3, window_seconds=60),
        ]
    )
    assert [d.allowed for d in refused] == [True, False], "the decisions up to and including the refusal"
    assert 1 <= refused[1].retry_after_seconds <= 60
    assert (await limiter.hit(workspace, limit=3, window_seconds=60)).remaining == 1, "not counted after it"
