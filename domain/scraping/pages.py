"""Scraping a company's own website: what a fetched page is, what an extractor gives, what a scrape asks.

Pure values; the fetching (plain HTTP or a browser), the network guard and
the extractors themselves are adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit


class Render(Enum):
    AUTO = "auto"  # plain HTTP first; the browser when the static page looks like it needs JavaScript
    ALWAYS = "always"
    NEVER = "never"


@dataclass(slots=True, kw_only=True, frozen=True)
class Page:
    """One fetched page, as the extractors see it."""

    url: str  # the final URL, after redirects
    status: int
    html: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    cookies: tuple[str, ...] = ()  # cookie names the site set
    scripts: tuple[str, ...] = ()  # absolute script src URLs
    links: tuple[str, ...] = ()  # absolute http(s) link targets, in page order
    text_length: int = 0  # characters of visible text
    rendered: bool = False  # through the browser


@dataclass(slots=True, kw_only=True, frozen=True)
class ScrapeLimits:
    max_pages: int = 6
    max_depth: int = 1  # links followed from the home page
    max_seconds: float = 30.0


@dataclass(slots=True, kw_only=True, frozen=True)
class ScrapeResult:
    url: str  # where the scrape started (normalized)
    pages: tuple[str, ...]  # URLs fetched, in order
    rendered: tuple[str, ...]  # those that went through the browser
    findings: dict[str, dict[str, Any]]  # by extractor name
    skipped: dict[str, str] = field(default_factory=dict)  # URL -> why (robots.txt, budget, error)
    seconds: float = 0.0


# The pages worth reading on a company site, by words in their path.
KEY_PAGE_WORDS = ("about", "company", "contact", "team", "people", "leadership", "imprint", "impressum", "legal")
APP_SHELL_MARKERS = ('id="root"', "id='root'", 'id="app"', "id='app'", 'id="__next"', "ng-version", "data-reactroot")


def needs_browser(page: Page) -> bool:
    """A static page that looks like an app shell: hardly any text, and a root element or scripts to fill it."""
    if page.text_length >= 200:
        return False
    lowered = page.html[:200_000].lower()
    return any(marker in lowered for marker in APP_SHELL_MARKERS) or len(page.scripts) >= 3 or "<noscript" in lowered


def site_of(host: str) -> str:
    """The host a site is known by: `www.` and `m.` dropped."""
    host = host.lower().rstrip(".")
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def same_site(host: str, other: str) -> bool:
    """The same site, or a subdomain of it (shop.acme.com is acme.com's; acme.com.evil.io is not)."""
    a, b = site_of(host), site_of(other)
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def key_links(home: Page, host: str, limit: int) -> list[str]:
    """Up to `limit` links of the home page to its key pages (about, contact, team, imprint...), on the same site,
    the first link to each path only, in the order of KEY_PAGE_WORDS."""
    chosen: dict[str, str] = {}
    for word in KEY_PAGE_WORDS:
        for link in home.links:
            parts = urlsplit(link)
            path = parts.path.lower()
            if word in path and same_site(parts.hostname or "", host) and path not in chosen and link != home.url:
                chosen[path] = link.split("#", 1)[0]
                break
    return list(chosen.values())[:limit]
