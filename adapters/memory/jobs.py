from __future__ import annotations

from collections import Counter
from copy import deepcopy
from dataclasses import replace
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.jobs.job import ItemState, Job, JobItem, JobProgress
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from ports.jobs import ItemResult


def _copy(job: Job) -> Job:
    return replace(job)


def _progress(tables: Tables, job: Job) -> JobProgress:
    items = (tables.job_items[(job.id, p)] for p in range(job.total))
    return JobProgress.of(job.total, Counter(i.outcome or "" for i in items if i.state is ItemState.DONE))


class MemoryJobRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, job: Job, record_ids: list[UUID]) -> None:
        if job.id in self._t.jobs:
            raise conflict(self._t, "job already exists")
        if job.idempotency_key and any(
            j.workspace_id == job.workspace_id and j.idempotency_key == job.idempotency_key
            for j in self._t.jobs.values()
        ):
            raise conflict(self._t, "a job with this idempotency key already exists")
        self._t.jobs[job.id] = _copy(job)
        for position, record_id in enumerate(record_ids):
            self._t.job_items[(job.id, position)] = JobItem(
                job_id=job.id, workspace_id=job.workspace_id, position=position, record_id=record_id
            )

    async def get_for_update(self, workspace_id: UUID, job_id: UUID) -> Job | None:
        job = self._t.jobs.get(job_id)
        return _copy(job) if job and job.workspace_id == workspace_id else None

    async def by_idempotency_key(self, workspace_id: UUID, key: str) -> Job | None:
        return _by_key(self._t, workspace_id, key)

    async def save(self, job: Job) -> None:
        stored = self._t.jobs.get(job.id)
        if stored and stored.workspace_id == job.workspace_id:
            self._t.jobs[job.id] = replace(
                stored,
                status=job.status,
                cancel_requested=job.cancel_requested,
                credits_spent=job.credits_spent,
                final_progress=job.final_progress,
                error=job.error,
                started_at=job.started_at,
                finished_at=job.finished_at,
            )

    async def finish_item(self, item: JobItem) -> bool:
        stored = self._t.job_items.get((item.job_id, item.position))
        if stored is None or stored.workspace_id != item.workspace_id or stored.state is ItemState.DONE:
            return False
        self._t.job_items[(item.job_id, item.position)] = replace(item, record_id=stored.record_id)
        return True

    async def finish_items(self, items: list[JobItem]) -> set[int]:
        return {item.position for item in items if await self.finish_item(item)}

    async def progress(self, workspace_id: UUID, job_id: UUID) -> JobProgress | None:
        job = self._t.jobs.get(job_id)
        return _progress(self._t, job) if job and job.workspace_id == workspace_id else None


def _by_key(tables: Tables, workspace_id: UUID, key: str) -> Job | None:
    for job in tables.jobs.values():
        if job.workspace_id == workspace_id and job.idempotency_key == key:
            return _copy(job)
    return None


class MemoryJobReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def _job(self, workspace_id: UUID, job_id: UUID) -> Job | None:
        job = self._store.tables.jobs.get(job_id)
        return job if job and job.workspace_id == workspace_id else None

    async def get(self, workspace_id: UUID, job_id: UUID) -> Job | None:
        job = self._job(workspace_id, job_id)
        return _copy(job) if job else None

    async def by_idempotency_key(self, workspace_id: UUID, key: str) -> Job | None:
        return _by_key(self._store.tables, workspace_id, key)

    async def progress(self, workspace_id: UUID, job_id: UUID) -> JobProgress | None:
        job = self._job(workspace_id, job_id)
        return _progress(self._store.tables, job) if job else None

    async def pending_items(self, workspace_id: UUID, job_id: UUID, start: int, end: int) -> list[JobItem]:
        job = self._job(workspace_id, job_id)
        if job is None:
            return []
        items = (self._store.tables.job_items[(job_id, p)] for p in range(max(start, 0), min(end, job.total)))
        return [i for i in items if i.state is ItemState.PENDING]

    async def results(self, workspace_id: UUID, job_id: UUID, *, after: int | None, limit: int) -> list[ItemResult]:
        job = self._job(workspace_id, job_id)
        if job is None:
            return []
        first = 0 if after is None else after + 1
        tables = self._store.tables
        items = [tables.job_items[(job_id, p)] for p in range(first, min(first + limit, job.total))]
        out = []
        for item in items:
            record = tables.records.get(item.record_id)
            mine = record is not None and record.workspace_id == workspace_id
            out.append(ItemResult(item=item, record=deepcopy(record) if mine else None))
        return out

    async def unfinished(self, limit: int) -> list[Job]:
        found = [j for j in self._store.tables.jobs.values() if not j.status.finished]
        return [_copy(j) for j in sorted(found, key=lambda j: (j.created_at, j.id))[:limit]]

    async def list(self, workspace_id: UUID, page: PageRequest) -> Page[Job]:
        found = [j for j in self._store.tables.jobs.values() if j.workspace_id == workspace_id]
        found.sort(key=lambda j: (j.created_at, j.id), reverse=True)
        if page.after:
            before = (page.after.created_at, page.after.id)
            found = [j for j in found if (j.created_at, j.id) < before]
        rows = [_copy(j) for j in found[: page.limit + 1]]
        return page_of(rows, page.limit, lambda j: Cursor(created_at=j.created_at, id=j.id))


# This context's repositories in a unit of work (`JobRepositories` in ports/jobs.py).
REPOSITORIES: Repositories = {
    "jobs": MemoryJobRepository,
}
