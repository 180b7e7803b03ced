"""The waterfall's attempt log and lookup cache on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from adapters.memory.enrichment import CACHEABLE
from adapters.postgres.pool import Connection, Repositories, connection
from domain.enrichment.schema import FieldValue, Outcome, ProviderResult
from domain.enrichment.waterfall import Attempt, RecordedAttempt

INSERT_ATTEMPT = """
INSERT INTO enrichment_attempts
    (id, workspace_id, record_id, run_id, provider, outcome, latency_ms, credits, cached, fields, detail, created_at)
VALUES (%(id)s, %(ws)s, %(record_id)s, %(run_id)s, %(provider)s, %(outcome)s, %(latency_ms)s, %(credits)s,
        %(cached)s, %(fields)s, %(detail)s, %(created_at)s)
"""

SELECT_FOR_RECORD = """
SELECT id, workspace_id, record_id, run_id, provider, outcome, latency_ms, credits, cached, fields, detail, created_at
FROM enrichment_attempts
WHERE workspace_id = %(ws)s AND record_id = %(record_id)s
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""


def attempt_from_row(row: tuple[Any, ...]) -> RecordedAttempt:
    id_, ws, record_id, run_id, provider, outcome, latency_ms, credits, cached, fields, detail, created_at = row
    return RecordedAttempt(
        id=id_,
        workspace_id=ws,
        record_id=record_id,
        run_id=run_id,
        attempt=Attempt(
            provider=provider,
            outcome=outcome,
            latency_ms=latency_ms,
            credits=credits,
            cached=cached,
            fields=tuple(fields),
            detail=detail,
        ),
        created_at=created_at,
    )


class PostgresAttemptLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, attempts: list[RecordedAttempt]) -> None:
        if not attempts:
            return
        async with self._conn.cursor() as cursor:
            await cursor.executemany(
                INSERT_ATTEMPT,
                [
                    {
                        "id": a.id,
                        "ws": a.workspace_id,
                        "record_id": a.record_id,
                        "run_id": a.run_id,
                        "provider": a.attempt.provider,
                        "outcome": a.attempt.outcome,
                        "latency_ms": a.attempt.latency_ms,
                        "credits": a.attempt.credits,
                        "cached": a.attempt.cached,
                        "fields": list(a.attempt.fields),
                        "detail": a.attempt.detail,
                        "created_at": a.created_at,
                    }
                    for a in attempts
                ],
            )


class PostgresAttemptReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def for_record(self, workspace_id: UUID, record_id: UUID, limit: int) -> list[RecordedAttempt]:
        params = {"ws": workspace_id, "record_id": record_id, "limit": limit}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(SELECT_FOR_RECORD, params)).fetchall()
        return [attempt_from_row(r) for r in rows]


SELECT_FRESH = """
SELECT outcome, fields FROM lookup_cache
WHERE workspace_id = %(ws)s AND lookup_key = %(key)s AND fetched_at >= %(fresh_since)s
"""

UPSERT = """
INSERT INTO lookup_cache (workspace_id, lookup_key, outcome, fields, fetched_at)
VALUES (%(ws)s, %(key)s, %(outcome)s, %(fields)s, %(at)s)
ON CONFLICT (workspace_id, lookup_key)
DO UPDATE SET outcome = EXCLUDED.outcome, fields = EXCLUDED.fields, fetched_at = EXCLUDED.fetched_at
"""


def fields_to_json(fields: dict[str, FieldValue]) -> dict[str, Any]:
    return {name: {"value": f.value, "confidence": f.confidence} for name, f in fields.items()}


def fields_from_json(data: dict[str, Any]) -> dict[str, FieldValue]:
    return {name: FieldValue(value=f["value"], confidence=float(f["confidence"])) for name, f in data.items()}


class PostgresLookupCache:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def get(self, workspace_id: UUID, key: str, fresh_since: datetime) -> ProviderResult | None:
        params = {"ws": workspace_id, "key": key, "fresh_since": fresh_since}
        async with connection(self._pool) as conn:
            row = await (await conn.execute(SELECT_FRESH, params)).fetchone()
        if row is None:
            return None
        return ProviderResult(outcome=Outcome(row[0]), fields=fields_from_json(row[1]), detail="cached")

    async def put(self, workspace_id: UUID, key: str, result: ProviderResult, at: datetime) -> None:
        if result.outcome not in CACHEABLE:
            return
        params = {
            "ws": workspace_id,
            "key": key,
            "outcome": result.outcome.value,
            "fields": Jsonb(fields_to_json(result.fields)),
            "at": at,
        }
        async with connection(self._pool) as conn:
            await conn.execute(UPSERT, params)

    async def put_many(self, workspace_id: UUID, answers: list[tuple[str, ProviderResult]], at: datetime) -> None:
        rows = [
            {
                "ws": workspace_id,
                "key": key,
                "outcome": result.outcome.value,
                "fields": Jsonb(fields_to_json(result.fields)),
                "at": at,
            }
            for key, result in answers
            if result.outcome in CACHEABLE
        ]
        if rows:
            async with connection(self._pool) as conn, conn.cursor() as cursor:
                await cursor.executemany(UPSERT, rows)


# This context's repositories in a unit of work (`EnrichmentRepositories` in ports/enrichment.py).
REPOSITORIES: Repositories = {
    "attempts": PostgresAttemptLog,
}
