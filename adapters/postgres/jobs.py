from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.errors import unique_violation_as_conflict
from adapters.postgres.pagination import LAST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from adapters.postgres.records import record_from_row
from domain.jobs.job import ItemState, Job, JobItem, JobProgress, JobStatus
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from ports.jobs import ItemResult

INSERT_JOB = """
INSERT INTO enrichment_jobs
    (id, workspace_id, created_by, status, fields, providers, total, credits_reserved, reservation_id,
     idempotency_key, fingerprint, cancel_requested, credits_spent, final_progress, error, created_at,
     started_at, finished_at)
VALUES (%(id)s, %(ws)s, %(created_by)s, %(status)s, %(fields)s, %(providers)s, %(total)s, %(credits_reserved)s,
        %(reservation_id)s, %(idempotency_key)s, %(fingerprint)s, %(cancel_requested)s, %(credits_spent)s,
        %(final_progress)s, %(error)s, %(created_at)s, %(started_at)s, %(finished_at)s)
"""
COPY_ITEMS = "COPY enrichment_job_items (job_id, position, workspace_id, record_id) FROM STDIN"
SELECT_JOB = """
SELECT id, workspace_id, created_by, status, fields, providers, total, credits_reserved, reservation_id,
       idempotency_key, fingerprint, cancel_requested, credits_spent, final_progress, error, created_at,
       started_at, finished_at
FROM enrichment_jobs WHERE workspace_id = %(ws)s AND id = %(id)s
"""
SELECT_JOB_FOR_UPDATE = """
SELECT id, workspace_id, created_by, status, fields, providers, total, credits_reserved, reservation_id,
       idempotency_key, fingerprint, cancel_requested, credits_spent, final_progress, error, created_at,
       started_at, finished_at
FROM enrichment_jobs WHERE workspace_id = %(ws)s AND id = %(id)s
FOR UPDATE
"""
SELECT_JOB_BY_KEY = """
SELECT id, workspace_id, created_by, status, fields, providers, total, credits_reserved, reservation_id,
       idempotency_key, fingerprint, cancel_requested, credits_spent, final_progress, error, created_at,
       started_at, finished_at
FROM enrichment_jobs WHERE workspace_id = %(ws)s AND idempotency_key = %(key)s
"""
SAVE_JOB = """
UPDATE enrichment_jobs
SET status = %(status)s, cancel_requested = %(cancel_requested)s, credits_spent = %(credits_spent)s,
    final_progress = %(final_progress)s, error = %(error)s, started_at = %(started_at)s, finished_at = %(finished_at)s
WHERE workspace_id = %(ws)s AND id = %(id)s
"""
FINISH_ITEM = """
UPDATE enrichment_job_items
SET state = 'done', outcome = %(outcome)s, credits = %(credits)s, fields = %(fields)s, error = %(error)s,
    finished_at = %(finished_at)s
WHERE job_id = %(job_id)s AND position = %(position)s AND workspace_id = %(ws)s AND state = 'pending'
"""
# FINISH_ITEM, answering the position of the item it finished.
FINISH_ITEM_RETURNING_POSITION = """
UPDATE enrichment_job_items
SET state = 'done', outcome = %(outcome)s, credits = %(credits)s, fields = %(fields)s, error = %(error)s,
    finished_at = %(finished_at)s
WHERE job_id = %(job_id)s AND position = %(position)s AND workspace_id = %(ws)s AND state = 'pending'
RETURNING position
"""
# The job's total and its done items counted by outcome, in one row per outcome
# (one row with a NULL outcome and no count when nothing is done yet).
SELECT_PROGRESS = """
SELECT j.total, coalesce(i.outcome, ''), count(i.position)
FROM enrichment_jobs j
LEFT JOIN enrichment_job_items i ON i.job_id = j.id AND i.state = 'done'
WHERE j.workspace_id = %(ws)s AND j.id = %(id)s
GROUP BY j.total, i.outcome
"""
SELECT_PENDING_ITEMS = """
SELECT job_id, workspace_id, position, record_id, state, outcome, credits, fields, error, finished_at
FROM enrichment_job_items
WHERE job_id = %(job_id)s AND workspace_id = %(ws)s AND state = 'pending'
  AND position >= %(start)s AND position < %(end)s
ORDER BY position
"""
# An item's columns, then its record's (as records.record_from_row reads them). A record deleted, or (never,
# but checked) in another workspace, joins as NULLs.
SELECT_RESULTS = """
SELECT i.job_id, i.workspace_id, i.position, i.record_id, i.state, i.outcome, i.credits, i.fields, i.error,
       i.finished_at,
       r.id, r.workspace_id, r.kind, r.inputs, r.fields, r.provenance::text, r.status, r.created_at, r.updated_at,
       r.version
FROM enrichment_job_items i
LEFT JOIN records r ON r.id = i.record_id AND r.workspace_id = i.workspace_id
WHERE i.job_id = %(job_id)s AND i.workspace_id = %(ws)s AND i.position > %(after)s
ORDER BY i.position
LIMIT %(limit)s
"""
LIST_JOBS = """
SELECT id, workspace_id, created_by, status, fields, providers, total, credits_reserved, reservation_id,
       idempotency_key, fingerprint, cancel_requested, credits_spent, final_progress, error, created_at,
       started_at, finished_at
FROM enrichment_jobs
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""
SELECT_UNFINISHED = """
SELECT id, workspace_id, created_by, status, fields, providers, total, credits_reserved, reservation_id,
       idempotency_key, fingerprint, cancel_requested, credits_spent, final_progress, error, created_at,
       started_at, finished_at
