from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.permissions import Action
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class DeleteWorkspaceCommand:
    actor_id: UUID
    workspace_id: UUID


class DeleteWorkspace:
    """Delete a workspace with everything in it. Rules: owners only."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, cmd: DeleteWorkspaceCommand) -> None:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WORKSPACE_DELETE)
            await uow.workspaces.delete(cmd.workspace_id)
            await uow.commit()
