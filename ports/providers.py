"""A data provider, as the waterfall sees it."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.enrichment.schema import ProviderQuery, ProviderResult


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
