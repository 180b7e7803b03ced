"""Invitations and the team's listings on PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pagination import FIRST_CURSOR, LAST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView

INSERT_INVITATION = """
INSERT INTO invitations
    (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by,
     revoked_at)
VALUES (%(id)s, %(workspace_id)s, %(email)s, %(role)s, %(token_hash)s, %(invited_by)s, %(created_at)s,
        %(expires_at)s, %(accepted_at)s, %(accepted_by)s, %(revoked_at)s)
"""

SELECT_INVITATION = """
SELECT id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by,
       revoked_at
FROM invitations WHERE workspace_id = %(ws)s AND id = %(id)s
"""

SELECT_INVITATION_BY_TOKEN = """
SELECT id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by,
       revoked_at
FROM invitations WHERE token_hash = %(hash)s FOR UPDATE
"""

SELECT_OPEN_INVITATION = """
SELECT id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by,
       revoked_at
FROM invitations
WHERE workspace_id = %(ws)s AND email = %(email)s AND accepted_at IS NULL AND revoked_at IS NULL
"""

SAVE_INVITATION = """
UPDATE invitations SET accepted_at = %(accepted_at)s, accepted_by = %(accepted_by)s, revoked_at = %(revoked_at)s
WHERE id = %(id)s
"""


def invitation_from_row(row: tuple[Any, ...]) -> Invitation:
    (id_, workspace_id, email, role, token_hash, invited_by, created_at, expires_at,
     accepted_at, accepted_by, revoked_at) = row  # fmt: skip
    return Invitation(
        id=id_,
        workspace_id=workspace_id,
        email=email,
        role=Role.parse(role),
        token_hash=token_hash,
        invited_by=invited_by,
        created_at=created_at,
        expires_at=expires_at,
        accepted_at=accepted_at,
        accepted_by=accepted_by,
        revoked_at=revoked_at,
    )


class PostgresInvitationRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, invitation: Invitation) -> None:
        with unique_violation_as_conflict("an invitation for that email is already pending"):
            await self._conn.execute(
                INSERT_INVITATION,
                {
                    "id": invitation.id,
                    "workspace_id": invitation.workspace_id,
                    "email": invitation.email,
                    "role": invitation.role.label,
                    "token_hash": invitation.token_hash,
                    "invited_by": invitation.invited_by,
                    "created_at": invitation.created_at,
                    "expires_at": invitation.expires_at,
                    "accepted_at": invitation.accepted_at,
                    "accepted_by": invitation.accepted_by,
                    "revoked_at": invitation.revoked_at,
                },
            )

    async def get(self, workspace_id: UUID, invitation_id: UUID) -> Invitation | None:
        cursor = await self._conn.execute(SELECT_INVITATION, {"ws": workspace_id, "id": invitation_id})
        row = await cursor.fetchone()
        return invitation_from_row(row) if row else None

    async def get_by_token_hash_for_update(self, token_hash: str) -> Invitation | None:
        row = await (await self._conn.execute(SELECT_INVITATION_BY_TOKEN, {"hash": token_hash})).fetchone()
        return invitation_from_row(row) if row else None

    async def get_open_for_email(self, workspace_id: UUID, email: str) -> Invitation | None:
        row = await (await self._conn.execute(SELECT_OPEN_INVITATION, {"ws": workspace_id, "email": email})).fetchone()
        return invitation_from_row(row) if row else None

    async def save(self, invitation: Invitation) -> None:
        await self._conn.execute(
            SAVE_INVITATION,
            {
                "id": invitation.id,
                "accepted_at": invitation.accepted_at,
                "accepted_by": invitation.accepted_by,
                "revoked_at": invitation.revoked_at,
            },
        )


LIST_MEMBERS = """
SELECT u.id, u.email, u.name, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.workspace_id = %(ws)s AND (m.created_at, m.user_id) > (%(after_ts)s, %(after_id)s)
ORDER BY m.created_at, m.user_id
LIMIT %(limit)s
"""

LIST_INVITATIONS = """
SELECT id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by,
       revoked_at
FROM invitations
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""


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


# This context's repositories in a unit of work (`TeamRepositories` in ports/team.py).
REPOSITORIES: Repositories = {
    "invitations": PostgresInvitationRepository,
}
