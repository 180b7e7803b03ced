"""dishka wiring of the scraper service: the guarded fetcher, browsers, robots, extractors, jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from dishka import AsyncContainer, Provider, Scope, from_context, make_async_container, provide

from adapters.browser.browser_pool import BrowserPool
from adapters.browser.politeness import Politeness
from adapters.browser.proxies import ProxyManager
from adapters.browser.robots import ProtegoRobots
from adapters.browser.site_fetcher import SiteFetcher
from adapters.extractors import EXTRACTORS, select
from adapters.net.guarded_http import GuardedHttp, SystemResolver
from adapters.net.shared_client import shared_client
from application.scrape.scrape_site import ScrapeSite
from domain.kernel.network_policy import NetworkPolicy, parse_allowlist
from entrypoints.scraper.jobs import ScrapeJobs
from entrypoints.wiring.settings import Settings
from ports.scraping import Extractor


class ExtractorRegistry:
    """The extractors of `adapters/extractors`, as the ExtractorCatalog port."""

    def select(self, names: list[str] | None) -> list[Extractor]:
        return select(names)

    def all(self) -> list[Extractor]:
        return list(EXTRACTORS.values())


def chromium_installed(path: str) -> bool:
    return Path(path).exists()


def renders_pages(settings: Settings) -> bool:
    """Whether this scraper gets a browser pool: browsers wanted, and Chromium where the settings say."""
    return settings.scraper.browsers > 0 and chromium_installed(settings.scraper.chromium_path)


class ScraperWiring(Provider):
    scope = Scope.APP
    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        # no redirects (the guard follows them itself, checking each hop), no proxies from the environment
        async with shared_client(trust_env=False) as client:
            yield client

    @provide
    def policy(self, settings: Settings) -> NetworkPolicy:
        return NetworkPolicy(parse_allowlist(settings.network_allowlist))

    @provide
    async def http(
        self, settings: Settings, policy: NetworkPolicy, client: httpx.AsyncClient
    ) -> AsyncIterator[GuardedHttp]:
        proxies = [p.strip() for p in settings.scraper.proxies.split(",") if p.strip()]
        guarded = GuardedHttp(
            policy,
            client,
            SystemResolver(),
            user_agent=settings.scraper.user_agent,
            proxies=ProxyManager(proxies, sticky=settings.scraper.proxy_sticky) if proxies else None,
        )
        yield guarded
        await guarded.aclose()

    @provide
    def politeness(self, settings: Settings) -> Politeness:
        return Politeness(
            per_domain=settings.scraper.domain_concurrency, delay_seconds=settings.scraper.domain_delay_seconds
        )

    @provide
    def robots(self, settings: Settings, http: GuardedHttp) -> ProtegoRobots:
        return ProtegoRobots(http, settings.scraper.user_agent)

    @provide
    async def fetcher(
        self, settings: Settings, http: GuardedHttp, politeness: Politeness
    ) -> AsyncIterator[SiteFetcher]:
        pool: BrowserPool | None = None
        fetcher = SiteFetcher(http, politeness, None)
        if renders_pages(settings):  # without it, start-up said so (`create_scraper_app`)
            pool = BrowserPool(
                fetcher.fetch_raw,
                executable_path=settings.scraper.chromium_path,
                user_agent=settings.scraper.user_agent,
                browsers=settings.scraper.browsers,
                pages_per_browser=settings.scraper.pages_per_browser,
            )
            fetcher = SiteFetcher(http, politeness, pool)
        yield fetcher
        if pool is not None:
            await pool.close()

    @provide
    def scrape(self, fetcher: SiteFetcher, robots: ProtegoRobots) -> ScrapeSite:
        return ScrapeSite(fetcher, robots, ExtractorRegistry())

    @provide
    async def jobs(self, scrape: ScrapeSite, http: GuardedHttp) -> AsyncIterator[ScrapeJobs]:
        jobs = ScrapeJobs(scrape, http)
        yield jobs
        await jobs.close()

    @provide
    def catalog(self) -> ExtractorRegistry:
        return ExtractorRegistry()


def build_scraper_container(settings: Settings, *extra: Any) -> AsyncContainer:
    return make_async_container(ScraperWiring(), *extra, context={Settings: settings})
