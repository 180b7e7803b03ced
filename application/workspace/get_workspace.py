from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.kernel.errors import NotFound
from domain.workspaces.workspace import WorkspaceView
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetWorkspaceQuery:
    actor_id: UUID
    workspace_id: UUID


class GetWorkspace:
    """One workspace, for its members only; anyone else gets `NotFound`."""

    def __init__(self, reader: WorkspaceReader) -> None:
        self._reader = reader

    async def __call__(self, query: GetWorkspaceQuery) -> WorkspaceView:
        view = await self._reader.get_for_member(query.workspace_id, query.actor_id)
        if view is None:
            raise NotFound("workspace not found")
        return view
