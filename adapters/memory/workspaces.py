"""Workspaces and memberships, in memory."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.kernel.permissions import Role
from domain.workspaces.workspace import Membership, Workspace, WorkspaceView


class MemoryWorkspaceRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, workspace: Workspace) -> None:
        if workspace.id in self._t.workspaces:
            raise conflict(self._t, "workspace already exists")
        self._t.workspaces[workspace.id] = replace(workspace)

    async def get(self, workspace_id: UUID) -> Workspace | None:
        workspace = self._t.workspaces.get(workspace_id)
        return replace(workspace) if workspace else None

    async def lock(self, workspace_id: UUID) -> Workspace | None:
        return await self.get(workspace_id)

    async def rename(self, workspace_id: UUID, name: str) -> None:
        if workspace := self._t.workspaces.get(workspace_id):
            self._t.workspaces[workspace_id] = replace(workspace, name=name)

    async def delete(self, workspace_id: UUID) -> None:
        self._t.workspaces.pop(workspace_id, None)
        for key in [k for k in self._t.memberships if k[0] == workspace_id]:
            del self._t.memberships[key]
        for invitation_id in [k for k, i in self._t.invitations.items() if i.workspace_id == workspace_id]:
            del self._t.invitations[invitation_id]
        self._t.credit_accounts.pop(workspace_id, None)
        for entry_id in [k for k, e in self._t.ledger.items() if e.workspace_id == workspace_id]:
            del self._t.ledger[entry_id]
        for ledger_key in [k for k in self._t.ledger_keys if k[0] == workspace_id]:
            del self._t.ledger_keys[ledger_key]
        for reservation_id in [k for k, r in self._t.reservations.items() if r.workspace_id == workspace_id]:
            del self._t.reservations[reservation_id]
        for credential_id in [k for k, c in self._t.credentials.items() if c.workspace_id == workspace_id]:
            del self._t.credentials[credential_id]
        for audit_id in [k for k, e in self._t.audit_log.items() if e.workspace_id == workspace_id]:
            del self._t.audit_log[audit_id]
        for record_id in [k for k, r in self._t.records.items() if r.workspace_id == workspace_id]:
            del self._t.records[record_id]
        for attempt_id in [k for k, a in self._t.attempts.items() if a.workspace_id == workspace_id]:
            del self._t.attempts[attempt_id]
        for job_id in [k for k, j in self._t.jobs.items() if j.workspace_id == workspace_id]:
            del self._t.jobs[job_id]
        for item_key in [k for k, i in self._t.job_items.items() if i.workspace_id == workspace_id]:
            del self._t.job_items[item_key]
        for webhook_id in [k for k, w in self._t.webhooks.items() if w.workspace_id == workspace_id]:
            del self._t.webhooks[webhook_id]
        for delivery_id in [k for k, d in self._t.deliveries.items() if d.workspace_id == workspace_id]:
            del self._t.deliveries[delivery_id]
            self._t.delivery_attempts.pop(delivery_id, None)


class MemoryMembershipRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, membership: Membership) -> None:
        key = (membership.workspace_id, membership.user_id)
        if key in self._t.memberships:
            raise conflict(self._t, "already a member")
        self._t.memberships[key] = replace(membership)

    async def get(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        membership = self._t.memberships.get((workspace_id, user_id))
        return replace(membership) if membership else None

    async def get_for_share(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        return await self.get(workspace_id, user_id)

    async def count_owners(self, workspace_id: UUID) -> int:
        return sum(1 for (ws, _), m in self._t.memberships.items() if ws == workspace_id and m.role is Role.OWNER)

    async def member_ids(self, workspace_id: UUID) -> list[UUID]:
        members = [m for (ws, _), m in self._t.memberships.items() if ws == workspace_id]
        return [m.user_id for m in sorted(members, key=lambda m: (m.created_at, m.user_id))]

    async def update(self, membership: Membership) -> None:
        key = (membership.workspace_id, membership.user_id)
        if key in self._t.memberships:
            self._t.memberships[key] = replace(membership)

    async def remove(self, workspace_id: UUID, user_id: UUID) -> None:
        self._t.memberships.pop((workspace_id, user_id), None)


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


# This context's repositories in a unit of work (`WorkspaceRepositories` in ports/workspaces.py).
REPOSITORIES: Repositories = {
    "workspaces": MemoryWorkspaceRepository,
    "memberships": MemoryMembershipRepository,
}
