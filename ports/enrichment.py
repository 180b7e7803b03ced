"""What the waterfall calls and keeps: providers, their circuit breakers, the lookup cache, the attempt log."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.enrichment.circuit_breaker import CircuitView
from domain.enrichment.schema import ProviderQuery, ProviderResult
from domain.enrichment.waterfall import RecordedAttempt


class EnrichmentProvider(Protocol):
    name: str

    @abstractmethod
    async def lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        """One call to the provider, classified. Never raises for what the
        provider answers or for network trouble: those are outcomes."""


class ProviderDirectory(Protocol):
    """The provider adapters this process can call, and the platform's own keys."""

    @abstractmethod
    def provider(self, name: str) -> EnrichmentProvider | None: ...

    @abstractmethod
    def names(self) -> frozenset[str]:
        """The providers there is an adapter for (the scraper only where its service is set up)."""

    @abstractmethod
    def platform_key(self, name: str) -> str | None:
        """The operator's key for a provider, used when a workspace has none."""


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


class LookupCache(Protocol):
    """Answers a workspace already paid for, so the same lookup is never paid twice while fresh.

    Per workspace: one tenant's paid lookups never answer another's.
    """

    @abstractmethod
    async def get(self, workspace_id: UUID, key: str, fresh_since: datetime) -> ProviderResult | None: ...

    @abstractmethod
    async def put(self, workspace_id: UUID, key: str, result: ProviderResult, at: datetime) -> None:
        """Keep a hit or a miss (nothing else is an answer worth keeping)."""

    @abstractmethod
    async def put_many(self, workspace_id: UUID, answers: list[tuple[str, ProviderResult]], at: datetime) -> None:
        """`put` each (key, answer), in one go."""


class AttemptLog(Protocol):
    @abstractmethod
    async def add(self, attempts: list[RecordedAttempt]) -> None: ...


class EnrichmentRepositories(Protocol):
    """What a unit of work carries for enrichment."""

    attempts: AttemptLog


class AttemptReader(Protocol):
    @abstractmethod
    async def for_record(self, workspace_id: UUID, record_id: UUID, limit: int) -> list[RecordedAttempt]:
        """The record's attempts, newest first; another workspace's record has none."""
