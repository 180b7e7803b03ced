from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.audit.entry import AuditEntry
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from ports.audit import AuditLogReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListAuditLogQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest


class ListAuditLog:
    """Who changed what in the workspace, newest first. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, audit: AuditLogReader) -> None:
        self._workspaces = workspaces
        self._audit = audit

    async def __call__(self, query: ListAuditLogQuery) -> Page[AuditEntry]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.AUDIT_READ)
        return await self._audit.list_for_workspace(query.workspace_id, query.page)
