"""A job's steps, each that writes in a request scope of its own: a unit of work per step, as `JobSteps` promises;
a batch's records are enriched in one scope (enriching writes nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from dishka import AsyncContainer

from application.enrichment.pending_lookups import Pause
from application.job.begin_job import BeginJob, BeginJobCommand, JobPlan
from application.job.enrich_job_item import EnrichJobItem, ItemOutcome, ItemWork, SaveJobItems
from application.job.finish_job import FinishJob, FinishJobCommand
from application.job.load_job_batch import JobStopped, LoadJobBatch, LoadJobBatchQuery
from application.job.steps import Enrich
from domain.jobs.job import Job


class ScopedJobSteps:
    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def begin(self, workspace_id: UUID, job_id: UUID, batch_size: int) -> JobPlan:
        async with self._container() as scope:
            begin = await scope.get(BeginJob)
            return await begin(BeginJobCommand(workspace_id=workspace_id, job_id=job_id, batch_size=batch_size))

    async def load_batch(self, workspace_id: UUID, job_id: UUID, start: int, end: int) -> list[ItemWork]:
        async with self._container() as scope:
            load = await scope.get(LoadJobBatch)
            return await load(LoadJobBatchQuery(workspace_id=workspace_id, job_id=job_id, start=start, end=end))

    async def stopped(self, workspace_id: UUID, job_id: UUID) -> bool:
        return await (await self._container.get(JobStopped))(workspace_id, job_id)  # a read: no scope needed

    @asynccontextmanager
    async def enricher(self) -> AsyncIterator[Enrich]:
        async with self._container() as scope:
            enrich_item = await scope.get(EnrichJobItem)

            async def enrich(item: ItemWork, pause: Pause) -> ItemOutcome:
                return await enrich_item(item, pause=pause)

            yield enrich

    async def save(self, outcomes: list[ItemOutcome]) -> None:
        async with self._container() as scope:
            await (await scope.get(SaveJobItems))(outcomes)

    async def finish(self, workspace_id: UUID, job_id: UUID, error: str | None) -> Job:
        async with self._container() as scope:
            finish = await scope.get(FinishJob)
            return await finish(FinishJobCommand(workspace_id=workspace_id, job_id=job_id, error=error))
