"""Users and refresh-token families on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pool import Connection, Repositories, connection
from domain.identity.sessions import RefreshToken
from domain.identity.users import User

INSERT_USER = """
INSERT INTO users (id, email, name, password_hash, is_platform_admin, created_at)
VALUES (%(id)s, %(email)s, %(name)s, %(password_hash)s, %(is_platform_admin)s, %(created_at)s)
"""

SELECT_USER = "SELECT id, email, name, password_hash, is_platform_admin, created_at FROM users WHERE id = %(id)s"

SELECT_USER_BY_EMAIL = """
SELECT id, email, name, password_hash, is_platform_admin, created_at FROM users WHERE email = %(email)s
"""

SET_PLATFORM_ADMIN = "UPDATE users SET is_platform_admin = %(value)s WHERE id = %(id)s"

INSERT_TOKEN = """
INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at, used_at, revoked_at)
VALUES (%(id)s, %(family_id)s, %(user_id)s, %(token_hash)s, %(created_at)s, %(expires_at)s,
        %(used_at)s, %(revoked_at)s)
"""

SELECT_TOKEN_FOR_UPDATE = """
SELECT id, family_id, user_id, token_hash, created_at, expires_at, used_at, revoked_at
FROM refresh_tokens WHERE token_hash = %(hash)s FOR UPDATE
"""

MARK_TOKEN_USED = "UPDATE refresh_tokens SET used_at = %(at)s WHERE id = %(id)s"

REVOKE_FAMILY = """
UPDATE refresh_tokens SET revoked_at = %(at)s
WHERE family_id = %(family_id)s AND revoked_at IS NULL
"""


def user_from_row(row: tuple[Any, ...]) -> User:
    id_, email, name, password_hash, is_platform_admin, created_at = row
    return User(
        id=id_,
        email=email,
        name=name,
        password_hash=password_hash,
        is_platform_admin=is_platform_admin,
        created_at=created_at,
    )


def token_from_row(row: tuple[Any, ...]) -> RefreshToken:
    id_, family_id, user_id, token_hash, created_at, expires_at, used_at, revoked_at = row
    return RefreshToken(
        id=id_,
        family_id=family_id,
        user_id=user_id,
        token_hash=token_hash,
        created_at=created_at,
        expires_at=expires_at,
        used_at=used_at,
        revoked_at=revoked_at,
    )


class PostgresUserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, user: User) -> None:
        with unique_violation_as_conflict("email already registered"):
            await self._conn.execute(
                INSERT_USER,
                {
                    "id": user.id,
                    "email": user.email,
                    "name": user.name,
                    "password_hash": user.password_hash,
                    "is_platform_admin": user.is_platform_admin,
                    "created_at": user.created_at,
                },
            )

    async def get(self, user_id: UUID) -> User | None:
        row = await (await self._conn.execute(SELECT_USER, {"id": user_id})).fetchone()
        return user_from_row(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        row = await (await self._conn.execute(SELECT_USER_BY_EMAIL, {"email": email})).fetchone()
        return user_from_row(row) if row else None

    async def set_platform_admin(self, user_id: UUID, value: bool) -> None:
        await self._conn.execute(SET_PLATFORM_ADMIN, {"id": user_id, "value": value})


class PostgresRefreshTokenRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        with unique_violation_as_conflict("refresh token already exists"):
            await self._conn.execute(
                INSERT_TOKEN,
                {
                    "id": token.id,
                    "family_id": token.family_id,
                    "user_id": token.user_id,
                    "token_hash": token.token_hash,
                    "created_at": token.created_at,
                    "expires_at": token.expires_at,
                    "used_at": token.used_at,
                    "revoked_at": token.revoked_at,
                },
            )

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        row = await (await self._conn.execute(SELECT_TOKEN_FOR_UPDATE, {"hash": token_hash})).fetchone()
        return token_from_row(row) if row else None

    async def mark_used(self, token_id: UUID, at: datetime) -> None:
        await self._conn.execute(MARK_TOKEN_USED, {"id": token_id, "at": at})

    async def revoke_family(self, family_id: UUID, at: datetime) -> int:
        cursor = await self._conn.execute(REVOKE_FAMILY, {"family_id": family_id, "at": at})
        return cursor.rowcount


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


# This context's repositories in a unit of work (`IdentityRepositories` in ports/identity.py).
REPOSITORIES: Repositories = {
    "users": PostgresUserRepository,
    "refresh_tokens": PostgresRefreshTokenRepository,
}
