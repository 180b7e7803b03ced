"""The waterfall's circuit breakers, lookup cache and attempt log, in memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables
from domain.enrichment import circuit_breaker as rules
from domain.enrichment.circuit_breaker import BreakerPolicy, BreakerState, CircuitView
from domain.enrichment.schema import Outcome, ProviderResult
from domain.enrichment.waterfall import RecordedAttempt


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


CACHEABLE = (Outcome.HIT, Outcome.MISS)


class MemoryLookupCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[UUID, str], tuple[ProviderResult, datetime]] = {}

    async def get(self, workspace_id: UUID, key: str, fresh_since: datetime) -> ProviderResult | None:
        found = self._entries.get((workspace_id, key))
        return replace(found[0], detail="cached") if found and found[1] >= fresh_since else None

    async def put(self, workspace_id: UUID, key: str, result: ProviderResult, at: datetime) -> None:
        if result.outcome in CACHEABLE:
            self._entries[(workspace_id, key)] = (result, at)

    async def put_many(self, workspace_id: UUID, answers: list[tuple[str, ProviderResult]], at: datetime) -> None:
        for key, result in answers:
            await self.put(workspace_id, key, result, at)


class MemoryAttemptLog:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, attempts: list[RecordedAttempt]) -> None:
        for attempt in attempts:
            self._t.attempts[attempt.id] = attempt


class MemoryAttemptReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def for_record(self, workspace_id: UUID, record_id: UUID, limit: int) -> list[RecordedAttempt]:
        found = [
            a
            for a in self._store.tables.attempts.values()
            if a.workspace_id == workspace_id and a.record_id == record_id
        ]
        return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)[:limit]


# This context's repositories in a unit of work (`EnrichmentRepositories` in ports/enrichment.py).
REPOSITORIES: Repositories = {
    "attempts": MemoryAttemptLog,
}
