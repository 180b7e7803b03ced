from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.enrichment.schema import ProviderResult


class LookupCache(Protocol):
    """Answers a workspace already paid for, so the same lookup is never paid twice while fresh.

    Per workspace: one tenant's paid lookups never answer another's.
    """

    @abstractmethod
    async def get(self, workspace_id: UUID, key: str, fresh_since: datetime) -> ProviderResult | None: ...

    @abstractmethod
    async def put(self, workspace_id: UUID, key: str, result: ProviderResult, at: datetime) -> None:
        """Keep a hit or a miss (nothing else is an answer worth keeping)."""

    @abstractmethod
    async def put_many(self, workspace_id: UUID, answers: list[tuple[str, ProviderResult]], at: datetime) -> None:
        """`put` each (key, answer), in one go."""
