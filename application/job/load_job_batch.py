from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.job.enrich_job_item import ItemWork
from domain.jobs.job import JobStatus
from domain.kernel.errors import NotFound
from ports.jobs import JobReader
from ports.records import RecordReader


@dataclass(slots=True, kw_only=True, frozen=True)
class LoadJobBatchQuery:
    workspace_id: UUID
    job_id: UUID
    start: int
    end: int


class LoadJobBatch:
    """The work left in positions [start, end) of a running job: its pending items with their records.

    Rules: nothing for a job that is not running or was asked to stop; an
    item done by an earlier run of the batch is not given again.
    """

    def __init__(self, jobs: JobReader, records: RecordReader) -> None:
        self._jobs, self._records = jobs, records

    async def __call__(self, query: LoadJobBatchQuery) -> list[ItemWork]:
        job = await self._jobs.get(query.workspace_id, query.job_id)
        if job is None:
            raise NotFound("job not found")
        if job.status is not JobStatus.RUNNING or job.cancel_requested:
            return []
        items = await self._jobs.pending_items(query.workspace_id, query.job_id, query.start, query.end)
        records = {r.id: r for r in await self._records.get_many(query.workspace_id, [i.record_id for i in items])}
        return [ItemWork(job=job, item=item, record=records.get(item.record_id)) for item in items]


class JobStopped:
    """Whether a job should stop calling providers: finished, gone, or asked to stop."""

    def __init__(self, jobs: JobReader) -> None:
        self._jobs = jobs

    async def __call__(self, workspace_id: UUID, job_id: UUID) -> bool:
        job = await self._jobs.get(workspace_id, job_id)
        return job is None or job.cancel_requested or job.status is not JobStatus.RUNNING
