"""Shared state between processes: Redis when configured (limits, breakers, the cache), else per process; the API's
rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, decorate, provide
from redis.asyncio import Redis

from adapters.memory.cache import DisabledCache, MemoryCache
from adapters.memory.enrichment import MemoryCircuitBreaker
from adapters.memory.health import StaticProbe
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.redis.cache import RedisCache
from adapters.redis.circuit_breaker import RedisCircuitBreaker
from adapters.redis.health import RedisProbe
from adapters.redis.rate_limiter import RedisRateLimiter
from application.caching import CachedWorkspaceReader
from application.limits.throttle_request import Budget, RequestLimits, RouteGroup, ThrottleRequest
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.topology import Topology
from ports.cache import Cache
from ports.enrichment import CircuitBreaker
from ports.health import CacheProbe
from ports.rate_limit import RateLimiter
from ports.workspaces import WorkspaceReader


class RedisWiring(Provider):
    scope = Scope.APP

    @provide
    async def client(self, settings: Settings) -> AsyncIterator[Redis]:
        client = Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        yield client
        await client.aclose()

    @provide
    def limiter(self, client: Redis) -> RateLimiter:
        return RedisRateLimiter(client, MemoryRateLimiter())

    @provide
    def breaker(self, client: Redis) -> CircuitBreaker:
        return RedisCircuitBreaker(client, MemoryCircuitBreaker())

    @provide
    def cache_probe(self, client: Redis) -> CacheProbe:
        return RedisProbe(client)

    @provide
    def cache(self, client: Redis) -> Cache:
        # No copy in process: every replica sees a change at once through Redis.
        return RedisCache(client)


class InProcessWiring(Provider):
    """No Redis: limits hold per process. The memory profile, one process by nature, caches for the TTL;
    processes that share a database but no Redis cannot tell each other what changed, so each keeps its
    copy for `cache_local_seconds` only (or reads the source, with 0)."""

    scope = Scope.APP

    @provide
    def limiter(self) -> RateLimiter:
        return MemoryRateLimiter()

    @provide
    def breaker(self) -> CircuitBreaker:
        return MemoryCircuitBreaker()

    @provide
    def cache_probe(self) -> CacheProbe:
        return StaticProbe("redis", "not configured; rate limits are per process")

    @provide
    def cache(self, topology: Topology, settings: Settings) -> Cache:
        if topology.in_memory:
            return MemoryCache()
        if settings.cache_local_seconds <= 0:
            return DisabledCache()
        return MemoryCache(max_ttl_seconds=settings.cache_local_seconds)


class LimitsWiring(Provider):
    scope = Scope.APP
    throttle_request = provide(ThrottleRequest)

    @provide
    def request_limits(self, settings: Settings) -> RequestLimits:
        return RequestLimits(
            budgets={
                RouteGroup.AUTH: Budget(
                    per_caller=settings.rate_limits.auth_per_minute, per_workspace=settings.rate_limits.auth_per_minute
                ),
                RouteGroup.READS: Budget(
                    per_caller=settings.rate_limits.reads_per_minute,
                    per_workspace=settings.rate_limits.workspace_reads_per_minute,
                ),
                RouteGroup.WRITES: Budget(
                    per_caller=settings.rate_limits.writes_per_minute,
                    per_workspace=settings.rate_limits.workspace_writes_per_minute,
                ),
                RouteGroup.JOBS: Budget(
                    per_caller=settings.rate_limits.jobs_per_minute,
                    per_workspace=settings.rate_limits.workspace_jobs_per_minute,
                ),
            },
            window_seconds=60,
        )

    @decorate
    def cached_workspaces(self, inner: WorkspaceReader, cache: Cache) -> WorkspaceReader:
        return CachedWorkspaceReader(inner, cache)


def shared_state(topology: Topology) -> Provider:
    return RedisWiring() if topology.shared_limits else InProcessWiring()
