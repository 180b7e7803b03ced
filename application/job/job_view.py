"""A job as users see it: the row plus its progress and what it has spent so far."""

from __future__ import annotations

from dataclasses import dataclass

from domain.jobs.job import Job, JobProgress
from domain.kernel.errors import NotFound
from ports.credits import CreditReader
from ports.jobs import JobReader


@dataclass(slots=True, kw_only=True, frozen=True)
class JobView:
    job: Job
    progress: JobProgress
    credits_spent: int


async def view_of(job: Job, jobs: JobReader, credits: CreditReader) -> JobView:
    if job.final_progress is not None and job.credits_spent is not None:
        return JobView(job=job, progress=job.final_progress, credits_spent=job.credits_spent)
    progress = await jobs.progress(job.workspace_id, job.id)
    if progress is None:
        raise NotFound("job not found")
    spent = 0
    if job.reservation_id is not None:
        reservation = await credits.reservation(job.workspace_id, job.reservation_id)
        if reservation is not None:
            spent = reservation.amount - reservation.remaining if reservation.is_open else job.credits_spent or 0
    return JobView(job=job, progress=progress, credits_spent=spent)
