"""Enrichment jobs: submit, follow (JSON or Server-Sent Events), cancel, read results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.response import ServerSentEvent

from adapters.telemetry.logging import request_id_var
from application.job.cancel_job import CancelJob, CancelJobCommand
from application.job.get_job import GetJob, GetJobQuery
from application.job.job_view import JobView
from application.job.list_job_results import ListJobResults, ListJobResultsQuery
from application.job.list_jobs import ListJobs, ListJobsQuery
from application.job.submit_job import NewRecord, SubmitJob, SubmitJobCommand
from application.limits.throttle_request import RouteGroup
from domain.credits.ledger import MAX_IDEMPOTENCY_KEY_LENGTH
from domain.enrichment.provider_registry import DEFAULT_ORDER
from domain.enrichment.schema import COMPANY_FIELDS, PERSON_FIELDS, EntityKind
from domain.jobs.job import MAX_JOB_RECORDS
from domain.kernel.pagination import Page, PageRequest
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.enrichment import FIELDS_DOC, PROVIDERS_DOC, FieldName, ProviderName
from entrypoints.http.controllers.record_schemas import RecordOut, RecordRequest, record_out
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, PageMeta, ok, ok_page
from entrypoints.http.errors import SPENDS_CREDITS
from entrypoints.http.injection import inject
from entrypoints.http.progress_events import progress_stream
from entrypoints.http.rate_limits import GROUP_OPT


class JobRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    fields: Annotated[
        list[FieldName],
        msgspec.Meta(
            min_length=1, max_length=len(set(PERSON_FIELDS) | set(COMPANY_FIELDS)), extra_json_schema=FIELDS_DOC
        ),
    ]
    records: Annotated[list[RecordRequest], msgspec.Meta(min_length=1, max_length=MAX_JOB_RECORDS)] | None = None
    record_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=MAX_JOB_RECORDS)] | None = None
    providers: (
        Annotated[list[ProviderName], msgspec.Meta(max_length=len(DEFAULT_ORDER), extra_json_schema=PROVIDERS_DOC)]
        | None
    ) = None


class ProgressOut(msgspec.Struct, rename="camel"):
    total: int
    done: int
    pending: int
    enriched: int
    partial: int
    not_found: int
    failed: int


class JobOut(msgspec.Struct, rename="camel"):
    id: UUID
    status: str
    fields: list[str]
    providers: list[str]
    progress: ProgressOut
    credits_reserved: int
    credits_spent: int
    cancel_requested: bool
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobRecordOut(msgspec.Struct, rename="camel"):
    position: int
    record_id: UUID
    state: str  # pending | done
    outcome: str | None  # the record's status after its run, or `missing` if it was deleted
    fields_found: list[str]
    credits: int
    error: str | None
    finished_at: datetime | None
    record: RecordOut | None


def job_out(view: JobView) -> JobOut:
    job, p = view.job, view.progress
    return JobOut(
        id=job.id,
        status=job.status.value,
        fields=list(job.fields),
        providers=list(job.providers),
        progress=ProgressOut(
            total=p.total,
            done=p.done,
            pending=p.pending,
            enriched=p.enriched,
            partial=p.partial,
            not_found=p.not_found,
            failed=p.failed,
        ),
        credits_reserved=job.credits_reserved,
        credits_spent=view.credits_spent,
        cancel_requested=job.cancel_requested,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH - 64,
        description="a retry with the same key returns the same job",
    ),
]


class JobController(Controller):
    path = "/workspaces/{workspace_id:uuid}/enrichment/jobs"
    tags = ["enrichment"]
    dependencies = AUTHENTICATED
    security = BEARER

    @post(
        "/",
        status_code=202,
        summary="Enrich up to 10,000 records in the background; the most it can cost is reserved now (member+)",
        responses=SPENDS_CREDITS,
        opt={GROUP_OPT: RouteGroup.JOBS.value},
    )
    @inject
    async def submit(
        self,
        principal: Principal,
        workspace_id: UUID,
        data: JobRequest,
        uc: FromDishka[SubmitJob],
        get_job: FromDishka[GetJob],
        idempotency_key: IdempotencyKey = None,
    ) -> Envelope[JobOut]:
        cmd = SubmitJobCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            fields=tuple(data.fields),
            records=[NewRecord(kind=EntityKind(r.kind), inputs=msgspec.to_builtins(r.inputs)) for r in data.records]
            if data.records is not None
            else None,
            record_ids=list(data.record_ids) if data.record_ids is not None else None,
            providers=list(data.providers) if data.providers else None,
            idempotency_key=idempotency_key,
        )
        job = await uc(cmd)
        view = await get_job(GetJobQuery(actor_id=principal.user_id, workspace_id=workspace_id, job_id=job.id))
        return ok(job_out(view))

    @get("/", summary="Jobs, newest first, with their progress (viewer+)")
    @inject
    async def list_all(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListJobs],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[JobOut]:
        page = await uc(
            ListJobsQuery(
                actor_id=principal.user_id, workspace_id=workspace_id, page=PageRequest.of(limit=limit, cursor=cursor)
            )
        )
        return ok_page(page, [job_out(v) for v in page.items])

    @get("/{job_id:uuid}", summary="One job with its progress and credits (viewer+)")
    @inject
    async def get_one(
        self, principal: Principal, workspace_id: UUID, job_id: UUID, uc: FromDishka[GetJob]
    ) -> Envelope[JobOut]:
        return ok(job_out(await uc(GetJobQuery(actor_id=principal.user_id, workspace_id=workspace_id, job_id=job_id))))

    @post(
        "/{job_id:uuid}/cancel",
        status_code=202,
        summary="Stop calling providers for a job; its unspent credits are released when it stops (member+)",
    )
    @inject
    async def cancel(
        self,
        principal: Principal,
        workspace_id: UUID,
        job_id: UUID,
        uc: FromDishka[CancelJob],
        get_job: FromDishka[GetJob],
    ) -> Envelope[JobOut]:
        await uc(CancelJobCommand(actor_id=principal.user_id, workspace_id=workspace_id, job_id=job_id))
        return ok(
            job_out(await get_job(GetJobQuery(actor_id=principal.user_id, workspace_id=workspace_id, job_id=job_id)))
        )

    @get("/{job_id:uuid}/records", summary="The job's records in the order given, with each one's outcome (viewer+)")
    @inject
    async def records(
        self,
        principal: Principal,
        workspace_id: UUID,
        job_id: UUID,
        uc: FromDishka[ListJobResults],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[JobRecordOut]:
        query = ListJobResultsQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, job_id=job_id, limit=limit, cursor=cursor
        )
        page = await uc(query)
        rows = [
            JobRecordOut(
                position=r.item.position,
                record_id=r.item.record_id,
                state=r.item.state.value,
                outcome=r.item.outcome,
                fields_found=list(r.item.fields),
                credits=r.item.credits,
                error=r.item.error,
                finished_at=r.item.finished_at,
                record=record_out(r.record) if r.record else None,
            )
            for r in page.items
        ]
        return PageEnvelope(
            success=True,
            data=rows,
            error=None,
            meta=PageMeta(request_id=request_id_var.get(), next_cursor=page.next_cursor, limit=limit or 50),
        )

    @get(
        "/{job_id:uuid}/events",
        summary="Server-Sent Events: `progress` as the job moves, then `end` with the finished job (viewer+)",
        response_description="an event stream; each event's data is the job as GET .../jobs/{jobId} answers it",
        media_type="text/event-stream",
    )
    @inject
    async def events(
        self, principal: Principal, workspace_id: UUID, job_id: UUID, uc: FromDishka[GetJob]
    ) -> ServerSentEvent:
        query = GetJobQuery(actor_id=principal.user_id, workspace_id=workspace_id, job_id=job_id)
        first = await uc(query)  # a job that is not there is a 404 in the envelope, before any stream
        return progress_stream(
            first,
            lambda: uc(query),
            out=job_out,
            finished=lambda view: view.job.status.finished,
            position=lambda view: view.progress.done,
        )


__all__ = ["JobController", "Page"]
