"""Asking one provider one question for the waterfall: the cache, the key, the circuit, then the call."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID

from application.enrichment.provider_keys import ProviderKeys
from domain.enrichment.provider_registry import ProviderSpec
from domain.enrichment.schema import Outcome, ProviderQuery, ProviderResult, lookup_key, storable
from domain.enrichment.waterfall import Attempt
from domain.kernel.errors import SecretUnreadable
from domain.records.record import Record
from ports.enrichment import CircuitBreaker, LookupCache, ProviderDirectory
from ports.metrics import Metrics
from ports.system import Clock


@dataclass(slots=True, kw_only=True, frozen=True)
class Lookup:
    """One question to one provider, as it was asked: asked again the same way, and its answer cached
    under `key`."""

    spec: ProviderSpec
    query: ProviderQuery
    key: str
    api_key: str
    asks: int = 1


ANSWERED = (Outcome.HIT, Outcome.MISS)  # final answers: what is charged for, kept and cached


@dataclass(slots=True, frozen=True)
class Asked:
    """The attempt; what was answered (None: not asked); and the lookup, when the provider was called."""

    attempt: Attempt
    answer: ProviderResult | None = None
    lookup: Lookup | None = None

    @property
    def final(self) -> ProviderResult | None:
        """A hit or a miss, fresh or cached."""
        return self.answer if self.answer is not None and self.answer.outcome in ANSWERED else None

    @property
    def to_cache(self) -> tuple[str, ProviderResult] | None:
        """A fresh final answer, under its lookup's key."""
        final = self.final
        return (self.lookup.key, final) if self.lookup is not None and final is not None else None


class ProviderCalls:
    """The circuit breaker hears of every call's health: transient failures and timeouts count against a
    provider, answers of any kind count for it. Metrics hear of every call, skip and cache lookup.

    Each workspace's key for a provider is read (and opened) once for the life of this object, which is one
    run's: a request's, or a job batch's (a credential changed meanwhile is used from the next batch on).
    Records asking together wait for the one read."""

    def __init__(
        self,
        directory: ProviderDirectory,
        keys: ProviderKeys,
        breaker: CircuitBreaker,
        cache: LookupCache,
        clock: Clock,
        freshness: timedelta,
        metrics: Metrics,
    ) -> None:
        self._directory, self._keys, self._breaker, self._cache = directory, keys, breaker, cache
        self._clock, self._freshness, self._metrics = clock, freshness, metrics
        self._opened: dict[tuple[UUID, str], asyncio.Future[str | None]] = {}

    async def ask(self, spec: ProviderSpec, record: Record, inputs: dict[str, str], missing: set[str]) -> Asked:
        """A fresh answer, or the cached one of the same lookup."""
        query = ProviderQuery(kind=record.kind, inputs=dict(inputs), wanted=frozenset(missing))
        key = lookup_key(spec.name, query)
        cached = await self._cache.get(record.workspace_id, key, self._clock.now() - self._freshness)
        self._metrics.lookup_cache(spec.name, hit=cached is not None)
        if cached is not None:
            attempt = Attempt(
                provider=spec.name, outcome=cached.outcome.value, latency_ms=0.0, credits=0, cached=True, fields=()
            )
            return Asked(attempt, cached)
        try:
            api_key = await self._key_for(record.workspace_id, spec.name)
        except SecretUnreadable:
            return Asked(self._skipped(spec, "the stored credential cannot be decrypted with the configured keys"))
        if api_key is None:
            return Asked(self._skipped(spec, "no credential for this provider"))
        if not await self._breaker.allow(spec.name):  # asked last: an allowed call is always recorded
            return Asked(self._skipped(spec, "circuit open"))
        return await self._call(Lookup(spec=spec, query=query, key=key, api_key=api_key))

    async def _key_for(self, workspace_id: UUID, provider: str) -> str | None:
        slot = (workspace_id, provider)
        opened = self._opened.get(slot)
        if opened is None:
            opened = self._opened[slot] = asyncio.ensure_future(self._keys.key_for(workspace_id, provider))
            opened.add_done_callback(lambda done: self._forget_failed(slot, done))
        return await asyncio.shield(opened)  # one asker cancelled leaves the read to the others

    def _forget_failed(self, slot: tuple[UUID, str], done: asyncio.Future[str | None]) -> None:
        """A read that failed (the database, say) is tried again by the next asker; an unreadable secret stays
        unreadable."""
        failure = None if done.cancelled() else done.exception()
        if done.cancelled() or (failure is not None and not isinstance(failure, SecretUnreadable)):
            self._opened.pop(slot, None)

    async def ask_again(self, lookup: Lookup) -> Asked:
        """The same question, to a provider that answered "pending"."""
        if not await self._breaker.allow(lookup.spec.name):
            return Asked(self._skipped(lookup.spec, "circuit open"))
        return await self._call(replace(lookup, asks=lookup.asks + 1))

    async def _call(self, lookup: Lookup) -> Asked:
        spec = lookup.spec
        provider = self._directory.provider(spec.name)
        assert provider is not None, "the waterfall keeps only providers with an adapter in its order"
        started = time.perf_counter()
        answer = ProviderResult(outcome=Outcome.TRANSIENT, detail="the adapter failed")
        try:
            answer = await provider.lookup(lookup.query, lookup.api_key)
        finally:
            await self._breaker.record(spec.name, answer.outcome is not Outcome.TRANSIENT)
        answer = replace(answer, fields=storable(answer.fields))
        latency = round((time.perf_counter() - started) * 1000, 2)
        self._metrics.provider_attempt(spec.name, answer.outcome.value, latency)
        attempt = Attempt(
            provider=spec.name,
            outcome=answer.outcome.value,
            latency_ms=latency,
            credits=spec.credits_for(answer.outcome),
            cached=False,
            fields=(),
            detail=answer.detail,
        )
        return Asked(attempt, answer, lookup)

    def _skipped(self, spec: ProviderSpec, why: str) -> Attempt:
        self._metrics.provider_attempt(spec.name, "skipped", None)
        return Attempt(
            provider=spec.name, outcome="skipped", latency_ms=0.0, credits=0, cached=False, fields=(), detail=why
        )
