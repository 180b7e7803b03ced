from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from domain.workspaces.workspace import WorkspaceView, clean_workspace_name
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class RenameWorkspaceCommand:
    actor_id: UUID
    workspace_id: UUID
    name: str


class RenameWorkspace:
    """Rename a workspace. Rules: admin or owner; the name is 1-100 characters."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, cmd: RenameWorkspaceCommand) -> WorkspaceView:
        name = clean_workspace_name(cmd.name)
        async with self._uow as uow:
            role = await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WORKSPACE_RENAME)
            workspace = await uow.workspaces.get(cmd.workspace_id)
            if workspace is None:
                raise NotFound("workspace not found")
            await uow.workspaces.rename(cmd.workspace_id, name)
            await uow.commit()
        return WorkspaceView(id=workspace.id, name=name, role=role, created_at=workspace.created_at)
