from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.jobs.job import JobStatus, batch_bounds
from domain.kernel.errors import NotFound
from ports.system import Clock
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class BeginJobCommand:
    workspace_id: UUID
    job_id: UUID
    batch_size: int


@dataclass(slots=True, kw_only=True, frozen=True)
class JobPlan:
    batches: list[tuple[int, int]]  # positions [start, end) per batch
    run: bool  # False: finished or asked to stop; finish it without enriching


class BeginJob:
    """Mark a queued job running and plan its batches.

    Rules: a queued job becomes `running` (once; a retried call changes
    nothing); a finished job, or one asked to stop, is planned with nothing
    to run, so the caller goes straight to finishing it.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, cmd: BeginJobCommand) -> JobPlan:
        async with self._uow as uow:
            job = await uow.jobs.get_for_update(cmd.workspace_id, cmd.job_id)
            if job is None:
                raise NotFound("job not found")
            if job.status is JobStatus.QUEUED and not job.cancel_requested:
                job.status = JobStatus.RUNNING
                job.started_at = self._clock.now()
                await uow.jobs.save(job)
                await uow.commit()
            run = job.status is JobStatus.RUNNING and not job.cancel_requested
        return JobPlan(batches=batch_bounds(job.total, cmd.batch_size) if run else [], run=run)
