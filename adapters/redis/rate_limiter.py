from __future__ import annotations

import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.redis.outage import RedisOutage
from ports.rate_limit import RateDecision, RateLimiter

# A sliding-window log kept in a sorted set, read and written atomically.
# Time comes from the Redis server so every API replica agrees on it.
SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, count + 1, 0}
"""


class RedisRateLimiter:
    """Shared by all API replicas; when Redis fails, the in-process fallback decides (and keeps
    deciding, without waiting on Redis, for the pause of `RedisOutage`)."""

    def __init__(
        self, client: Redis, fallback: RateLimiter, *, prefix: str = "cascade:rl:", outage: RedisOutage | None = None
    ) -> None:
        self._client = client
        self._fallback = fallback
        self._prefix = prefix
        self._outage = outage or RedisOutage("rate_limiter")
        self._script = client.register_script(SLIDING_WINDOW)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        if not self._outage.may_try():
            return await self._fallback.hit(key, limit=limit, window_seconds=window_seconds)
        try:
            allowed, count, wait_ms = await self._script(
                keys=[self._prefix + key], args=[window_seconds * 1000, limit, secrets.token_hex(8)]
            )
        except (RedisError, OSError) as exc:
            self._outage.failed(exc)
            return await self._fallback.hit(key, limit=limit, window_seconds=window_seconds)
        self._outage.succeeded()
        return RateDecision(
            allowed=bool(allowed),
            limit=limit,
            remaining=max(limit - int(count), 0),
            retry_after_seconds=0 if allowed else max(-(-int(wait_ms) // 1000), 1),
        )
