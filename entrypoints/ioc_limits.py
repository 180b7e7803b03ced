"""dishka wiring of the cache and of the API's rate limits."""

from __future__ import annotations

from dishka import Provider, Scope, decorate, provide
from redis.asyncio import Redis

from adapters.memory.cache import DisabledCache, MemoryCache
from adapters.redis.cache import RedisCache
from application.caching import CachedWorkspaceReader
from application.limits.throttle_request import Budget, RequestLimits, RouteGroup, ThrottleRequest
from entrypoints.config import Settings
from ports.cache import Cache
from ports.workspaces import WorkspaceReader


class RedisCacheWiring(Provider):
    scope = Scope.APP

    @provide
    def cache(self, client: Redis) -> Cache:
        return RedisCache(client)


class InProcessCacheWiring(Provider):
    """No Redis: only the memory profile, one process by nature, may cache. Processes that share a
    database but no Redis could not tell each other what changed, so they read from the source."""

    scope = Scope.APP

    @provide
    def cache(self, settings: Settings) -> Cache:
        return MemoryCache() if settings.profile == "memory" else DisabledCache()


class LimitsWiring(Provider):
    scope = Scope.APP
    throttle_request = provide(ThrottleRequest)

    @provide
    def request_limits(self, settings: Settings) -> RequestLimits:
        return RequestLimits(
            budgets={
                RouteGroup.AUTH: Budget(
                    per_caller=settings.rate_limit_auth_per_minute, per_workspace=settings.rate_limit_auth_per_minute
                ),
                RouteGroup.READS: Budget(
                    per_caller=settings.rate_limit_reads_per_minute,
                    per_workspace=settings.rate_limit_workspace_reads_per_minute,
                ),
                RouteGroup.WRITES: Budget(
                    per_caller=settings.rate_limit_writes_per_minute,
                    per_workspace=settings.rate_limit_workspace_writes_per_minute,
                ),
                RouteGroup.JOBS: Budget(
                    per_caller=settings.rate_limit_jobs_per_minute,
                    per_workspace=settings.rate_limit_workspace_jobs_per_minute,
                ),
            },
            window_seconds=60,
        )

    @decorate
    def cached_workspaces(self, inner: WorkspaceReader, cache: Cache) -> WorkspaceReader:
        return CachedWorkspaceReader(inner, cache)


def cache_and_limits(settings: Settings) -> list[Provider]:
    return [RedisCacheWiring() if settings.redis_url else InProcessCacheWiring(), LimitsWiring()]
