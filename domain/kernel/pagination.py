"""Keyset pagination: an opaque cursor naming the last row of a page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from domain.kernel.errors import ErrorDetail, ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(slots=True, kw_only=True, frozen=True)
class Cursor:
    """Position after (created_at, id) in ascending or descending order."""

    created_at: datetime
    id: UUID

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            created_at, id_ = raw.split("|")
            parsed = datetime.fromisoformat(created_at)
            if parsed.tzinfo is None:
                raise ValueError("naive timestamp")
            return cls(created_at=parsed, id=UUID(id_))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                "invalid cursor", details=(ErrorDetail(field="cursor", message="malformed"),)
            ) from exc


@dataclass(slots=True, kw_only=True, frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None

    @classmethod
    def of(cls, *, limit: int | None, cursor: str | None) -> PageRequest:
        size = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= size <= MAX_LIMIT:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_LIMIT}",
                details=(ErrorDetail(field="limit", message="out of range"),),
            )
        return cls(limit=size, after=Cursor.decode(cursor) if cursor else None)


@dataclass(slots=True, kw_only=True, frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    limit: int


def page_of(rows: list[T], limit: int, cursor_of: Callable[[T], Cursor]) -> Page[T]:
    """Build a page from up to `limit + 1` rows already in cursor order."""
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items=items, next_cursor=cursor_of(items[-1]).encode() if more else None, limit=limit)
