"""Cursor pagination in the reader contracts: timestamps with ties, page sizes, and following every page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from domain.kernel.pagination import Page, PageRequest

T = TypeVar("T")
BASE = datetime(2025, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
# Ties on purpose: rows sharing a timestamp are ordered by id.
OFFSETS = [
    timedelta(0),
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(seconds=1),
    timedelta(seconds=1),
    timedelta(seconds=1),
    timedelta(days=2),
    timedelta(days=-1),
]
LIMITS = [1, 2, 3, 4, 8, 200]


async def all_pages(fetch: Callable[[PageRequest], Awaitable[Page[T]]], limit: int) -> list[Page[T]]:
    """Follow `nextCursor` from the first page to the last, the way a client does."""
    pages: list[Page[T]] = []
    cursor: str | None = None
    while True:
        page = await fetch(PageRequest.of(limit=limit, cursor=cursor))
        pages.append(page)
        if page.next_cursor is None:
            return pages
        assert len(pages) <= len(OFFSETS) + 1, "pagination does not end"
        cursor = page.next_cursor


def assert_paged(pages: list[Page[Any]], expected: list[Any], limit: int) -> None:
    for page in pages:
        assert page.limit == limit
    for page in pages[:-1]:
        assert len(page.items) == limit
        assert page.next_cursor is not None
    assert len(pages) == max(1, -(-len(expected) // limit)), "no empty trailing page"
    assert [item for page in pages for item in page.items] == expected
