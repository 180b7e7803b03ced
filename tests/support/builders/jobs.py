"""Enrichment jobs with realistic values, and a way to store them, for contract tests."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from domain.jobs.job import Job, JobStatus
from domain.workspaces.workspace import Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import utc_now


def new_job(
    workspace: Workspace,
    *,
    total: int = 3,
    idempotency_key: str | None = None,
    status: JobStatus = JobStatus.QUEUED,
    reserved: int = 12,
    created_at: datetime | None = None,
) -> Job:
    job_id = uuid4()
    return Job(
        id=job_id,
        workspace_id=workspace.id,
        created_by=workspace.created_by,
        status=status,
        fields=("title", "companyDomain", "location"),
        providers=("apollo", "hunter", "clearbit"),
        total=total,
        credits_reserved=reserved,
        reservation_id=job_id if reserved else None,
        idempotency_key=idempotency_key,
        fingerprint=uuid4().hex,
        created_at=created_at or utc_now(),
    )


async def store_job(backend: Backend, job: Job, record_ids: list[UUID] | None = None) -> list[UUID]:
    """Add the job with its items in one committed unit of work; returns the items' record ids."""
    ids = record_ids if record_ids is not None else [uuid4() for _ in range(job.total)]
    async with backend.uow() as uow:
        await uow.jobs.add(job, ids)
        await uow.commit()
    return ids
