from __future__ import annotations

from datetime import datetime
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables
from domain.kernel.events import Event


class MemoryEventOutbox:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, events: list[Event]) -> None:
        for event in events:
            self._t.events[event.id] = event
            self._t.event_order.setdefault(event.id, len(self._t.event_order) + 1)

    async def claim_unpublished(self, limit: int) -> list[Event]:
        waiting = [e for e in self._t.events.values() if e.id not in self._t.published]
        return sorted(waiting, key=lambda e: (e.occurred_at, e.id))[: max(limit, 0)]

    async def mark_published(self, event_ids: list[UUID], at: datetime) -> None:
        for event_id in event_ids:
            if event_id in self._t.events:
                self._t.published.setdefault(event_id, at)


class MemoryEventReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def recent(self, workspace_id: UUID, limit: int) -> list[Event]:
        found = [e for e in self._store.tables.events.values() if e.workspace_id == workspace_id]
        return sorted(found, key=lambda e: (e.occurred_at, e.id), reverse=True)[:limit]


# This context's repositories in a unit of work (`EventRepositories` in ports/events.py).
REPOSITORIES: Repositories = {
    "events": MemoryEventOutbox,
}
