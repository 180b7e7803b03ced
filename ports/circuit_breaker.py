"""A circuit breaker per provider, asked before each call and told how it ended."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.enrichment.circuit_breaker import CircuitView


class CircuitBreaker(Protocol):
    @abstractmethod
    async def allow(self, provider: str) -> bool:
        """May a call to `provider` go now? When half-open, a `True` takes one probe slot,
        so every allowed call must be followed by `record`."""

    @abstractmethod
    async def record(self, provider: str, success: bool) -> None:
        """Count how an allowed call ended; a failure is the provider's fault (5xx, timeout),
        not an answer such as "not found"."""

    @abstractmethod
    async def snapshot(self, provider: str) -> CircuitView:
        """The breaker as it stands now, for `GET /providers`; changes nothing."""
