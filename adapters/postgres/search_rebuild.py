"""What a search rebuild reads (every record) and where its runs are kept (migrations 017)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import errors
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection
from adapters.postgres.records import record_from_row
from domain.records.record import Record
from domain.search.reindex import ABANDONED, ABANDONED_AFTER, Reindex, ReindexPhase, ReindexRunning, ReindexStatus

RECORDS_AFTER = """
SELECT id, workspace_id, kind, inputs, fields, provenance::text, status, created_at, updated_at, version
FROM records WHERE id > %(after)s ORDER BY id LIMIT %(limit)s
"""
COUNT_RECORDS = "SELECT count(*) FROM records"
GIVE_WAY = """
UPDATE search_reindexes SET status = 'failed', error = %(why)s, finished_at = %(now)s
WHERE status = 'running' AND updated_at < %(stale)s
"""
INSERT = """
INSERT INTO search_reindexes (id, status, phase, index_name, total, copied, caught_up, failed, error, started_at,
                              updated_at, finished_at, requested_by)
VALUES (%(id)s, %(status)s, %(phase)s, %(index_name)s, %(total)s, %(copied)s, %(caught_up)s, %(failed)s,
        %(error)s, %(started_at)s, %(updated_at)s, %(finished_at)s, %(requested_by)s)
"""
SAVE = """
UPDATE search_reindexes SET status = %(status)s, phase = %(phase)s, index_name = %(index_name)s,
    total = %(total)s, copied = %(copied)s, caught_up = %(caught_up)s, failed = %(failed)s, error = %(error)s,
    updated_at = %(updated_at)s, finished_at = %(finished_at)s
WHERE id = %(id)s
"""
SELECT = """
SELECT id, status, phase, index_name, total, copied, caught_up, failed, error, started_at, updated_at,
       finished_at, requested_by
FROM search_reindexes
"""
GET = SELECT + "WHERE id = %(id)s"
LATEST = SELECT + "ORDER BY started_at DESC, id DESC LIMIT 1"
_NIL = UUID(int=0)


class PostgresSearchSource:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def records_after(self, after: UUID | None, limit: int) -> list[Record]:
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(RECORDS_AFTER, {"after": after or _NIL, "limit": limit})).fetchall()
        return [record_from_row(r) for r in rows]

    async def count(self) -> int:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(COUNT_RECORDS)).fetchone()
        return int(row[0]) if row else 0


def _params(reindex: Reindex) -> dict[str, Any]:
    return {
        "id": reindex.id, "status": reindex.status.value, "phase": reindex.phase.value, "index_name": reindex.index,
        "total": reindex.total, "copied": reindex.copied, "caught_up": reindex.caught_up, "failed": reindex.failed,
        "error": reindex.error, "started_at": reindex.started_at, "updated_at": reindex.updated_at,
        "finished_at": reindex.finished_at, "requested_by": reindex.requested_by,
    }  # fmt: skip


def _reindex(row: tuple[Any, ...]) -> Reindex:
    (id_, status, phase, index, total, copied, caught_up, failed, error, started, updated, finished, by) = row
    return Reindex(
        id=id_, status=ReindexStatus(status), phase=ReindexPhase(phase), index=index, total=total, copied=copied,
        caught_up=caught_up, failed=failed, error=error, started_at=started, updated_at=updated,
        finished_at=finished, requested_by=by,
    )  # fmt: skip


class PostgresReindexes:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def begin(self, reindex: Reindex) -> None:
        now: datetime = reindex.started_at
        try:
            async with connection(self._pool) as conn, conn.transaction():
                await conn.execute(GIVE_WAY, {"now": now, "stale": now - ABANDONED_AFTER, "why": ABANDONED})
                await conn.execute(INSERT, _params(reindex))
        except errors.UniqueViolation as exc:
            raise ReindexRunning("a reindex is already running") from exc

    async def save(self, reindex: Reindex) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(SAVE, _params(reindex))

    async def get(self, reindex_id: UUID) -> Reindex | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(GET, {"id": reindex_id})).fetchone()
        return _reindex(row) if row else None

    async def latest(self) -> Reindex | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(LATEST)).fetchone()
        return _reindex(row) if row else None
