"""Providers in process: scripted answers for tests and the memory profile, and a plain directory."""

from __future__ import annotations

from collections.abc import Mapping

from domain.enrichment.schema import Outcome, ProviderQuery, ProviderResult
from ports.enrichment import EnrichmentProvider


class ScriptedProvider:
    """Answers every lookup with the same result (after "pending" to the first `pending_first` calls)
    and counts the calls it took."""

    def __init__(self, name: str, result: ProviderResult, *, pending_first: int = 0) -> None:
        self.name = name
        self.result = result
        self.pending_first = pending_first
        self.calls: list[ProviderQuery] = []

    async def lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        self.calls.append(query)
        if not api_key:
            return ProviderResult(outcome=Outcome.INVALID_CREDENTIALS)
        if len(self.calls) <= self.pending_first:
            return ProviderResult(outcome=Outcome.PENDING, detail="scripted: still working on it")
        return self.result


class ProviderMap:
    def __init__(
        self, providers: Mapping[str, EnrichmentProvider], platform_keys: Mapping[str, str] | None = None
    ) -> None:
        self._providers = dict(providers)
        self._keys = {name: key for name, key in (platform_keys or {}).items() if key}

    def provider(self, name: str) -> EnrichmentProvider | None:
        return self._providers.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self._providers)

    def platform_key(self, name: str) -> str | None:
        return self._keys.get(name)
