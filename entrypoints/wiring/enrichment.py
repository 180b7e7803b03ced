"""dishka wiring of the enrichment engine: provider adapters, keys, the waterfall."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from dishka import Provider, Scope, provide
from httpx_aiohttp import AiohttpTransport

from adapters.memory.enrichment import MemoryAttemptReader, MemoryLookupCache
from adapters.net.shared_client import shared_client
from adapters.postgres.enrichment import PostgresAttemptReader, PostgresLookupCache
from adapters.providers.apollo import ApolloProvider
from adapters.providers.clearbit import ClearbitProvider
from adapters.providers.directory import ProviderMap
from adapters.providers.hunter import HunterProvider
from adapters.providers.scraper import ScraperProvider
from adapters.telemetry.tracing import traced_transport
from application.enrichment.enrich_record import EnrichmentPolicy, EnrichRecord
from application.enrichment.paid_run import PaidRun
from application.enrichment.provider_keys import ProviderKeys
from application.enrichment.settlement import Settlement
from application.enrichment.waterfall_run import WaterfallRun
from domain.enrichment.pending import Patience
from entrypoints.wiring.settings import Settings, service_keys
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.enrichment import AttemptReader, CircuitBreaker, EnrichmentProvider, LookupCache, ProviderDirectory
from ports.metrics import Metrics
from ports.system import Clock


def provider_adapters(settings: Settings, client: httpx.AsyncClient) -> dict[str, EnrichmentProvider]:
    timeout = settings.providers.timeout_seconds
    scraper: dict[str, EnrichmentProvider] = {}
    if settings.scraper.url:  # a deployment without the scraper service has no scraper provider
        scraper["scraper"] = ScraperProvider(client, base_url=settings.scraper.url, timeout_seconds=45)
    return scraper | {
        "apollo": ApolloProvider(client, base_url=settings.providers.apollo_base_url, timeout_seconds=timeout),
        "hunter": HunterProvider(client, base_url=settings.providers.hunter_base_url, timeout_seconds=timeout),
        "clearbit": ClearbitProvider(
            client,
            person_base_url=settings.providers.clearbit_person_base_url,
            company_base_url=settings.providers.clearbit_company_base_url,
            timeout_seconds=timeout,
        ),
    }


class EnrichmentWiring(Provider):
    scope = Scope.APP

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, LookupCache, memory=MemoryLookupCache, postgres=PostgresLookupCache)
        provide_reader(self, topology, AttemptReader, memory=MemoryAttemptReader, postgres=PostgresAttemptReader)

    @provide
    async def http_client(self) -> AsyncIterator[httpx.AsyncClient]:
        # Redirects are not followed: a provider API that redirects is answering something else.
        # aiohttp carries the requests: httpcore's pool costs a few times more CPU per call under load (P1).
        # Traced here (when tracing is on): httpx's instrumentation patches only its own transport.
        transport = traced_transport(AiohttpTransport(limits=httpx.Limits(max_connections=100)))
        async with shared_client(transport=transport) as client:
            yield client

    @provide
    def directory(self, settings: Settings, client: httpx.AsyncClient) -> ProviderDirectory:
        platform_keys = {
            "apollo": settings.providers.apollo_api_key,
            "hunter": settings.providers.hunter_api_key,
            "clearbit": settings.providers.clearbit_api_key,
            "scraper": service_keys(settings)[0] if service_keys(settings) else "",
        }
        return ProviderMap(provider_adapters(settings, client), platform_keys)

    keys = provide(ProviderKeys)

    @provide
    def policy(self, settings: Settings) -> EnrichmentPolicy:
        def patience(deadline_seconds: float) -> Patience:
            return Patience(
                deadline_seconds=deadline_seconds,
                first_wait_seconds=settings.pending.first_wait_seconds,
                max_wait_seconds=settings.pending.max_wait_seconds,
            )

        return EnrichmentPolicy(
            enrich_patience=patience(settings.pending.enrich_deadline_seconds),
            job_patience=patience(settings.pending.job_deadline_seconds),
        )

    @provide(scope=Scope.REQUEST)
    def waterfall(
        self,
        directory: ProviderDirectory,
        keys: ProviderKeys,
        breaker: CircuitBreaker,
        cache: LookupCache,
        clock: Clock,
        policy: EnrichmentPolicy,
        metrics: Metrics,
    ) -> WaterfallRun:
        return WaterfallRun(directory, keys, breaker, cache, clock, policy.freshness, metrics)

    settlement = provide(Settlement, scope=Scope.REQUEST)
    paid_run = provide(PaidRun, scope=Scope.REQUEST)

    enrich_record = provide(EnrichRecord, scope=Scope.REQUEST)
