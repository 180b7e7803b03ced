"""What a search rebuild reads (every record) and where its runs are kept, in this process."""

from __future__ import annotations

from copy import deepcopy
from uuid import UUID

from adapters.memory.store import MemoryStore
from domain.records.record import Record
from domain.search.reindex import ABANDONED, Reindex, ReindexRunning, ReindexStatus


class MemorySearchSource:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def records_after(self, after: UUID | None, limit: int) -> list[Record]:
        records = self._store.tables.records
        ids = sorted(i for i in records if after is None or i > after)[:limit]
        return [deepcopy(records[i]) for i in ids]

    async def count(self) -> int:
        return len(self._store.tables.records)


class MemoryReindexes:
    def __init__(self) -> None:
        self._runs: dict[UUID, Reindex] = {}

    async def begin(self, reindex: Reindex) -> None:
        for run in list(self._runs.values()):
            if run.abandoned(reindex.started_at):
                self._runs[run.id] = run.failed_with(ABANDONED, reindex.started_at)
            elif run.status is ReindexStatus.RUNNING:
                raise ReindexRunning("a reindex is already running")
        self._runs[reindex.id] = reindex

    async def save(self, reindex: Reindex) -> None:
        self._runs[reindex.id] = reindex

    async def get(self, reindex_id: UUID) -> Reindex | None:
        return self._runs.get(reindex_id)

    async def latest(self) -> Reindex | None:
        return max(self._runs.values(), key=lambda r: (r.started_at, r.id), default=None)
