"""What the scraper needs from the world: fetchers, robots.txt, extractors."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Protocol

from domain.scraping.pages import Page, Render


class Extractor(Protocol):
    name: str
    fields: tuple[str, ...]  # what its output may hold

    @abstractmethod
    def extract(self, pages: list[Page]) -> dict[str, Any]:
        """Its findings over every page of one site (JSON-ready; empty when nothing was found)."""


class ExtractorCatalog(Protocol):
    @abstractmethod
    def select(self, names: list[str] | None) -> list[Extractor]:
        """Those named (None: all); an unknown name is `ValidationFailed`."""

    @abstractmethod
    def all(self) -> list[Extractor]: ...


class PageFetcher(Protocol):
    @abstractmethod
    async def fetch(self, url: str, render: Render) -> Page:
        """The page, or `TargetRefused` (a refused address or scheme) / `FetchFailed` (network, size, time)."""


class RobotsPolicy(Protocol):
    @abstractmethod
    async def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets our user agent fetch it (no robots.txt: yes)."""
