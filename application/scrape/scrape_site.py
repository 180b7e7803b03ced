from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from domain.kernel.errors import DomainError, FetchFailed
from domain.kernel.network_policy import parse_target
from domain.scraping.pages import Page, Render, ScrapeLimits, ScrapeResult, key_links
from ports.scraping import ExtractorCatalog, PageFetcher, RobotsPolicy

# RFC 9309: a robots.txt that cannot be read (5xx, unreachable) forbids as much as one that says no.
ROBOTS_SAY_NO = "disallowed by robots.txt (or robots.txt could not be read)"


@dataclass(slots=True, kw_only=True, frozen=True)
class ScrapeCommand:
    target: str  # a URL, or a bare domain (https://<domain>/)
    extractors: list[str] | None = None  # None: all
    render: Render = Render.AUTO
    limits: ScrapeLimits = field(default_factory=ScrapeLimits)


class ScrapeSite:
    """Read a company's own site: its home page, then its key pages, and extract what they say.

    Rules: the target must be http(s) and reach no refused address (the
    fetcher's guard answers `TargetRefused`); robots.txt is obeyed for every
    page (a home page it forbids is `skipped`, not fetched); from the home
    page the key pages (about, contact, team, imprint...) on the same site
    are fetched, within `max_pages` in all and `max_seconds` of wall time —
    what the budget leaves out is listed as skipped, not failed; one page
    failing does not fail the scrape, the home page failing does. Each
    extractor then reads every page fetched.
    """

    def __init__(self, fetcher: PageFetcher, robots: RobotsPolicy, catalog: ExtractorCatalog) -> None:
        self._fetcher, self._robots, self._catalog = fetcher, robots, catalog

    async def __call__(self, cmd: ScrapeCommand) -> ScrapeResult:
        target = parse_target(cmd.target)
        extractors = self._catalog.select(cmd.extractors)
        started = time.monotonic()
        deadline = started + cmd.limits.max_seconds
        skipped: dict[str, str] = {}
        if not await self._robots.allowed(target.url):
            skipped[target.url] = ROBOTS_SAY_NO
            return ScrapeResult(url=target.url, pages=(), rendered=(), findings={}, skipped=skipped)
        try:
            async with asyncio.timeout(cmd.limits.max_seconds):
                home = await self._fetcher.fetch(target.url, cmd.render)
        except TimeoutError as exc:
            raise FetchFailed("the home page did not answer within the time budget") from exc
        pages = [home]
        if cmd.limits.max_depth >= 1 and cmd.limits.max_pages > 1:
            pages += await self._key_pages(home, target.host, cmd, deadline, skipped)
        findings: dict[str, dict[str, Any]] = {e.name: e.extract(pages) for e in extractors}
        return ScrapeResult(
            url=target.url,
            pages=tuple(p.url for p in pages),
            rendered=tuple(p.url for p in pages if p.rendered),
            findings=findings,
            skipped=skipped,
            seconds=round(time.monotonic() - started, 3),
        )

    async def _key_pages(
        self, home: Page, host: str, cmd: ScrapeCommand, deadline: float, skipped: dict[str, str]
    ) -> list[Page]:
        links = key_links(home, host, limit=cmd.limits.max_pages - 1)

        async def one(url: str) -> Page | None:
            try:
                if not await self._robots.allowed(url):
                    skipped[url] = ROBOTS_SAY_NO
                    return None
                return await self._fetcher.fetch(url, cmd.render)
            except DomainError as exc:
                skipped[url] = exc.message
                return None

        tasks = [asyncio.ensure_future(one(url)) for url in links]
        if not tasks:
            return []
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
        for task, url in zip(tasks, links, strict=True):
            if task in pending:
                task.cancel()
                skipped[url] = "out of the time budget"
        await asyncio.gather(*pending, return_exceptions=True)
        found = [task.result() for task in tasks if task in done]
        return [page for page in found if page is not None]
