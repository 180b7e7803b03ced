from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.permissions import Role
from domain.workspaces import Membership, Workspace, WorkspaceView, clean_workspace_name
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class CreateWorkspaceCommand:
    actor_id: UUID
    name: str


class CreateWorkspace:
    """Create a workspace; its creator becomes its owner in the same transaction."""

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: CreateWorkspaceCommand) -> WorkspaceView:
        now = self._clock.now()
        workspace = Workspace(
            id=self._ids.new_id(), name=clean_workspace_name(cmd.name), created_by=cmd.actor_id, created_at=now
        )
        async with self._uow as uow:
            await uow.workspaces.add(workspace)
            await uow.memberships.add(
                Membership(workspace_id=workspace.id, user_id=cmd.actor_id, role=Role.OWNER, created_at=now)
            )
            await uow.commit()
        return WorkspaceView(id=workspace.id, name=workspace.name, role=Role.OWNER, created_at=now)
