from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.enrichment import circuit_breaker as rules
from domain.enrichment.circuit_breaker import BreakerPolicy, BreakerState, Circuit, CircuitView
from ports.enrichment import CircuitBreaker

log = structlog.get_logger(__name__)
T = TypeVar("T")

# The state and the server's clock in one round trip: every process reads time from Redis.
READ = """
local t = redis.call('TIME')
return {redis.call('GET', KEYS[1]) or '', t[1], t[2]}
"""
# Optimistic concurrency: write only if the state is still what the caller read.
COMPARE_AND_SET = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""

Change = Callable[[BreakerState, float], tuple[T, BreakerState]]


class RedisCircuitBreaker:
    """Shared by every process: the rules of `domain.enrichment.circuit_breaker` applied to a state kept
    in Redis, written by compare-and-set. Time is the Redis server's unless a clock is given
    (tests, or a clock all processes share). When Redis fails, the in-process fallback decides.

    Results are group-committed: while one write of a provider's state is in flight, the
    results that arrive meanwhile wait in this process and go in the next write, all at
    once. Dozens of concurrent calls then cost a few writes instead of racing each other
    (compare-and-set retries with back-off) for one write each.

    A closed circuit, once read or written here, is taken as closed for `closed_lease_seconds`
    without asking Redis again: a circuit another process opened is refused here that much
    later at most (this process's own results act at once). Open and half-open circuits are
    always read, so probe slots stay shared exactly.
    """

    def __init__(
        self,
        client: Redis,
        fallback: CircuitBreaker,
        policy: BreakerPolicy | None = None,
        *,
        clock: Callable[[], float] | None = None,
        prefix: str = "cascade:cb:",
        attempts: int = 16,
        closed_lease_seconds: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._fallback = fallback
        self._policy = policy or BreakerPolicy()
        self._clock = clock
        self._prefix = prefix
        self._attempts = attempts
        self._read = client.register_script(READ)
        self._compare_and_set = client.register_script(COMPARE_AND_SET)
        self._pending: dict[str, list[bool]] = {}
        self._writing: set[str] = set()
        self._lease_seconds, self._monotonic = closed_lease_seconds, monotonic
        self._closed_until: dict[str, float] = {}

    async def allow(self, provider: str) -> bool:
        if self._monotonic() < self._closed_until.get(provider, -math.inf):
            return True

        def decide(state: BreakerState, now: float) -> tuple[tuple[bool, bool], BreakerState]:
            allowed, after = rules.allow(self._policy, state, now)
            return (allowed, after.circuit is Circuit.CLOSED), after

        try:
            # allow only writes to take a probe slot: if others keep beating us to it, stay shut
            allowed, closed = await self._change(provider, decide, contended=(False, False))
        except (RedisError, OSError) as exc:
            log.warning("circuit_breaker_degraded", provider=provider, error=type(exc).__name__)
            return await self._fallback.allow(provider)
        self._lease(provider, closed)
        return allowed

    async def record(self, provider: str, success: bool) -> None:
        self._pending.setdefault(provider, []).append(success)
        if provider in self._writing:
            return  # the write in flight takes it along on its next round
        self._writing.add(provider)
        try:
            while results := self._pending.pop(provider, []):
                await self._record_all(provider, results)
        finally:
            self._writing.discard(provider)

    async def _record_all(self, provider: str, results: list[bool]) -> None:
        def apply(state: BreakerState, now: float) -> tuple[bool, BreakerState]:
            for success in results:
                state = rules.record(self._policy, state, success, now)
            return state.circuit is Circuit.CLOSED, state

        try:
            # results lost to heavy contention barely move a window of many
            closed = await self._change(provider, apply, False)
        except (RedisError, OSError) as exc:
            self._lease(provider, False)
            log.warning("circuit_breaker_degraded", provider=provider, error=type(exc).__name__)
            for success in results:
                await self._fallback.record(provider, success)
            return
        self._lease(provider, closed)

    def _lease(self, provider: str, closed: bool) -> None:
        if closed and self._lease_seconds > 0:
            self._closed_until[provider] = self._monotonic() + self._lease_seconds
        else:
            self._closed_until.pop(provider, None)

    async def snapshot(self, provider: str) -> CircuitView:
        try:
            raw, seconds, micros = await self._read(keys=[self._prefix + provider])
        except (RedisError, OSError) as exc:
            log.warning("circuit_breaker_degraded", provider=provider, error=type(exc).__name__)
            return await self._fallback.snapshot(provider)
        return rules.view(self._policy, self._decode(provider, raw), self._time(seconds, micros))

    async def _change(self, provider: str, change: Change[T], contended: T) -> T:
        """Read, apply the rules, compare-and-set; on a lost race wait a random, growing while and redo."""
        key = self._prefix + provider
        for attempt in range(self._attempts):
            raw, seconds, micros = await self._read(keys=[key])
            state = self._decode(provider, raw)
            result, after = change(state, self._time(seconds, micros))
            if after == state:
                return result
            if await self._compare_and_set(keys=[key], args=[raw, rules.dumps(after), self._ttl_ms(after)]):
                return result
            await asyncio.sleep(random.uniform(0, min(0.001 * 2**attempt, 0.1)))  # noqa: S311  jitter, not a secret
        log.warning("circuit_breaker_contended", provider=provider, attempts=self._attempts)
        return contended

    def _decode(self, provider: str, raw: bytes | str) -> BreakerState:
        if not raw:
            return BreakerState()
        try:
            return rules.loads(raw)
        except ValueError:
            log.warning("circuit_breaker_state_unreadable", provider=provider)
            return BreakerState()  # and the next write replaces it

    def _time(self, seconds: bytes, micros: bytes) -> float:
        return self._clock() if self._clock else int(seconds) + int(micros) / 1_000_000

    def _ttl_ms(self, state: BreakerState) -> int:
        """A closed state untouched for a whole window is as good as none: let Redis drop it."""
        return math.ceil(self._policy.window_seconds * 1000) if state.circuit is Circuit.CLOSED else 0
