from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from domain.workspaces.workspace import MemberView
from ports.team import TeamReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListMembersQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest


class ListMembers:
    """The workspace's members with their roles; any member may read them."""

    def __init__(self, workspaces: WorkspaceReader, team: TeamReader) -> None:
        self._workspaces = workspaces
        self._team = team

    async def __call__(self, query: ListMembersQuery) -> Page[MemberView]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.MEMBERS_READ)
        return await self._team.list_members(query.workspace_id, query.page)
