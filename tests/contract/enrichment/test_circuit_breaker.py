"""One circuit breaker suite over the in-process and the Redis breakers, on a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from adapters.memory.enrichment import MemoryCircuitBreaker
from adapters.redis.circuit_breaker import RedisCircuitBreaker
from domain.enrichment.circuit_breaker import BreakerPolicy, Circuit
from ports.enrichment import CircuitBreaker
from tests.support.clock import ManualClock

CLOSED_PORT = "redis://127.0.0.1:1/0"
POLICY = BreakerPolicy()  # 60 s window in 10 buckets, 10 calls, 50 %, open 30 s, 1 probe
MakeBreaker = Callable[..., CircuitBreaker]


def unique_provider() -> str:
    return f"test-{uuid4().hex}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["memory", "redis"])
async def make_breaker(request: pytest.FixtureRequest, clock: ManualClock) -> AsyncIterator[MakeBreaker]:
    """Builds breakers of one kind on the test's clock; Redis ones share one server."""
    if request.param == "memory":
        yield lambda policy=POLICY: MemoryCircuitBreaker(policy, monotonic=clock)
        return
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield lambda policy=POLICY: RedisCircuitBreaker(client, MemoryCircuitBreaker(policy), policy, clock=clock)
    finally:
        await client.aclose()


@pytest.fixture
def breaker(make_breaker: MakeBreaker) -> CircuitBreaker:
    return make_breaker()


async def record_many(breaker: CircuitBreaker, provider: str, *, successes: int = 0, failures: int = 0) -> None:
    for success in [True] * successes + [False] * failures:
        assert await breaker.allow(provider)
        await breaker.record(provider, success)


async def open_circuit(breaker: CircuitBreaker, provider: str) -> None:
    await record_many(breaker, provider, failures=POLICY.minimum_calls)
    assert (await breaker.snapshot(provider)).circuit is Circuit.OPEN


async def test_a_provider_never_seen_is_closed(breaker: CircuitBreaker) -> None:
    provider = unique_provider()

    view = await breaker.snapshot(provider)

    assert (view.circuit, view.calls, view.failures, view.failure_rate) == (Circuit.CLOSED, 0, 0, 0.0)
    assert view.seconds_until_probe is None
    assert await breaker.allow(provider)


async def test_stays_closed_below_the_minimum_number_of_calls(breaker: CircuitBreaker) -> None:
    provider = unique_provider()

    await record_many(breaker, provider, failures=POLICY.minimum_calls - 1)

    view = await breaker.snapshot(provider)
    assert (view.circuit, view.calls, view.failures, view.failure_rate) == (Circuit.CLOSED, 9, 9, 1.0)
    assert await breaker.allow(provider)


async def test_stays_closed_below_the_failure_rate(breaker: CircuitBreaker) -> None:
    provider = unique_provider()

    await record_many(breaker, provider, successes=11, failures=10)

    view = await breaker.snapshot(provider)
    assert (view.circuit, view.calls, view.failures) == (Circuit.CLOSED, 21, 10)
    assert view.failure_rate == pytest.approx(10 / 21)


