from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, get

from application.audit.list_audit_log import ListAuditLog, ListAuditLogQuery
from domain.audit.entry import AuditEntry
from domain.kernel.pagination import PageRequest
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import PageEnvelope, ok_page
from entrypoints.http.injection import inject


class AuditEntryOut(msgspec.Struct, rename="camel"):
    id: UUID
    action: str
    actor_id: UUID | None
    target_type: str
    target_id: UUID
    details: dict[str, str | list[str]]
    created_at: datetime


def audit_entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        action=entry.action,
        actor_id=entry.actor_id,
        target_type=entry.target_type,
        target_id=entry.target_id,
        details=entry.details,
        created_at=entry.created_at,
    )


class AuditLogController(Controller):
    path = "/workspaces/{workspace_id:uuid}/audit-log"
    tags = ["team"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get("/", summary="Who changed what in the workspace, newest first (admin+)")
    @inject
    async def entries(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListAuditLog],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[AuditEntryOut]:
        query = ListAuditLogQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, page=PageRequest.of(limit=limit, cursor=cursor)
        )
        page = await uc(query)
        return ok_page(page, [audit_entry_out(e) for e in page.items])
