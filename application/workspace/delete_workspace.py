from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.caching import forget_roles
from domain.kernel.permissions import Action
from ports.cache import Cache
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class DeleteWorkspaceCommand:
    actor_id: UUID
    workspace_id: UUID


class DeleteWorkspace:
    """Delete a workspace with everything in it.

    Rules: owners only. Its members lose access from the next request on: the workspace is
    locked first (no one joins meanwhile), and every member's cached role is forgotten.
    """

    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self._uow = uow
        self._cache = cache

    async def __call__(self, cmd: DeleteWorkspaceCommand) -> None:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WORKSPACE_DELETE, team_change=True)
            members = await uow.memberships.member_ids(cmd.workspace_id)
            await uow.workspaces.delete(cmd.workspace_id)
            await uow.commit()
        await forget_roles(self._cache, cmd.workspace_id, members)
