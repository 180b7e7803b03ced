from __future__ import annotations

from uuid import UUID

from adapters.memory.store import MemoryStore, Tables
from domain.enrichment.waterfall import RecordedAttempt


class MemoryAttemptLog:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, attempts: list[RecordedAttempt]) -> None:
        for attempt in attempts:
            self._t.attempts[attempt.id] = attempt


class MemoryAttemptReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def for_record(self, workspace_id: UUID, record_id: UUID, limit: int) -> list[RecordedAttempt]:
        found = [
            a
            for a in self._store.tables.attempts.values()
            if a.workspace_id == workspace_id and a.record_id == record_id
        ]
        return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)[:limit]
