from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from application.job.job_view import JobView, view_of
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from ports.credits import CreditReader
from ports.jobs import JobReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListJobsQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest


class ListJobs:
    """The workspace's jobs, newest first, cursor-paginated, each with its progress. Rules: any role."""

    def __init__(self, workspaces: WorkspaceReader, jobs: JobReader, credits: CreditReader) -> None:
        self._workspaces, self._jobs, self._credits = workspaces, jobs, credits

    async def __call__(self, query: ListJobsQuery) -> Page[JobView]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.RECORDS_READ)
        page = await self._jobs.list(query.workspace_id, query.page)
        views = [await view_of(job, self._jobs, self._credits) for job in page.items]
        return Page(items=views, next_cursor=page.next_cursor, limit=page.limit)
