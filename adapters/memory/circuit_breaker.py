from __future__ import annotations

import time
from collections.abc import Callable

from domain.enrichment import circuit_breaker as rules
from domain.enrichment.circuit_breaker import BreakerPolicy, BreakerState, CircuitView


class MemoryCircuitBreaker:
    """One breaker per provider for this process (and the fallback when Redis is down)."""

    def __init__(self, policy: BreakerPolicy | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy or BreakerPolicy()
        self._now = monotonic
        self._states: dict[str, BreakerState] = {}

    async def allow(self, provider: str) -> bool:
        allowed, self._states[provider] = rules.allow(self._policy, self._state(provider), self._now())
        return allowed

    async def record(self, provider: str, success: bool) -> None:
        self._states[provider] = rules.record(self._policy, self._state(provider), success, self._now())

    async def snapshot(self, provider: str) -> CircuitView:
        return rules.view(self._policy, self._state(provider), self._now())

    def _state(self, provider: str) -> BreakerState:
        return self._states.get(provider, BreakerState())
