from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.identity import SELECT_USER, SELECT_USER_BY_EMAIL, user_from_row
from adapters.postgres.pool import connection
from adapters.postgres.team import INVITATION_COLUMNS, invitation_from_row
from domain.identity.users import User
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView, WorkspaceView

# Keyset bounds for the first page: before every row, or after every row.
FIRST_CURSOR = Cursor(created_at=datetime.min.replace(tzinfo=UTC), id=UUID(int=0))
LAST_CURSOR = Cursor(created_at=datetime.max.replace(tzinfo=UTC), id=UUID(int=(1 << 128) - 1))

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
LIST_MEMBERS = """
SELECT u.id, u.email, u.name, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.workspace_id = %(ws)s AND (m.created_at, m.user_id) > (%(after_ts)s, %(after_id)s)
ORDER BY m.created_at, m.user_id
LIMIT %(limit)s
"""
LIST_INVITATIONS = f"""
SELECT {INVITATION_COLUMNS} FROM invitations
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""


def _workspace_view(row: tuple[Any, ...]) -> WorkspaceView:
    id_, name, role, created_at = row
    return WorkspaceView(id=id_, name=name, role=Role.parse(role), created_at=created_at)


class PostgresUserReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def get(self, user_id: UUID) -> User | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(SELECT_USER, {"id": user_id})).fetchone()
        return user_from_row(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(SELECT_USER_BY_EMAIL, {"email": email})).fetchone()
        return user_from_row(row) if row else None


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


class PostgresTeamReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def list_members(self, workspace_id: UUID, page: PageRequest) -> Page[MemberView]:
        after = page.after or FIRST_CURSOR
        params = {"ws": workspace_id, "after_ts": after.created_at, "after_id": after.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_MEMBERS, params)).fetchall()
        members = [MemberView(user_id=r[0], email=r[1], name=r[2], role=Role.parse(r[3]), joined_at=r[4]) for r in rows]
        return page_of(members, page.limit, lambda m: Cursor(created_at=m.joined_at, id=m.user_id))

    async def list_invitations(self, workspace_id: UUID, page: PageRequest) -> Page[Invitation]:
        before = page.after or LAST_CURSOR
        params = {
            "ws": workspace_id,
            "before_ts": before.created_at,
            "before_id": before.id,
            "limit": page.limit + 1,
        }
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_INVITATIONS, params)).fetchall()
        return page_of(
            [invitation_from_row(r) for r in rows], page.limit, lambda i: Cursor(created_at=i.created_at, id=i.id)
        )
