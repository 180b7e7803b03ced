from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pagination import LAST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from domain.audit.entry import AuditEntry
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of

# Keyset bound for the first page of a newest-first list: after every row.

INSERT_AUDIT_ENTRY = """
INSERT INTO audit_log (id, workspace_id, actor_id, action, target_type, target_id, details, created_at)
VALUES (%(id)s, %(workspace_id)s, %(actor_id)s, %(action)s, %(target_type)s, %(target_id)s, %(details)s,
        %(created_at)s)
"""
LIST_AUDIT_LOG = """
SELECT id, workspace_id, actor_id, action, target_type, target_id, details, created_at
FROM audit_log
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""


def audit_entry_from_row(row: tuple[Any, ...]) -> AuditEntry:
    id_, workspace_id, actor_id, action, target_type, target_id, details, created_at = row
    return AuditEntry(
        id=id_,
        workspace_id=workspace_id,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        created_at=created_at,
    )


class PostgresAuditLogRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, entry: AuditEntry) -> None:
        with unique_violation_as_conflict("audit entry already exists"):
            await self._conn.execute(
                INSERT_AUDIT_ENTRY,
                {
                    "id": entry.id,
                    "workspace_id": entry.workspace_id,
                    "actor_id": entry.actor_id,
                    "action": entry.action,
                    "target_type": entry.target_type,
                    "target_id": entry.target_id,
                    "details": Jsonb(entry.details),
                    "created_at": entry.created_at,
                },
            )


class PostgresAuditLogReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def list_for_workspace(self, workspace_id: UUID, page: PageRequest) -> Page[AuditEntry]:
        before = page.after or LAST_CURSOR
        params = {"ws": workspace_id, "before_ts": before.created_at, "before_id": before.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_AUDIT_LOG, params)).fetchall()
        return page_of(
            [audit_entry_from_row(r) for r in rows], page.limit, lambda e: Cursor(created_at=e.created_at, id=e.id)
        )


# This context's repositories in a unit of work (`AuditRepositories` in ports/audit.py).
REPOSITORIES: Repositories = {
    "audit": PostgresAuditLogRepository,
}
