from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.credits.ledger import CreditRequest, EntryKind, LedgerEntry
from domain.jobs.job import Job, JobStatus, final_status
from domain.kernel.errors import NotFound
from domain.kernel.events import Event, EventType
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork

EVENT_OF = {
    JobStatus.COMPLETED: EventType.JOB_COMPLETED,
    JobStatus.PARTIALLY_COMPLETED: EventType.JOB_COMPLETED,
    JobStatus.FAILED: EventType.JOB_FAILED,
    JobStatus.CANCELLED: EventType.JOB_CANCELLED,
}


@dataclass(slots=True, kw_only=True, frozen=True)
class FinishJobCommand:
    workspace_id: UUID
    job_id: UUID
    error: str | None = None  # why the run stopped early, if it did


class FinishJob:
    """End a job: count its items, settle its credits, say so.

    Rules: a finished job is left as it is (a retried call changes nothing);
    the status follows from the items (`domain.jobs.job.final_status`); what the
    reservation still holds is released under the key `job:<id>:release`;
    the job's event (job.completed, job.failed or job.cancelled) is written
    to the outbox in the same transaction.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator, metrics: Metrics = NO_METRICS) -> None:
        self._uow, self._clock, self._ids, self._metrics = uow, clock, ids, metrics

    async def __call__(self, cmd: FinishJobCommand) -> Job:
        async with self._uow as uow:
            job = await uow.jobs.get_for_update(cmd.workspace_id, cmd.job_id)
            if job is None:
                raise NotFound("job not found")
            if job.status.finished:
                return job
            release = await settle(uow, job, at=self._clock.now(), ids=self._ids, error=cmd.error)
            await uow.commit()
        count_finished(self._metrics, job, release)
        return job


def count_finished(metrics: Metrics, job: Job, release: LedgerEntry | None) -> None:
    """Tell `metrics` about a job `settle` finished, once that is committed."""
    metrics.job_finished(job.status)
    if release is not None:
        metrics.credits_moved(release.kind, release.amount)


async def settle(
    uow: UnitOfWork, job: Job, *, at: datetime, ids: IdGenerator, error: str | None = None
) -> LedgerEntry | None:
    """Finish a locked, unfinished job inside the caller's unit of work; the release it posted, if it did."""
    progress = await uow.jobs.progress(job.workspace_id, job.id)
    assert progress is not None
    released = 0
    release: LedgerEntry | None = None
    if job.reservation_id is not None:
        release_id = ids.new_id()
        entry = await uow.credits.post(
            CreditRequest(
                workspace_id=job.workspace_id,
                kind=EntryKind.RELEASE,
                amount=0,
                idempotency_key=f"job:{job.id}:release",
                reason="enrichment job finished",
                reservation_id=job.reservation_id,
            ),
            entry_id=release_id,
            at=at,
        )
        released = entry.amount
        release = entry if entry.id == release_id else None
    job.status = final_status(progress, cancelled=job.cancel_requested)
    job.final_progress = progress
    job.credits_spent = job.credits_reserved - released
    job.error = error
    job.finished_at = at
    await uow.jobs.save(job)
    await uow.events.add(
        [
            Event(
                id=ids.new_id(),
                workspace_id=job.workspace_id,
                type=EVENT_OF[job.status],
                data={
                    "jobId": str(job.id),
                    "status": job.status.value,
                    "total": progress.total,
                    "done": progress.done,
                    "enriched": progress.enriched,
                    "partial": progress.partial,
                    "notFound": progress.not_found,
                    "failed": progress.failed,
                    "creditsSpent": job.credits_spent,
                    "error": error,
                },
                occurred_at=at,
            )
        ]
    )
    return release
