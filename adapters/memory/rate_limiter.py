from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ports.rate_limit import Hit, RateDecision


@dataclass(slots=True)
class _Window:
    seconds: int
    events: deque[float] = field(default_factory=deque)

    def expired(self, now: float) -> bool:
        return not self.events or self.events[-1] <= now - self.seconds


class MemoryRateLimiter:
    """Sliding-window log per key, for one process (and the fallback when Redis is down)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._now = monotonic
        self._windows: dict[str, _Window] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        now = self._now()
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self._max_keys:
                self._evict(now)
            window = self._windows[key] = _Window(window_seconds)
        window.seconds = window_seconds
        events = window.events
        while events and events[0] <= now - window_seconds:
            events.popleft()
        if len(events) >= limit:
            retry = math.ceil(events[0] + window_seconds - now)
            return RateDecision(allowed=False, limit=limit, remaining=0, retry_after_seconds=max(retry, 1))
        events.append(now)
        return RateDecision(allowed=True, limit=limit, remaining=limit - len(events), retry_after_seconds=0)

    async def hit_in_order(self, hits: Sequence[Hit]) -> list[RateDecision]:
        decisions: list[RateDecision] = []
        for hit in hits:
            decisions.append(await self.hit(hit.key, limit=hit.limit, window_seconds=hit.window_seconds))
            if not decisions[-1].allowed:
                break
        return decisions

    def _evict(self, now: float) -> None:
        """Forget keys whose own window has passed; if none has, the least recently hit half."""
        stale = [key for key, window in self._windows.items() if window.expired(now)]
        if not stale:
            by_last_hit = sorted(self._windows, key=lambda k: self._windows[k].events[-1])
            stale = by_last_hit[: max(len(by_last_hit) // 2, 1)]
        for key in stale:
            del self._windows[key]
