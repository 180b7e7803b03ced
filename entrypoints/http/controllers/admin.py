"""`/admin/...`: what platform admins see and do across workspaces: replication and the search index."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, post
from litestar.response import ServerSentEvent

from application.replication.replication_admin import ReplicationAdmin
from application.search.reindex_search import ReindexInBackground
from application.search.search_admin import SearchAdmin
from domain.kernel.events import Event
from domain.kernel.pagination import PageRequest
from domain.replication.replication import ConsumerStatus, Failure
from domain.search.reindex import Reindex
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject
from entrypoints.http.progress_events import progress_stream


class SinkStatusOut(msgspec.Struct, rename="camel"):
    sink: str
    applied: int  # events applied since the sink began
    behind: int  # events waiting
    seconds_behind: float  # age of the oldest of them
    retrying: int
    dead_letters: int
    updated_at: datetime | None


class DeadLetterOut(msgspec.Struct, rename="camel"):
    event_id: UUID
    attempts: int
    last_error: str
    first_failed_at: datetime
    last_failed_at: datetime


class EventOut(msgspec.Struct, rename="camel"):
    id: UUID
    workspace_id: UUID
    type: str
    data: dict[str, Any]
    occurred_at: datetime


class DeadLetterDetailOut(DeadLetterOut, rename="camel"):
    event: EventOut | None  # None: the outbox no longer holds it


class ReplayedOut(msgspec.Struct, rename="camel"):
    replayed: int


def status_out(status: ConsumerStatus) -> SinkStatusOut:
    return SinkStatusOut(sink=status.name, applied=status.applied, behind=status.behind,
                         seconds_behind=round(status.seconds_behind, 3), retrying=status.retrying,
                         dead_letters=status.dead, updated_at=status.updated_at)  # fmt: skip


def letter_out(failure: Failure) -> DeadLetterOut:
    return DeadLetterOut(event_id=failure.event_id, attempts=failure.attempts, last_error=failure.last_error,
                         first_failed_at=failure.first_failed_at, last_failed_at=failure.last_failed_at)  # fmt: skip


def event_out(event: Event) -> EventOut:
    return EventOut(id=event.id, workspace_id=event.workspace_id, type=event.type.value, data=event.data,
                    occurred_at=event.occurred_at)  # fmt: skip


class ReplicationAdminController(Controller):
    path = "/admin/replication"
    tags = ["admin"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get("/", summary="Each sink's position, lag and dead letters (platform admins)")
    @inject
    async def status(self, principal: Principal, uc: FromDishka[ReplicationAdmin]) -> Envelope[list[SinkStatusOut]]:
        return ok([status_out(s) for s in await uc.status(principal.user_id)])

    @get("/{sink:str}/dead-letters", summary="A sink's dead letters, newest failure first (platform admins)")
    @inject
    async def dead_letters(
        self,
        principal: Principal,
        sink: str,
        uc: FromDishka[ReplicationAdmin],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[DeadLetterOut]:
        page = await uc.dead_letters(principal.user_id, sink, PageRequest.of(limit=limit, cursor=cursor))
        return ok_page(page, [letter_out(f) for f in page.items])

    @get("/{sink:str}/dead-letters/{event_id:uuid}", summary="One dead letter with its event (platform admins)")
    @inject
    async def dead_letter(
        self, principal: Principal, sink: str, event_id: UUID, uc: FromDishka[ReplicationAdmin]
    ) -> Envelope[DeadLetterDetailOut]:
        failure, event = await uc.dead_letter(principal.user_id, sink, event_id)
        out = letter_out(failure)
        return ok(DeadLetterDetailOut(**msgspec.structs.asdict(out), event=event_out(event) if event else None))

    @post(
        "/{sink:str}/dead-letters/{event_id:uuid}/replay",
        status_code=202,
        summary="Try a dead letter again, at once (platform admins)",
    )
    @inject
    async def replay_one(
        self, principal: Principal, sink: str, event_id: UUID, uc: FromDishka[ReplicationAdmin]
    ) -> Envelope[ReplayedOut]:
        return ok(ReplayedOut(replayed=await uc.replay(principal.user_id, sink, [event_id])))

    @post("/{sink:str}/dead-letters/replay", status_code=202, summary="Try every dead letter again (platform admins)")
    @inject
    async def replay_all(
        self, principal: Principal, sink: str, uc: FromDishka[ReplicationAdmin]
    ) -> Envelope[ReplayedOut]:
        return ok(ReplayedOut(replayed=await uc.replay(principal.user_id, sink, None)))

    @delete(
        "/{sink:str}/dead-letters/{event_id:uuid}",
        status_code=204,
        summary="Discard a dead letter: the sink never applies it (platform admins)",
    )
    @inject
    async def discard(self, principal: Principal, sink: str, event_id: UUID, uc: FromDishka[ReplicationAdmin]) -> None:
        await uc.discard(principal.user_id, sink, [event_id])


class ReindexOut(msgspec.Struct, rename="camel"):
    id: UUID
    status: str  # running, succeeded, failed
    phase: str  # copying, catching_up, swapped, done
    index: str | None  # the index being built (None until it is made)
    total: int  # records when it began
    copied: int
    caught_up: int  # changes made during the copy, applied after it
    failed: int  # documents the new index refused
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class SearchStatusOut(msgspec.Struct, rename="camel"):
    index: str | None  # the live index (None: the engine cannot say now)
    documents: int | None  # live documents in it
    records: int  # records in the database
    replication: SinkStatusOut
    last_error: str | None
    reindex: ReindexOut | None  # the last one, running or not


def reindex_out(run: Reindex) -> ReindexOut:
    return ReindexOut(
        id=run.id, status=run.status.value, phase=run.phase.value, index=run.index, total=run.total,
        copied=run.copied, caught_up=run.caught_up, failed=run.failed, error=run.error, started_at=run.started_at,
        updated_at=run.updated_at, finished_at=run.finished_at,
    )  # fmt: skip


class SearchAdminController(Controller):
    path = "/admin/search"
    tags = ["admin"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get("/status", summary="The live index, its documents against the records, lag, last error, the last reindex")
    @inject
    async def status(self, principal: Principal, uc: FromDishka[SearchAdmin]) -> Envelope[SearchStatusOut]:
        status = await uc.status(principal.user_id)
        out = SearchStatusOut(
            index=status.index, documents=status.documents, records=status.records,
            replication=status_out(status.replication), last_error=status.last_error,
            reindex=reindex_out(status.reindex) if status.reindex else None,
        )  # fmt: skip
        return ok(out)

    @post(
        "/reindex",
        status_code=202,
        summary="Rebuild the index from the records into a new one, then swap it in (platform admins; 409 while "
        "one runs)",
    )
    @inject
    async def reindex(
        self, principal: Principal, uc: FromDishka[SearchAdmin], background: FromDishka[ReindexInBackground]
    ) -> Envelope[ReindexOut]:
        run = await uc.start_reindex(principal.user_id)
        background.launch(run)
        return ok(reindex_out(run))

    @get("/reindex/{reindex_id:uuid}", summary="A reindex and its progress (platform admins)")
    @inject
    async def get_reindex(
        self, principal: Principal, reindex_id: UUID, uc: FromDishka[SearchAdmin]
    ) -> Envelope[ReindexOut]:
        return ok(reindex_out(await uc.reindex(principal.user_id, reindex_id)))

    @get(
        "/reindex/{reindex_id:uuid}/events",
        summary="Server-Sent Events: `progress` as a reindex moves, then `end` with it finished (platform admins)",
        response_description="an event stream; each event's data is the reindex as GET .../reindex/{id} answers it",
        media_type="text/event-stream",
    )
    @inject
    async def reindex_events(
        self, principal: Principal, reindex_id: UUID, uc: FromDishka[SearchAdmin]
    ) -> ServerSentEvent:
        first = await uc.reindex(principal.user_id, reindex_id)
        return progress_stream(
            first,
            lambda: uc.reindex(principal.user_id, reindex_id),
            out=reindex_out,
            finished=lambda run: run.finished,
            position=lambda run: run.copied + run.caught_up,
        )
