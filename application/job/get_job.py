from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from application.job.job_view import JobView, view_of
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from ports.credits import CreditReader
from ports.jobs import JobReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetJobQuery:
    actor_id: UUID
    workspace_id: UUID
    job_id: UUID


class GetJob:
    """One job with its progress. Rules: any role; another workspace's job is `NotFound`."""

    def __init__(self, workspaces: WorkspaceReader, jobs: JobReader, credits: CreditReader) -> None:
        self._workspaces, self._jobs, self._credits = workspaces, jobs, credits

    async def __call__(self, query: GetJobQuery) -> JobView:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.RECORDS_READ)
        job = await self._jobs.get(query.workspace_id, query.job_id)
        if job is None:
            raise NotFound("job not found")
        return await view_of(job, self._jobs, self._credits)
