from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from adapters.memory.store import MemoryStore
from domain.identity.users import User
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView, WorkspaceView


class MemoryUserReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, user_id: UUID) -> User | None:
        user = self._store.tables.users.get(user_id)
        return replace(user) if user else None

    async def get_by_email(self, email: str) -> User | None:
        return next((replace(u) for u in self._store.tables.users.values() if u.email == email), None)


class MemoryWorkspaceReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def role_of(self, workspace_id: UUID, user_id: UUID) -> Role | None:
        membership = self._store.tables.memberships.get((workspace_id, user_id))
        return membership.role if membership else None

    async def get_for_member(self, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None:
        tables = self._store.tables
        membership = tables.memberships.get((workspace_id, user_id))
        workspace = tables.workspaces.get(workspace_id)
        if membership is None or workspace is None:
            return None
        return WorkspaceView(
            id=workspace.id, name=workspace.name, role=membership.role, created_at=workspace.created_at
        )

    async def list_for_member(self, user_id: UUID, page: PageRequest) -> Page[WorkspaceView]:
        tables = self._store.tables
        views = [
            WorkspaceView(id=w.id, name=w.name, role=m.role, created_at=w.created_at)
            for (ws_id, uid), m in tables.memberships.items()
            if uid == user_id and (w := tables.workspaces.get(ws_id)) is not None
        ]
        views.sort(key=lambda v: (v.created_at, v.id))
        if page.after:
            after = (page.after.created_at, page.after.id)
            views = [v for v in views if (v.created_at, v.id) > after]
        return page_of(views[: page.limit + 1], page.limit, lambda v: Cursor(created_at=v.created_at, id=v.id))


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
