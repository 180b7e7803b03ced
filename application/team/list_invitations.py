from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from domain.team.invitations import Invitation
from ports.team import TeamReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListInvitationsQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest


class ListInvitations:
    """Every invitation of the workspace, newest first. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, team: TeamReader) -> None:
        self._workspaces = workspaces
        self._team = team

    async def __call__(self, query: ListInvitationsQuery) -> Page[Invitation]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.INVITATIONS_MANAGE)
        return await self._team.list_invitations(query.workspace_id, query.page)
