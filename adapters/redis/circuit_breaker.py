from __future__ import annotations

import asyncio
import math
import random
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

    async def allow(self, provider: str) -> bool:
        try:
            # allow only writes to take a probe slot: if others keep beating us to it, stay shut
            return await self._change(provider, lambda s, now: rules.allow(self._policy, s, now), contended=False)
        except (RedisError, OSError) as exc:
            log.warning("circuit_breaker_degraded", provider=provider, error=type(exc).__name__)
            return await self._fallback.allow(provider)

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
        def apply(state: BreakerState, now: float) -> tuple[None, BreakerState]:
            for success in results:
                state = rules.record(self._policy, state, success, now)
            return None, state

        try:
            # results lost to heavy contention barely move a window of many
            await self._change(provider, apply, None)
        except (RedisError, OSError) as exc:
            log.warning("circuit_breaker_degraded", provider=provider, error=type(exc).__name__)
            for success in results:
                await self._fallback.record(provider, success)

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
