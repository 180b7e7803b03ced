"""Scraping a company's own website: what a fetched page is, what an extractor gives, what a scrape asks.

Pure values; the fetching (plain HTTP or a browser), the network guard and
the extractors themselves are adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


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
    rendered: bool = False  # through the browser


@dataclass(slots=True, kw_only=True, frozen=True)
class Finding:
    """One extractor's output for a whole site: its fields, and where each value was seen."""

    extractor: str
    data: dict[str, Any]  # JSON-ready


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