FROM enrichment_jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id LIMIT %(limit)s
"""
# The item's columns in a row of SELECT_RESULTS (the record's follow).
_ITEM_WIDTH = 10


def progress_to_json(progress: JobProgress | None) -> Jsonb | None:
    return None if progress is None else Jsonb(asdict(progress))


def progress_from_json(document: dict[str, Any] | None) -> JobProgress | None:
    if document is None:
        return None
    return JobProgress(
        total=int(document["total"]),
        done=int(document["done"]),
        enriched=int(document["enriched"]),
        partial=int(document["partial"]),
        not_found=int(document["not_found"]),
        failed=int(document["failed"]),
    )


def job_from_row(row: tuple[Any, ...]) -> Job:
    (
        id_,
        workspace_id,
        created_by,
        status,
        fields,
        providers,
        total,
        credits_reserved,
        reservation_id,
        idempotency_key,
        fingerprint,
        cancel_requested,
        credits_spent,
        final_progress,
        error,
        created_at,
        started_at,
        finished_at,
    ) = row
    return Job(
        id=id_,
        workspace_id=workspace_id,
        created_by=created_by,
        status=JobStatus(status),
        fields=tuple(fields),
        providers=tuple(providers),
        total=total,
        credits_reserved=credits_reserved,
        reservation_id=reservation_id,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        cancel_requested=cancel_requested,
        credits_spent=credits_spent,
        final_progress=progress_from_json(final_progress),
        error=error,
        created_at=created_at,
        started_at=started_at,
        finished_at=finished_at,
    )


def item_from_row(row: tuple[Any, ...]) -> JobItem:
    job_id, workspace_id, position, record_id, state, outcome, credits, fields, error, finished_at = row
    return JobItem(
        job_id=job_id,
        workspace_id=workspace_id,
        position=position,
        record_id=record_id,
        state=ItemState(state),
        outcome=outcome,
        credits=credits,
        fields=tuple(fields),
        error=error,
        finished_at=finished_at,
    )


def _progress_of(rows: list[tuple[Any, ...]]) -> JobProgress | None:
    if not rows:
        return None
    counts = {outcome: count for _, outcome, count in rows if count}
    return JobProgress.of(rows[0][0], counts)


async def _progress(conn: Connection, workspace_id: UUID, job_id: UUID) -> JobProgress | None:
    rows = await (await conn.execute(SELECT_PROGRESS, {"ws": workspace_id, "id": job_id})).fetchall()
    return _progress_of(rows)


async def _one_job(conn: Connection, query: str, params: dict[str, Any]) -> Job | None:
    row = await (await conn.execute(query, params)).fetchone()
    return job_from_row(row) if row else None


class PostgresJobRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, job: Job, record_ids: list[UUID]) -> None:
        with unique_violation_as_conflict("a job with this id or idempotency key already exists"):
            await self._conn.execute(
                INSERT_JOB,
                {
                    "id": job.id,
                    "ws": job.workspace_id,
                    "created_by": job.created_by,
                    "status": job.status.value,
                    "fields": list(job.fields),
                    "providers": list(job.providers),
                    "total": job.total,
                    "credits_reserved": job.credits_reserved,
                    "reservation_id": job.reservation_id,
                    "idempotency_key": job.idempotency_key,
                    "fingerprint": job.fingerprint,
                    "cancel_requested": job.cancel_requested,
                    "credits_spent": job.credits_spent,
                    "final_progress": progress_to_json(job.final_progress),
                    "error": job.error,
                    "created_at": job.created_at,
                    "started_at": job.started_at,
                    "finished_at": job.finished_at,
                },
            )
        # COPY: 10,000 items in one round trip and a few milliseconds of server time.
        async with self._conn.cursor() as cursor, cursor.copy(COPY_ITEMS) as copy:
            for position, record_id in enumerate(record_ids):
                await copy.write_row((job.id, position, job.workspace_id, record_id))

    async def get_for_update(self, workspace_id: UUID, job_id: UUID) -> Job | None:
        return await _one_job(self._conn, SELECT_JOB_FOR_UPDATE, {"ws": workspace_id, "id": job_id})

    async def by_idempotency_key(self, workspace_id: UUID, key: str) -> Job | None:
        return await _one_job(self._conn, SELECT_JOB_BY_KEY, {"ws": workspace_id, "key": key})

    async def save(self, job: Job) -> None:
        await self._conn.execute(
            SAVE_JOB,
            {
                "ws": job.workspace_id,
                "id": job.id,
                "status": job.status.value,
                "cancel_requested": job.cancel_requested,
                "credits_spent": job.credits_spent,
                "final_progress": progress_to_json(job.final_progress),
                "error": job.error,
                "started_at": job.started_at,
                "finished_at": job.finished_at,
            },
        )

    async def finish_item(self, item: JobItem) -> bool:
        cursor = await self._conn.execute(FINISH_ITEM, _finish_params(item))
        return cursor.rowcount == 1

    async def finish_items(self, items: list[JobItem]) -> set[int]:
        if not items:
            return set()
        finished: set[int] = set()
        async with self._conn.cursor() as cursor:
            await cursor.executemany(FINISH_ITEM_RETURNING_POSITION, [_finish_params(i) for i in items], returning=True)
            while True:
                finished.update(row[0] for row in await cursor.fetchall())
                if not cursor.nextset():
                    return finished

    async def progress(self, workspace_id: UUID, job_id: UUID) -> JobProgress | None:
        return await _progress(self._conn, workspace_id, job_id)


class PostgresJobReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def get(self, workspace_id: UUID, job_id: UUID) -> Job | None:
        async with connection(self._pool) as conn:
            return await _one_job(conn, SELECT_JOB, {"ws": workspace_id, "id": job_id})

    async def by_idempotency_key(self, workspace_id: UUID, key: str) -> Job | None:
        async with connection(self._pool) as conn:
            return await _one_job(conn, SELECT_JOB_BY_KEY, {"ws": workspace_id, "key": key})

    async def progress(self, workspace_id: UUID, job_id: UUID) -> JobProgress | None:
        async with connection(self._pool) as conn:
            return await _progress(conn, workspace_id, job_id)

    async def pending_items(self, workspace_id: UUID, job_id: UUID, start: int, end: int) -> list[JobItem]:
        params = {"ws": workspace_id, "job_id": job_id, "start": start, "end": end}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(SELECT_PENDING_ITEMS, params)).fetchall()
        return [item_from_row(r) for r in rows]

    async def results(self, workspace_id: UUID, job_id: UUID, *, after: int | None, limit: int) -> list[ItemResult]:
        params = {"ws": workspace_id, "job_id": job_id, "after": -1 if after is None else after, "limit": max(limit, 0)}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(SELECT_RESULTS, params)).fetchall()
        return [
            ItemResult(
                item=item_from_row(r[:_ITEM_WIDTH]),
                record=record_from_row(r[_ITEM_WIDTH:]) if r[_ITEM_WIDTH] is not None else None,
            )
            for r in rows
        ]

    async def unfinished(self, limit: int) -> list[Job]:
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(SELECT_UNFINISHED, {"limit": limit})).fetchall()
        return [job_from_row(r) for r in rows]

    async def list(self, workspace_id: UUID, page: PageRequest) -> Page[Job]:
        before = page.after or LAST_CURSOR
        params = {"ws": workspace_id, "before_ts": before.created_at, "before_id": before.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_JOBS, params)).fetchall()
        return page_of([job_from_row(r) for r in rows], page.limit, lambda j: Cursor(created_at=j.created_at, id=j.id))


def _finish_params(item: JobItem) -> dict[str, Any]:
    return {
        "job_id": item.job_id,
        "position": item.position,
        "ws": item.workspace_id,
        "outcome": item.outcome,
        "credits": item.credits,
        "fields": list(item.fields),
        "error": item.error,
        "finished_at": item.finished_at,
    }


# This context's repositories in a unit of work (`JobRepositories` in ports/jobs.py).
REPOSITORIES: Repositories = {
    "jobs": PostgresJobRepository,
}
