"""Fetch a page the cheapest way that reads it: plain HTTP first, the browser when it must.

Every fetch goes through the guarded HTTP client (SSRF guard) inside a
per-domain politeness slot; the browser pool's own requests do too.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from adapters.browser.browser_pool import BrowserPool
from adapters.browser.politeness import Politeness
from adapters.extractors.html import depth_capped
from adapters.net.guarded_http import Fetched, GuardedHttp
from domain.kernel.errors import FetchFailed
from domain.scraping.pages import Page, Render, needs_browser

MAX_HTML_CHARS = 2_000_000
HTML_TYPES = ("text/html", "application/xhtml+xml")


class SiteFetcher:
    def __init__(self, http: GuardedHttp, politeness: Politeness, browsers: BrowserPool | None) -> None:
        self._http = http
        self._politeness = politeness
        self._browsers = browsers

    async def fetch(self, url: str, render: Render) -> Page:
        if render is Render.ALWAYS:
            return await self._render(url)
        page = page_of(await self.fetch_raw(url, "GET", {}, None))
        if render is Render.AUTO and self._browsers is not None and needs_browser(page):
            return await self._render(page.url)
        return page

    async def fetch_raw(self, url: str, method: str, headers: dict[str, str], body: bytes | None) -> Fetched:
        """One guarded fetch in the host's politeness slot (the browser's requests come here too)."""
        host = urlsplit(url).hostname or ""
        async with self._politeness.slot(host):
            return await self._http.fetch(url, method=method, headers=_forwardable(headers), body=body)

    async def _render(self, url: str) -> Page:
        if self._browsers is None:
            raise FetchFailed("this scraper has no browser (CASCADE_SCRAPER_BROWSERS=0)")
        rendered = await self._browsers.render(url)
        return _with_links(rendered)


def page_of(fetched: Fetched) -> Page:
    content_type = fetched.headers.get("content-type", "text/html").split(";")[0].strip().lower()
    html = fetched.body.decode("utf-8", errors="replace")[:MAX_HTML_CHARS] if content_type in HTML_TYPES else ""
    page = Page(
        url=fetched.url,
        status=fetched.status,
        html=html,
        headers=dict(fetched.headers),
        cookies=tuple(sorted(_cookie_names(fetched.headers.get("set-cookie", "")))),
    )
    return _with_links(page)


def _with_links(page: Page) -> Page:
    tree = LexborHTMLParser(depth_capped(page.html))  # a hostile nesting depth would stall the parser
    links, scripts = [], list(page.scripts)
    for node in tree.css("a[href]"):
        href = urljoin(page.url, node.attributes.get("href") or "")
        if href.startswith(("http://", "https://")):
            links.append(href)
    if not scripts:
        for node in tree.css("script[src]"):
            src = urljoin(page.url, node.attributes.get("src") or "")
            if src.startswith(("http://", "https://")):
                scripts.append(src)
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    body = tree.body
    text = body.text(separator=" ", strip=True) if body is not None else ""
    return Page(
        url=page.url,
        status=page.status,
        html=page.html,
        headers=page.headers,
        cookies=page.cookies,
        scripts=tuple(scripts),
        links=tuple(dict.fromkeys(links)),
        text_length=len(text),
        rendered=page.rendered,
    )


def _cookie_names(header: str) -> set[str]:
    names = set()
    for part in header.split(","):
        name = part.split(";", 1)[0].split("=", 1)[0].strip()
        if name and " " not in name:
            names.add(name)
    return names


def _forwardable(headers: dict[str, str]) -> dict[str, str]:
    """What a page's request may carry on: not the browser's own hop headers."""
    dropped = {"host", "content-length", "connection", "accept-encoding", "cookie"}
    return {k: v for k, v in headers.items() if k.lower() not in dropped}
