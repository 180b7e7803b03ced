"""Workspaces and memberships on PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pagination import FIRST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.kernel.permissions import Role
from domain.workspaces.workspace import Membership, Workspace, WorkspaceView

INSERT_WORKSPACE = """
INSERT INTO workspaces (id, name, created_by, created_at)
VALUES (%(id)s, %(name)s, %(created_by)s, %(created_at)s)
"""

SELECT_WORKSPACE = "SELECT id, name, created_by, created_at FROM workspaces WHERE id = %(id)s"

LOCK_WORKSPACE = "SELECT id, name, created_by, created_at FROM workspaces WHERE id = %(id)s FOR UPDATE"

RENAME_WORKSPACE = "UPDATE workspaces SET name = %(name)s WHERE id = %(id)s"

DELETE_WORKSPACE = "DELETE FROM workspaces WHERE id = %(id)s"


def workspace_from_row(row: tuple[Any, ...]) -> Workspace:
    id_, name, created_by, created_at = row
    return Workspace(id=id_, name=name, created_by=created_by, created_at=created_at)


class PostgresWorkspaceRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, workspace: Workspace) -> None:
        with unique_violation_as_conflict("workspace already exists"):
            await self._conn.execute(
                INSERT_WORKSPACE,
                {
                    "id": workspace.id,
                    "name": workspace.name,
                    "created_by": workspace.created_by,
                    "created_at": workspace.created_at,
                },
            )

    async def get(self, workspace_id: UUID) -> Workspace | None:
        row = await (await self._conn.execute(SELECT_WORKSPACE, {"id": workspace_id})).fetchone()
        return workspace_from_row(row) if row else None

    async def lock(self, workspace_id: UUID) -> Workspace | None:
        row = await (await self._conn.execute(LOCK_WORKSPACE, {"id": workspace_id})).fetchone()
        return workspace_from_row(row) if row else None

    async def rename(self, workspace_id: UUID, name: str) -> None:
        await self._conn.execute(RENAME_WORKSPACE, {"id": workspace_id, "name": name})

    async def delete(self, workspace_id: UUID) -> None:
        await self._conn.execute(DELETE_WORKSPACE, {"id": workspace_id})


INSERT_MEMBERSHIP = """
INSERT INTO memberships (workspace_id, user_id, role, created_at)
VALUES (%(workspace_id)s, %(user_id)s, %(role)s, %(created_at)s)
"""

SELECT_MEMBERSHIP = """
SELECT workspace_id, user_id, role, created_at FROM memberships WHERE workspace_id = %(ws)s AND user_id = %(user)s
"""

SELECT_MEMBERSHIP_FOR_SHARE = """
SELECT workspace_id, user_id, role, created_at FROM memberships WHERE workspace_id = %(ws)s AND user_id = %(user)s
FOR SHARE
"""

COUNT_OWNERS = "SELECT count(*) FROM memberships WHERE workspace_id = %(ws)s AND role = 'owner'"

SELECT_MEMBER_IDS = "SELECT user_id FROM memberships WHERE workspace_id = %(ws)s ORDER BY created_at, user_id"

UPDATE_MEMBERSHIP = "UPDATE memberships SET role = %(role)s WHERE workspace_id = %(ws)s AND user_id = %(user)s"

DELETE_MEMBERSHIP = "DELETE FROM memberships WHERE workspace_id = %(ws)s AND user_id = %(user)s"


def membership_from_row(row: tuple[Any, ...]) -> Membership:
    workspace_id, user_id, role, created_at = row
    return Membership(workspace_id=workspace_id, user_id=user_id, role=Role.parse(role), created_at=created_at)


class PostgresMembershipRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, membership: Membership) -> None:
        with unique_violation_as_conflict("already a member"):
            await self._conn.execute(
                INSERT_MEMBERSHIP,
                {
                    "workspace_id": membership.workspace_id,
                    "user_id": membership.user_id,
                    "role": membership.role.label,
                    "created_at": membership.created_at,
                },
            )

    async def get(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        row = await (await self._conn.execute(SELECT_MEMBERSHIP, {"ws": workspace_id, "user": user_id})).fetchone()
        return membership_from_row(row) if row else None

    async def get_for_share(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        cursor = await self._conn.execute(SELECT_MEMBERSHIP_FOR_SHARE, {"ws": workspace_id, "user": user_id})
        row = await cursor.fetchone()
        return membership_from_row(row) if row else None

    async def count_owners(self, workspace_id: UUID) -> int:
        row = await (await self._conn.execute(COUNT_OWNERS, {"ws": workspace_id})).fetchone()
        return int(row[0]) if row else 0

    async def member_ids(self, workspace_id: UUID) -> list[UUID]:
        rows = await (await self._conn.execute(SELECT_MEMBER_IDS, {"ws": workspace_id})).fetchall()
        return [row[0] for row in rows]

    async def update(self, membership: Membership) -> None:
        await self._conn.execute(
            UPDATE_MEMBERSHIP,
            {"ws": membership.workspace_id, "user": membership.user_id, "role": membership.role.label},
        )

    async def remove(self, workspace_id: UUID, user_id: UUID) -> None:
        await self._conn.execute(DELETE_MEMBERSHIP, {"ws": workspace_id, "user": user_id})


SELECT_ROLE = "SELECT role FROM memberships WHERE workspace_id = %(ws)s AND user_id = %(user)s"

SELECT_WORKSPACE_FOR_MEMBER = """
SELECT w.id, w.name, m.role, w.created_at
FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
WHERE m.workspace_id = %(ws)s AND m.user_id = %(user)s
"""

LIST_WORKSPACES_FOR_MEMBER = """
SELECT w.id, w.name, m.role, w.created_at
FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
WHERE m.user_id = %(user)s AND (w.created_at, w.id) > (%(after_ts)s, %(after_id)s)
ORDER BY w.created_at, w.id
LIMIT %(limit)s
"""


def _workspace_view(row: tuple[Any, ...]) -> WorkspaceView:
    id_, name, role, created_at = row
    return WorkspaceView(id=id_, name=name, role=Role.parse(role), created_at=created_at)


class PostgresWorkspaceReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def role_of(self, workspace_id: UUID, user_id: UUID) -> Role | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(SELECT_ROLE, {"ws": workspace_id, "user": user_id})).fetchone()
        return Role.parse(row[0]) if row else None

    async def get_for_member(self, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None:
        async with connection(self._pool) as conn:
            cursor = await conn.execute(SELECT_WORKSPACE_FOR_MEMBER, {"ws": workspace_id, "user": user_id})
            row = await cursor.fetchone()
        return _workspace_view(row) if row else None

    async def list_for_member(self, user_id: UUID, page: PageRequest) -> Page[WorkspaceView]:
        after = page.after or FIRST_CURSOR
        params = {"user": user_id, "after_ts": after.created_at, "after_id": after.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_WORKSPACES_FOR_MEMBER, params)).fetchall()
        return page_of(
            [_workspace_view(r) for r in rows], page.limit, lambda v: Cursor(created_at=v.created_at, id=v.id)
        )


# This context's repositories in a unit of work (`WorkspaceRepositories` in ports/workspaces.py).
REPOSITORIES: Repositories = {
    "workspaces": PostgresWorkspaceRepository,
    "memberships": PostgresMembershipRepository,
}
