"""Invitations and the team's listings, in memory."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView


class MemoryInvitationRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, invitation: Invitation) -> None:
        if await self.get_open_for_email(invitation.workspace_id, invitation.email):
            raise conflict(self._t, "an invitation for that email is already pending")
        taken = invitation.id in self._t.invitations
        if taken or any(i.token_hash == invitation.token_hash for i in self._t.invitations.values()):
            raise conflict(self._t, "invitation already exists")
        self._t.invitations[invitation.id] = replace(invitation)

    async def get(self, workspace_id: UUID, invitation_id: UUID) -> Invitation | None:
        invitation = self._t.invitations.get(invitation_id)
        return replace(invitation) if invitation and invitation.workspace_id == workspace_id else None

    async def get_by_token_hash_for_update(self, token_hash: str) -> Invitation | None:
        return next((replace(i) for i in self._t.invitations.values() if i.token_hash == token_hash), None)

    async def get_open_for_email(self, workspace_id: UUID, email: str) -> Invitation | None:
        return next(
            (
                replace(i)
                for i in self._t.invitations.values()
                if i.workspace_id == workspace_id and i.email == email and i.is_open
            ),
            None,
        )

    async def save(self, invitation: Invitation) -> None:
        if invitation.id in self._t.invitations:
            self._t.invitations[invitation.id] = replace(invitation)


class MemoryTeamReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list_members(self, workspace_id: UUID, page: PageRequest) -> Page[MemberView]:
        tables = self._store.tables
        views = [
            MemberView(user_id=u.id, email=u.email, name=u.name, role=m.role, joined_at=m.created_at)
            for (ws_id, uid), m in tables.memberships.items()
            if ws_id == workspace_id and (u := tables.users.get(uid)) is not None
        ]
        views.sort(key=lambda v: (v.joined_at, v.user_id))
        if page.after:
            after = (page.after.created_at, page.after.id)
            views = [v for v in views if (v.joined_at, v.user_id) > after]
        return page_of(views[: page.limit + 1], page.limit, lambda v: Cursor(created_at=v.joined_at, id=v.user_id))

    async def list_invitations(self, workspace_id: UUID, page: PageRequest) -> Page[Invitation]:
        invitations = [replace(i) for i in self._store.tables.invitations.values() if i.workspace_id == workspace_id]
        invitations.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        if page.after:
            before = (page.after.created_at, page.after.id)
            invitations = [i for i in invitations if (i.created_at, i.id) < before]
        return page_of(invitations[: page.limit + 1], page.limit, lambda i: Cursor(created_at=i.created_at, id=i.id))


# This context's repositories in a unit of work (`TeamRepositories` in ports/team.py).
REPOSITORIES: Repositories = {
    "invitations": MemoryInvitationRepository,
}
