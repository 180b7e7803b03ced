from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.kernel.pagination import Page, PageRequest
from domain.workspaces.workspace import WorkspaceView
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListWorkspacesQuery:
    actor_id: UUID
    page: PageRequest


class ListWorkspaces:
    """The workspaces the actor belongs to, with the actor's role in each."""

    def __init__(self, reader: WorkspaceReader) -> None:
        self._reader = reader

    async def __call__(self, query: ListWorkspacesQuery) -> Page[WorkspaceView]:
        return await self._reader.list_for_member(query.actor_id, query.page)
