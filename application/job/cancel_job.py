from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from application.job.finish_job import count_finished, settle
from domain.credits.ledger import LedgerEntry
from domain.jobs.job import Job, JobStatus
from domain.kernel.errors import Conflict, NotFound
from domain.kernel.permissions import Action
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class CancelJobCommand:
    actor_id: UUID
    workspace_id: UUID
    job_id: UUID


class CancelJob:
    """Stop a job: no provider is called for it after this.

    Rules: members and up; a queued job is cancelled at once and its credits
    released; a running one is asked to stop, and its worker finishes it as
    `cancelled` once the records in flight are saved (within a second or
    so); cancelling a cancelled job changes nothing; one that finished
    otherwise is a `Conflict`.
    """

    def __init__(
        self,
        workspaces: WorkspaceReader,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._workspaces, self._uow, self._clock, self._ids = workspaces, uow, clock, ids
        self._metrics = metrics

    async def __call__(self, cmd: CancelJobCommand) -> Job:
        await authorize(self._workspaces, cmd.workspace_id, cmd.actor_id, Action.JOBS_RUN)
        async with self._uow as uow:
            job = await uow.jobs.get_for_update(cmd.workspace_id, cmd.job_id)
            if job is None:
                raise NotFound("job not found")
            if job.status is JobStatus.CANCELLED:
                return job
            if job.status.finished:
                raise Conflict(f"the job has already {job.status.value.replace('_', ' ')}")
            job.cancel_requested = True
            settled = job.status is JobStatus.QUEUED
            release: LedgerEntry | None = None
            if settled:
                release = await settle(uow, job, at=self._clock.now(), ids=self._ids)
            else:
                await uow.jobs.save(job)
            await uow.commit()
        if settled:
            count_finished(self._metrics, job, release)
        return job
