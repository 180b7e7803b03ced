from __future__ import annotations

import secrets
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.redis.outage import RedisOutage
from ports.rate_limit import Hit, RateDecision, RateLimiter

# A sliding-window log per key, kept in a sorted set, for each key in turn until one is full (the ones after it
# are not counted), read and written atomically in one round trip. ARGV: the event's member, then a window (ms)
# and a limit per key. Time comes from the Redis server so every API replica agrees on it.
SLIDING_WINDOWS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local decisions = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    table.insert(decisions, {0, count, tonumber(oldest[2]) + window - now})
    return decisions
  end
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, window)
  table.insert(decisions, {1, count + 1, 0})
end
return decisions
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
        self._script = client.register_script(SLIDING_WINDOWS)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        return (await self.hit_in_order([Hit(key=key, limit=limit, window_seconds=window_seconds)]))[0]

    async def hit_in_order(self, hits: Sequence[Hit]) -> list[RateDecision]:
        if not self._outage.may_try():
            return await self._fallback.hit_in_order(hits)
        args: list[str | int] = [secrets.token_hex(8)]
        for hit in hits:
            args += [hit.window_seconds * 1000, hit.limit]
        try:
            answers = await self._script(keys=[self._prefix + hit.key for hit in hits], args=args)
        except (RedisError, OSError) as exc:
            self._outage.failed(exc)
            return await self._fallback.hit_in_order(hits)
        self._outage.succeeded()
        return [
            RateDecision(
                allowed=bool(allowed),
                limit=hit.limit,
                remaining=max(hit.limit - int(count), 0),
                retry_after_seconds=0 if allowed else max(-(-int(wait_ms) // 1000), 1),
            )
            for hit, (allowed, count, wait_ms) in zip(hits, answers, strict=False)
        ]
