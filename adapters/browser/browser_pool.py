"""A pool of headless Chromium browsers (Debian's, never a downloaded one) that render pages.

The browser reaches nothing by itself: its resolver maps every host to
"not found", and every request it makes is intercepted and answered by the
guarded HTTP fetcher (the SSRF guard), so a page's scripts, frames and
redirects can reach only what a plain fetch may. Images, fonts and media
are not loaded; WebSockets are closed. Bounded: `browsers` processes with
`pages_per_browser` pages each at once; a context is recycled after
`pages_per_context` pages; each page has a deadline. A browser that crashed
is replaced on the next render, and only the renders it was serving fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog
from playwright.async_api import Browser, BrowserContext, Playwright, Request, Route, WebSocketRoute, async_playwright
from playwright.async_api import Error as PlaywrightError

from adapters.net.guarded_http import Fetched
from domain.kernel.errors import DomainError, FetchFailed
from domain.scraping.pages import Page, same_site

log = structlog.get_logger("cascade.scraper.browser")
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})
WIDGET_HOSTS = (
    "googletagmanager.com", "google-analytics.com", "doubleclick.net", "segment.com", "segment.io", "intercom.io",
    "intercomcdn.com", "hs-scripts.com", "hs-analytics.net", "hubspot.com", "hotjar.com", "facebook.net",
    "stripe.com", "cloudflareinsights.com", "clarity.ms", "linkedin.com", "twitter.com", "x.com",
)  # fmt: skip
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing leaves the browser but through the guarded fetcher
)  # fmt: skip
# (url, method, headers, body) -> the guarded fetch's answer
Fetch = Callable[[str, str, dict[str, str], bytes | None], Awaitable[Fetched]]


@dataclass(slots=True)
class _Slot:
    browser: Browser
    context: BrowserContext
    pages: int = 0


class BrowserPool:
    def __init__(
        self,
        fetch: Fetch,
        *,
        executable_path: str,
        user_agent: str,
        browsers: int = 1,
        pages_per_browser: int = 4,
        pages_per_context: int = 20,
        page_timeout_seconds: float = 15.0,
    ) -> None:
        self._fetch = fetch
        self._executable = executable_path
        self._user_agent = user_agent
        self._browsers_wanted = browsers
        self._pages_per_context = pages_per_context
        self._timeout_ms = page_timeout_seconds * 1000
        self._playwright: Playwright | None = None
        self._browsers: list[Browser] = []
        self._next = itertools.count()
        self._slots: asyncio.Queue[_Slot | None] = asyncio.Queue()
        for _ in range(browsers * pages_per_browser):
            self._slots.put_nowait(None)  # filled on first use
        self._launch_lock = asyncio.Lock()
        self.launched = 0  # browsers started so far, replacements included

    async def render(self, url: str) -> Page:
        slot = await self._slots.get()
        try:
            slot = await self._ready(slot)
            slot.pages += 1
            return await self._render(slot, url)
        except PlaywrightError as exc:
            raise FetchFailed(f"the browser could not render the page: {_first_line(exc)}") from exc
        finally:
            self._slots.put_nowait(slot)

    async def close(self) -> None:
        for browser in self._browsers:
            with contextlib.suppress(PlaywrightError):
                await browser.close()
        self._browsers = []
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    async def _render(self, slot: _Slot, url: str) -> Page:
        page = await slot.context.new_page()
        try:
            response = await page.goto(url, wait_until="load", timeout=self._timeout_ms)
            with contextlib.suppress(PlaywrightError):  # a page that keeps polling is read as it is
                await page.wait_for_load_state("networkidle", timeout=min(self._timeout_ms, 3000))
            html = await page.content()
            scripts = await page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
            cookies = await slot.context.cookies(page.url)
            headers = {k.lower(): v for k, v in (await response.all_headers()).items()} if response else {}
            return Page(
                url=page.url,
                status=response.status if response else 200,
                html=html,
                headers=headers,
                cookies=tuple(sorted({c["name"] for c in cookies if "name" in c})),
                scripts=tuple(s for s in scripts if isinstance(s, str)),
                rendered=True,
            )
        finally:
            with contextlib.suppress(PlaywrightError):
                await page.close()

    async def _ready(self, slot: _Slot | None) -> _Slot:
        """A slot with a live browser and a context that has not served its quota yet."""
        if slot is not None and slot.browser.is_connected() and slot.pages < self._pages_per_context:
            return slot
        if slot is not None:
            with contextlib.suppress(PlaywrightError):
                await slot.context.close()
        browser = await self._browser()
        context = await browser.new_context(user_agent=self._user_agent, service_workers="block")
        await context.route("**/*", self._route)
        await context.route_web_socket("**/*", _refuse_socket)
        return _Slot(browser=browser, context=context)

    async def _browser(self) -> Browser:
        async with self._launch_lock:
            self._browsers = [b for b in self._browsers if b.is_connected()]
            if len(self._browsers) < self._browsers_wanted:
                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                browser = await self._playwright.chromium.launch(
                    executable_path=self._executable, headless=True, args=list(CHROMIUM_ARGS)
                )
                self.launched += 1
                self._browsers.append(browser)
                log.info("browser_launched", browsers=len(self._browsers), launched=self.launched)
            return self._browsers[next(self._next) % len(self._browsers)]

    async def _route(self, route: Route, request: Request) -> None:
        if request.resource_type in BLOCKED_RESOURCES or _third_party_extra(request):
            await route.abort("blockedbyclient")
            return
        try:
            fetched = await self._fetch(request.url, request.method, dict(request.headers), request.post_data_buffer)
        except DomainError as exc:
            log.info("browser_request_refused", url=request.url, reason=exc.message)
            await route.abort("blockedbyclient")
            return
        if fetched.url != request.url and request.is_navigation_request():
            # the browser must see the redirect, or the page's relative links resolve against the wrong URL
            await route.fulfill(status=302, headers={"location": fetched.url})
            return
        headers = {k: v for k, v in fetched.headers.items() if k not in ("content-encoding", "content-length")}
        await route.fulfill(status=fetched.status, headers=headers, body=fetched.body)


def _third_party_extra(request: Request) -> bool:
    """What another site adds to a page and we do not need to read it: anything but scripts (a page's own
    code may come from a CDN), and the scripts of known analytics and chat widgets (they write nothing
    worth reading; `tech_stack` sees them in the page's script tags all the same)."""
    if request.is_navigation_request():
        return False
    try:
        top = urlsplit(request.frame.page.url).hostname or ""
    except PlaywrightError:
        return True  # a request no page owns (a worker's): not ours to make
    host = urlsplit(request.url).hostname or ""
    if not top or same_site(host, top):
        return False
    return request.resource_type != "script" or any(host == t or host.endswith("." + t) for t in WIDGET_HOSTS)


async def _refuse_socket(socket: WebSocketRoute) -> None:
    await socket.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
