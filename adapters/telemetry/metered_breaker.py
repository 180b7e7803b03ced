"""A circuit breaker that tells `Metrics` each provider's circuit as this process last saw it."""

from __future__ import annotations

from domain.enrichment.circuit_breaker import Circuit, CircuitView
from ports.enrichment import CircuitBreaker
from ports.metrics import Metrics


class MeteredCircuitBreaker:
    """Wraps the breaker of the deployment (in process or Redis) and reads its state only when it may have
    changed: a circuit leaves `closed` on a failure, is found open by a refused call, and is watched until it
    closes again. Calls that go through a closed circuit and succeed cost nothing more."""

    def __init__(self, breaker: CircuitBreaker, metrics: Metrics) -> None:
        self._breaker, self._metrics = breaker, metrics
        self._seen: dict[str, Circuit] = {}

    async def allow(self, provider: str) -> bool:
        allowed = await self._breaker.allow(provider)
        if not allowed or self._seen.get(provider) is not Circuit.CLOSED:
            await self.snapshot(provider)
        return allowed

    async def record(self, provider: str, success: bool) -> None:
        await self._breaker.record(provider, success)
        if not success or self._seen.get(provider) is not Circuit.CLOSED:
            await self.snapshot(provider)

    async def snapshot(self, provider: str) -> CircuitView:
        view = await self._breaker.snapshot(provider)
        self._seen[provider] = view.circuit
        self._metrics.circuit_state(provider, view.circuit)
        return view
