from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.jobs.job import decode_position, encode_position
from domain.kernel.errors import ErrorDetail, NotFound, ValidationFailed
from domain.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from domain.kernel.permissions import Action
from ports.jobs import ItemResult, JobReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListJobResultsQuery:
    actor_id: UUID
    workspace_id: UUID
    job_id: UUID
    limit: int | None = None
    cursor: str | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class JobResultsPage:
    items: list[ItemResult]
    next_cursor: str | None


class ListJobResults:
    """A job's records in the order they were given, each with its outcome and the record as it is now.

    Rules: any role; another workspace's job is `NotFound`; cursor pagination by position.
    """

    def __init__(self, workspaces: WorkspaceReader, jobs: JobReader) -> None:
        self._workspaces, self._jobs = workspaces, jobs

    async def __call__(self, query: ListJobResultsQuery) -> JobResultsPage:
        limit = DEFAULT_LIMIT if query.limit is None else query.limit
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_LIMIT}",
                details=(ErrorDetail(field="limit", message="out of range"),),
            )
        after = decode_position(query.cursor) if query.cursor else None
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.RECORDS_READ)
        if await self._jobs.get(query.workspace_id, query.job_id) is None:
            raise NotFound("job not found")
        rows = await self._jobs.results(query.workspace_id, query.job_id, after=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return JobResultsPage(items=rows, next_cursor=encode_position(rows[-1].item.position) if more else None)
