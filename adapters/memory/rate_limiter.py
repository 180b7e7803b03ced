from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from ports.rate_limit import RateDecision


class MemoryRateLimiter:
    """Sliding-window log per key, for one process (and the fallback when Redis is down)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._now = monotonic
        self._events: dict[str, deque[float]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        now = self._now()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self._max_keys:
                self._evict(now, window_seconds)
            events = self._events[key] = deque()
        while events and events[0] <= now - window_seconds:
            events.popleft()
        if len(events) >= limit:
            retry = math.ceil(events[0] + window_seconds - now)
            return RateDecision(allowed=False, limit=limit, remaining=0, retry_after_seconds=max(retry, 1))
        events.append(now)
        return RateDecision(allowed=True, limit=limit, remaining=limit - len(events), retry_after_seconds=0)

    def _evict(self, now: float, window_seconds: int) -> None:
        stale = [k for k, q in self._events.items() if not q or q[-1] <= now - window_seconds]
        for key in stale or list(self._events)[: len(self._events) // 2]:
            del self._events[key]
