"""What the scraper needs from the world: fetchers, robots.txt, extractors."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Protocol

from domain.scraping import Page


class Extractor(Protocol):
    name: str
    fields: tuple[str, ...]  # what its output may hold

    @abstractmethod
    def extract(self, pages: list[Page]) -> dict[str, Any]:
        """Its findings over every page of one site (JSON-ready; empty when nothing was found)."""


class PageFetcher(Protocol):
    @abstractmethod
    async def fetch(self, url: str) -> Page:
        """The page, or `Refused` (a blocked address or scheme) / `FetchFailed` (network, status, size, time)."""


class RobotsPolicy(Protocol):
    @abstractmethod
    async def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets our user agent fetch it (no robots.txt: yes)."""
