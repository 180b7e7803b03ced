from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.records.record import Record
from ports.records import RecordFilter


class MemoryRecordRepository:
    """Records are copied in and out: their inputs, fields and provenance are mutable."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, record: Record) -> None:
        if record.id in self._t.records:
            raise conflict(self._t, "record already exists")
        self._t.records[record.id] = deepcopy(record)

    async def add_many(self, records: list[Record]) -> None:
        for record in records:
            await self.add(record)

    async def get_for_update(self, workspace_id: UUID, record_id: UUID) -> Record | None:
        record = self._t.records.get(record_id)
        return deepcopy(record) if record and record.workspace_id == workspace_id else None

    async def lock_many(self, workspace_id: UUID, record_ids: list[UUID]) -> dict[UUID, Record]:
        found = {i: await self.get_for_update(workspace_id, i) for i in record_ids}
        return {i: r for i, r in found.items() if r is not None}

    async def save_many(self, records: list[Record]) -> None:
        for record in records:
            await self.save(record)

    async def save(self, record: Record) -> None:
        stored = self._t.records.get(record.id)
        if stored and stored.workspace_id == record.workspace_id:
            self._t.records[record.id] = replace(
                stored,
                inputs=deepcopy(record.inputs),
                fields=deepcopy(record.fields),
                provenance=dict(record.provenance),
                status=record.status,
                updated_at=record.updated_at,
                version=stored.version + 1,
            )
            record.version = stored.version + 1

    async def delete(self, workspace_id: UUID, record_id: UUID) -> int | None:
        record = self._t.records.get(record_id)
        if record is None or record.workspace_id != workspace_id:
            return None
        del self._t.records[record_id]
        return record.version + 1


def _matches(record: Record, where: RecordFilter) -> bool:
    return (
        (where.kind is None or record.kind is where.kind)
        and (where.status is None or record.status is where.status)
        and (where.domain is None or record.domain == where.domain)
    )


class MemoryRecordReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, workspace_id: UUID, record_id: UUID) -> Record | None:
        record = self._store.tables.records.get(record_id)
        return deepcopy(record) if record and record.workspace_id == workspace_id else None

    async def get_many(self, workspace_id: UUID, record_ids: list[UUID]) -> list[Record]:
        found = (self._store.tables.records.get(i) for i in set(record_ids))
        return [deepcopy(r) for r in found if r is not None and r.workspace_id == workspace_id]

    async def list(self, workspace_id: UUID, page: PageRequest, where: RecordFilter) -> Page[Record]:
        found = [
            r for r in self._store.tables.records.values() if r.workspace_id == workspace_id and _matches(r, where)
        ]
        found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        if page.after:
            before = (page.after.created_at, page.after.id)
            found = [r for r in found if (r.created_at, r.id) < before]
        rows = [deepcopy(r) for r in found[: page.limit + 1]]
        return page_of(rows, page.limit, lambda r: Cursor(created_at=r.created_at, id=r.id))


# This context's repositories in a unit of work (`RecordRepositories` in ports/records.py).
REPOSITORIES: Repositories = {
    "records": MemoryRecordRepository,
}
