from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.enrichment.schema import Outcome, ProviderResult

CACHEABLE = (Outcome.HIT, Outcome.MISS)


class MemoryLookupCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[UUID, str], tuple[ProviderResult, datetime]] = {}

    async def get(self, workspace_id: UUID, key: str, fresh_since: datetime) -> ProviderResult | None:
        found = self._entries.get((workspace_id, key))
        return replace(found[0], detail="cached") if found and found[1] >= fresh_since else None

    async def put(self, workspace_id: UUID, key: str, result: ProviderResult, at: datetime) -> None:
        if result.outcome in CACHEABLE:
            self._entries[(workspace_id, key)] = (result, at)

    async def put_many(self, workspace_id: UUID, answers: list[tuple[str, ProviderResult]], at: datetime) -> None:
        for key, result in answers:
            await self.put(workspace_id, key, result, at)
