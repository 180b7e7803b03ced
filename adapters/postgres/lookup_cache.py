from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from adapters.memory.lookup_cache import CACHEABLE
from adapters.postgres.pool import connection
from domain.enrichment.schema import FieldValue, Outcome, ProviderResult

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
