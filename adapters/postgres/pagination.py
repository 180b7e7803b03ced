"""Keyset bounds for a first page: before every row (oldest first), or after every row (newest first)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from domain.kernel.pagination import Cursor

FIRST_CURSOR = Cursor(created_at=datetime.min.replace(tzinfo=UTC), id=UUID(int=0))
LAST_CURSOR = Cursor(created_at=datetime.max.replace(tzinfo=UTC), id=UUID(int=(1 << 128) - 1))
