from __future__ import annotations

from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, patch, post

from application.record.create_record import CreateRecord, CreateRecordCommand
from application.record.delete_record import DeleteRecord, DeleteRecordCommand
from application.record.get_record import GetRecord, GetRecordQuery
from application.record.list_records import ListRecords, ListRecordsQuery
from application.record.update_record import UpdateRecord, UpdateRecordCommand
from domain.enrichment.schema import EntityKind
from domain.kernel.pagination import PageRequest
from domain.records.record import RecordStatus
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.record_schemas import (
    DomainParam,
    KindName,
    RecordOut,
    RecordPatch,
    RecordRequest,
    StatusName,
    record_out,
)
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject


class RecordController(Controller):
    path = "/workspaces/{workspace_id:uuid}/records"
    tags = ["records"]
    dependencies = AUTHENTICATED
    security = BEARER

    @post("/", status_code=201, summary="Store a person or a company to enrich (member+)")
    @inject
    async def create(
        self, principal: Principal, workspace_id: UUID, data: RecordRequest, uc: FromDishka[CreateRecord]
    ) -> Envelope[RecordOut]:
        cmd = CreateRecordCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            kind=EntityKind(data.kind),
            inputs=msgspec.to_builtins(data.inputs),
        )
        return ok(record_out(await uc(cmd)))

    @get("/", summary="Records, newest first, filtered by kind, status and domain (viewer+)")
    @inject
    async def list_all(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListRecords],
        kind: KindName | None = None,
        status: StatusName | None = None,
        domain: DomainParam = None,
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[RecordOut]:
        query = ListRecordsQuery(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            page=PageRequest.of(limit=limit, cursor=cursor),
            kind=EntityKind(kind) if kind else None,
            status=RecordStatus(status) if status else None,
            domain=domain,
        )
        page = await uc(query)
        return ok_page(page, [record_out(r) for r in page.items])

    @get("/{record_id:uuid}", summary="One record with its fields and their provenance (viewer+)")
    @inject
    async def get_one(
        self, principal: Principal, workspace_id: UUID, record_id: UUID, uc: FromDishka[GetRecord]
    ) -> Envelope[RecordOut]:
        query = GetRecordQuery(actor_id=principal.user_id, workspace_id=workspace_id, record_id=record_id)
        return ok(record_out(await uc(query)))

    @patch("/{record_id:uuid}", summary="Replace or remove some inputs; a change makes the record `new` (member+)")
    @inject
    async def update(
        self, principal: Principal, workspace_id: UUID, record_id: UUID, data: RecordPatch, uc: FromDishka[UpdateRecord]
    ) -> Envelope[RecordOut]:
        cmd = UpdateRecordCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            record_id=record_id,
            inputs=msgspec.to_builtins(data.inputs),
        )
        return ok(record_out(await uc(cmd)))

    @delete("/{record_id:uuid}", status_code=204, summary="Delete a record (member+)")
    @inject
    async def remove(
        self, principal: Principal, workspace_id: UUID, record_id: UUID, uc: FromDishka[DeleteRecord]
    ) -> None:
        await uc(DeleteRecordCommand(actor_id=principal.user_id, workspace_id=workspace_id, record_id=record_id))
