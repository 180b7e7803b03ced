from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pagination import LAST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from domain.credentials.credential import Credential, SealedSecret
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of

# Keyset bound for the first page of a newest-first list: after every row.

INSERT_CREDENTIAL = """
INSERT INTO credentials
    (id, workspace_id, provider, label, ciphertext, nonce, key_version, secret_last4, created_by, created_at,
     updated_at)
VALUES (%(id)s, %(workspace_id)s, %(provider)s, %(label)s, %(ciphertext)s, %(nonce)s, %(key_version)s,
        %(last4)s, %(created_by)s, %(created_at)s, %(updated_at)s)
"""
SELECT_CREDENTIAL = """
SELECT id, workspace_id, provider, label, ciphertext, nonce, key_version, secret_last4, created_by, created_at,
       updated_at
FROM credentials WHERE workspace_id = %(ws)s AND id = %(id)s
"""
SELECT_CREDENTIAL_FOR_UPDATE = """
SELECT id, workspace_id, provider, label, ciphertext, nonce, key_version, secret_last4, created_by, created_at,
       updated_at
FROM credentials WHERE workspace_id = %(ws)s AND id = %(id)s
FOR UPDATE
"""
SELECT_NEWEST_FOR_PROVIDER = """
SELECT id, workspace_id, provider, label, ciphertext, nonce, key_version, secret_last4, created_by, created_at,
       updated_at
FROM credentials WHERE workspace_id = %(ws)s AND provider = %(provider)s
ORDER BY updated_at DESC, id DESC LIMIT 1
"""
SAVE_CREDENTIAL = """
UPDATE credentials
SET label = %(label)s, ciphertext = %(ciphertext)s, nonce = %(nonce)s, key_version = %(key_version)s,
    secret_last4 = %(last4)s, updated_at = %(updated_at)s
WHERE workspace_id = %(ws)s AND id = %(id)s
"""
DELETE_CREDENTIAL = "DELETE FROM credentials WHERE workspace_id = %(ws)s AND id = %(id)s"
# Rows another transaction re-sealed meanwhile are re-checked after the lock and skipped.
SELECT_NOT_UNDER_KEY_FOR_UPDATE = """
SELECT id, workspace_id, provider, label, ciphertext, nonce, key_version, secret_last4, created_by, created_at,
       updated_at
FROM credentials
WHERE key_version <> %(key)s AND id > %(after)s
ORDER BY id
LIMIT %(limit)s
FOR UPDATE
"""
COUNT_NOT_UNDER_KEY = "SELECT count(*) FROM credentials WHERE key_version <> %(key)s"
LIST_CREDENTIALS = """
SELECT id, workspace_id, provider, label, ciphertext, nonce, key_version, secret_last4, created_by, created_at,
       updated_at
FROM credentials
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""


def credential_from_row(row: tuple[Any, ...]) -> Credential:
    (id_, workspace_id, provider, label, ciphertext, nonce, key_version, last4,
     created_by, created_at, updated_at) = row  # fmt: skip
    return Credential(
        id=id_,
        workspace_id=workspace_id,
        provider=provider,
        label=label,
        sealed=SealedSecret(ciphertext=bytes(ciphertext), nonce=bytes(nonce), key_version=key_version),
        last4=last4,
        created_by=created_by,
        created_at=created_at,
        updated_at=updated_at,
    )


def _sealed_params(credential: Credential) -> dict[str, Any]:
    return {
        "ciphertext": credential.sealed.ciphertext,
        "nonce": credential.sealed.nonce,
        "key_version": credential.sealed.key_version,
        "last4": credential.last4,
    }


class PostgresCredentialRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, credential: Credential) -> None:
        with unique_violation_as_conflict("credential already exists"):
            await self._conn.execute(
                INSERT_CREDENTIAL,
                {
                    "id": credential.id,
                    "workspace_id": credential.workspace_id,
                    "provider": credential.provider,
                    "label": credential.label,
                    "created_by": credential.created_by,
                    "created_at": credential.created_at,
                    "updated_at": credential.updated_at,
                    **_sealed_params(credential),
                },
            )

    async def get_for_update(self, workspace_id: UUID, credential_id: UUID) -> Credential | None:
        cursor = await self._conn.execute(SELECT_CREDENTIAL_FOR_UPDATE, {"ws": workspace_id, "id": credential_id})
        row = await cursor.fetchone()
        return credential_from_row(row) if row else None

    async def save(self, credential: Credential) -> None:
        await self._conn.execute(
            SAVE_CREDENTIAL,
            {
                "ws": credential.workspace_id,
                "id": credential.id,
                "label": credential.label,
                "updated_at": credential.updated_at,
                **_sealed_params(credential),
            },
        )

    async def delete(self, workspace_id: UUID, credential_id: UUID) -> None:
        await self._conn.execute(DELETE_CREDENTIAL, {"ws": workspace_id, "id": credential_id})

    async def list_not_under_key_for_update(
        self, key_version: str, *, after: UUID | None, limit: int
    ) -> list[Credential]:
        params = {"key": key_version, "after": after or UUID(int=0), "limit": limit}
        rows = await (await self._conn.execute(SELECT_NOT_UNDER_KEY_FOR_UPDATE, params)).fetchall()
        return [credential_from_row(r) for r in rows]


class PostgresCredentialReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def get(self, workspace_id: UUID, credential_id: UUID) -> Credential | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(SELECT_CREDENTIAL, {"ws": workspace_id, "id": credential_id})).fetchone()
        return credential_from_row(row) if row else None

    async def list_for_workspace(self, workspace_id: UUID, page: PageRequest) -> Page[Credential]:
        before = page.after or LAST_CURSOR
        params = {"ws": workspace_id, "before_ts": before.created_at, "before_id": before.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_CREDENTIALS, params)).fetchall()
        return page_of(
            [credential_from_row(r) for r in rows], page.limit, lambda c: Cursor(created_at=c.created_at, id=c.id)
        )

    async def newest_for_provider(self, workspace_id: UUID, provider: str) -> Credential | None:
        async with connection(self._pool) as conn:
            cursor = await conn.execute(SELECT_NEWEST_FOR_PROVIDER, {"ws": workspace_id, "provider": provider})
            row = await cursor.fetchone()
        return credential_from_row(row) if row else None

    async def count_not_under_key(self, key_version: str) -> int:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(COUNT_NOT_UNDER_KEY, {"key": key_version})).fetchone()
        return int(row[0]) if row else 0


# This context's repositories in a unit of work (`CredentialRepositories` in ports/credentials.py).
REPOSITORIES: Repositories = {
    "credentials": PostgresCredentialRepository,
}