async def test_opens_once_both_thresholds_are_crossed(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await record_many(breaker, provider, successes=5, failures=4)
    assert (await breaker.snapshot(provider)).circuit is Circuit.CLOSED

    clock.advance(1)
    await record_many(breaker, provider, failures=1)  # 10 calls, 50 % failed

    view = await breaker.snapshot(provider)
    assert (view.circuit, view.calls, view.failures, view.seconds_until_probe) == (Circuit.OPEN, 10, 5, 30.0)
    assert not await breaker.allow(provider)


async def test_refuses_every_call_until_open_seconds_have_passed(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await open_circuit(breaker, provider)

    refused = []
    for _ in range(6):
        clock.advance(4.99)
        refused.append(await breaker.allow(provider))
    seconds_left = (await breaker.snapshot(provider)).seconds_until_probe

    assert refused == [False] * 6
    assert seconds_left == pytest.approx(0.06)


async def test_half_open_lets_one_probe_through(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await open_circuit(breaker, provider)
    clock.advance(POLICY.open_seconds)
    assert (await breaker.snapshot(provider)).circuit is Circuit.HALF_OPEN

    decisions = [await breaker.allow(provider) for _ in range(3)]

    assert decisions == [True, False, False]


async def test_half_open_allows_as_many_probes_as_the_policy_says(
    make_breaker: MakeBreaker, clock: ManualClock
) -> None:
    breaker = make_breaker(BreakerPolicy(minimum_calls=2, half_open_probes=3))
    provider = unique_provider()
    await record_many(breaker, provider, failures=2)
    clock.advance(POLICY.open_seconds)

    decisions = [await breaker.allow(provider) for _ in range(5)]

    assert decisions == [True, True, True, False, False]


async def test_a_probe_success_closes_on_an_empty_window(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await open_circuit(breaker, provider)
    clock.advance(POLICY.open_seconds)
    assert await breaker.allow(provider)

    await breaker.record(provider, True)

    view = await breaker.snapshot(provider)
    assert (view.circuit, view.calls) == (Circuit.CLOSED, 0)
    assert [await breaker.allow(provider) for _ in range(3)] == [True] * 3


async def test_a_probe_failure_opens_again(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await open_circuit(breaker, provider)
    clock.advance(POLICY.open_seconds)
    assert await breaker.allow(provider)
    clock.advance(2)

    await breaker.record(provider, False)

    view = await breaker.snapshot(provider)
    assert (view.circuit, view.seconds_until_probe) == (Circuit.OPEN, 30.0)
    assert not await breaker.allow(provider)


async def test_a_probe_never_answered_gives_its_slot_back(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await open_circuit(breaker, provider)
    clock.advance(POLICY.open_seconds)
    assert await breaker.allow(provider)  # the caller dies without recording
    clock.advance(POLICY.open_seconds - 1)
    assert not await breaker.allow(provider)

    clock.advance(1)

    assert await breaker.allow(provider)


async def test_results_of_calls_started_before_opening_are_not_counted(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    provider = unique_provider()
    await open_circuit(breaker, provider)

    for _ in range(20):
        await breaker.record(provider, True)
    clock.advance(POLICY.open_seconds)
    await breaker.record(provider, True)  # half-open, but no probe is out

    assert (await breaker.snapshot(provider)).circuit is Circuit.HALF_OPEN


async def test_old_results_leave_the_window(breaker: CircuitBreaker, clock: ManualClock) -> None:
    provider = unique_provider()
    await record_many(breaker, provider, failures=5)
    clock.advance(50)
    await record_many(breaker, provider, successes=4)
    clock.advance(10)  # the five failures are one window old

    await record_many(breaker, provider, failures=1)

    # counting the old failures, that would be 6 of 10 and open
    view = await breaker.snapshot(provider)
    assert (view.circuit, view.calls, view.failures) == (Circuit.CLOSED, 5, 1)


async def test_providers_are_independent(breaker: CircuitBreaker) -> None:
    failing, healthy = unique_provider(), unique_provider()

    await open_circuit(breaker, failing)

    assert await breaker.allow(healthy)
    assert (await breaker.snapshot(healthy)).calls == 0


# --- Redis only: shared state, server time, concurrency, failure ------------------------------------------------


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_redis_breakers_share_state_between_instances(redis_url: str, clock: ManualClock) -> None:
    """Processes share one breaker: what one opened, the other refuses; the probe one takes, the other cannot."""
    first_client, second_client = Redis.from_url(redis_url), Redis.from_url(redis_url)
    first = RedisCircuitBreaker(first_client, MemoryCircuitBreaker(), clock=clock)
    second = RedisCircuitBreaker(second_client, MemoryCircuitBreaker(), clock=clock)
    provider = unique_provider()
    try:
        await open_circuit(first, provider)
        seen_open = await second.snapshot(provider)
        refused = await second.allow(provider)
        clock.advance(POLICY.open_seconds)
        probe_first, probe_second = await first.allow(provider), await second.allow(provider)
        await first.record(provider, True)
        closed_for_second = await second.allow(provider)
    finally:
        await first_client.aclose()
        await second_client.aclose()

    assert (seen_open.circuit, seen_open.failures) == (Circuit.OPEN, POLICY.minimum_calls)
    assert not refused
    assert (probe_first, probe_second) == (True, False)
    assert closed_for_second


async def test_a_closed_circuit_is_leased_for_a_moment_then_read_again(redis_url: str, clock: ManualClock) -> None:
    """A circuit read closed is not read again for `closed_lease_seconds`: another process opening it is seen
    that much later at most; this process's own results act at once."""
    first_client, second_client = Redis.from_url(redis_url), Redis.from_url(redis_url)
    first = RedisCircuitBreaker(first_client, MemoryCircuitBreaker(), clock=clock, monotonic=clock)
    second = RedisCircuitBreaker(
        second_client, MemoryCircuitBreaker(), clock=clock, closed_lease_seconds=0.5, monotonic=clock
    )
    provider = unique_provider()
    try:
        assert await second.allow(provider)
        await open_circuit(first, provider)
        within_the_lease = await second.allow(provider)
        clock.advance(0.5)
        after_it = await second.allow(provider)
        own = unique_provider()
        assert await second.allow(own)
        for _ in range(POLICY.minimum_calls):
            await second.record(own, False)
        refused_at_once = await second.allow(own)
    finally:
        await first_client.aclose()
        await second_client.aclose()

    assert (within_the_lease, after_it) == (True, False)
    assert not refused_at_once


async def test_redis_breaker_on_server_time(redis_client: Redis) -> None:
    policy = BreakerPolicy(minimum_calls=2, open_seconds=0.3)
    first = RedisCircuitBreaker(redis_client, MemoryCircuitBreaker(policy), policy)
    second = RedisCircuitBreaker(redis_client, MemoryCircuitBreaker(policy), policy)
    provider = unique_provider()
    await record_many(first, provider, failures=2)

    view = await second.snapshot(provider)
    refused = await second.allow(provider)
    await asyncio.sleep(0.35)
    probe = await second.allow(provider)

    assert view.circuit is Circuit.OPEN
    assert 0 < view.seconds_until_probe <= 0.3  # type: ignore[operator]
    assert not refused
    assert probe


async def test_redis_breaker_loses_no_result_to_concurrent_writers(redis_url: str, clock: ManualClock) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(3)]
    policy = BreakerPolicy(minimum_calls=1_000)
    breakers = [RedisCircuitBreaker(c, MemoryCircuitBreaker(policy), policy, clock=clock) for c in clients]
    provider = unique_provider()
    try:
        await asyncio.gather(*(breakers[i % 3].record(provider, i % 4 == 0) for i in range(60)))
        view = await breakers[0].snapshot(provider)
    finally:
        for client in clients:
            await client.aclose()

    assert (view.calls, view.failures) == (60, 45)


async def test_redis_breaker_hands_out_each_probe_slot_once(redis_url: str, clock: ManualClock) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(3)]
    policy = BreakerPolicy(minimum_calls=1, half_open_probes=2)
    breakers = [RedisCircuitBreaker(c, MemoryCircuitBreaker(policy), policy, clock=clock) for c in clients]
    provider = unique_provider()
    try:
        await breakers[0].record(provider, False)
        clock.advance(policy.open_seconds)
        decisions = await asyncio.gather(*(breakers[i % 3].allow(provider) for i in range(30)))
    finally:
        for client in clients:
            await client.aclose()

    assert decisions.count(True) == 2


async def test_redis_breaker_replaces_a_state_it_cannot_read(redis_client: Redis, clock: ManualClock) -> None:
    breaker = RedisCircuitBreaker(redis_client, MemoryCircuitBreaker(), clock=clock)
    provider = unique_provider()
    await redis_client.set(f"cascade:cb:{provider}", b"\xff not json")

    before = await breaker.snapshot(provider)
    await breaker.record(provider, False)

    assert (before.circuit, before.calls) == (Circuit.CLOSED, 0)
    assert (await breaker.snapshot(provider)).failures == 1


async def test_redis_keeps_a_closed_state_for_one_window_and_an_open_one_until_it_closes(
    redis_client: Redis, clock: ManualClock
) -> None:
    breaker = RedisCircuitBreaker(redis_client, MemoryCircuitBreaker(), clock=clock)
    provider = unique_provider()
    key = f"cascade:cb:{provider}"

    await breaker.record(provider, False)
    closed_ttl = await redis_client.pttl(key)
    await record_many(breaker, provider, failures=POLICY.minimum_calls - 1)
    open_ttl = await redis_client.pttl(key)

    assert 0 < closed_ttl <= POLICY.window_seconds * 1000
    assert open_ttl == -1  # no expiry


async def test_redis_down_falls_back_without_raising(clock: ManualClock) -> None:
    fallback = MemoryCircuitBreaker(monotonic=clock)
    client = Redis.from_url(CLOSED_PORT, socket_connect_timeout=0.5)
    breaker = RedisCircuitBreaker(client, fallback, clock=clock)
    provider = unique_provider()
    try:
        await open_circuit(breaker, provider)
        refused = await breaker.allow(provider)
        view = await breaker.snapshot(provider)
    finally:
        await client.aclose()

    assert not refused
    assert (view.circuit, view.failures) == (Circuit.OPEN, POLICY.minimum_calls)
    # the results were counted by the fallback itself
    assert (await fallback.snapshot(provider)).circuit is Circuit.OPEN
    assert await fallback.allow(unique_provider())
