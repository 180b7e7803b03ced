"""Request and response bodies of the scraper service (camelCase; unknown fields are a 422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from domain.scraping.pages import ScrapeResult

RenderName = Literal["auto", "always", "never"]


class ScrapeRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)] | None = None
    domain: Annotated[str, msgspec.Meta(min_length=1, max_length=253)] | None = None
    extractors: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20)] | None = None
    render: RenderName = "auto"
    max_pages: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    max_seconds: Annotated[float, msgspec.Meta(ge=1, le=300)] | None = None


class ScrapeJobRequest(ScrapeRequest, forbid_unknown_fields=True):
    callback_url: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)] | None = None


class ScrapeOut(msgspec.Struct, rename="camel"):
    url: str
    pages: list[str]
    rendered: list[str]
    skipped: dict[str, str]
    seconds: float
    data: dict[str, dict[str, Any]]


class ErrorOut(msgspec.Struct, rename="camel"):
    code: str
    message: str


class ScrapeJobOut(msgspec.Struct, rename="camel"):
    id: str
    status: Literal["queued", "running", "completed", "failed"]
    created_at: datetime
    finished_at: datetime | None
    result: ScrapeOut | None
    error: ErrorOut | None
    callback: str | None  # delivered | failed: <why> | None when no callbackUrl


class ExtractorOut(msgspec.Struct, rename="camel"):
    name: str
    fields: list[str]


def scrape_out(result: ScrapeResult) -> ScrapeOut:
    return ScrapeOut(
        url=result.url,
        pages=list(result.pages),
        rendered=list(result.rendered),
        skipped=dict(result.skipped),
        seconds=result.seconds,
        data=result.findings,
    )
