from __future__ import annotations

from typing import Any
from uuid import UUID

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pool import Connection
from domain.workspaces.workspace import Workspace

WORKSPACE_COLUMNS = "id, name, created_by, created_at"
INSERT_WORKSPACE = """
INSERT INTO workspaces (id, name, created_by, created_at)
VALUES (%(id)s, %(name)s, %(created_by)s, %(created_at)s)
"""
SELECT_WORKSPACE = f"SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = %(id)s"
LOCK_WORKSPACE = f"SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = %(id)s FOR UPDATE"
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
