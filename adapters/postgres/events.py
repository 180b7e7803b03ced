from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import Connection, Repositories, connection
from domain.kernel.events import Event, EventType

INSERT_EVENT = """
INSERT INTO outbox_events (id, workspace_id, type, data, occurred_at)
VALUES (%(id)s, %(ws)s, %(type)s, %(data)s, %(occurred_at)s)
"""
SELECT_RECENT = """
SELECT id, workspace_id, type, data, occurred_at FROM outbox_events
WHERE workspace_id = %(ws)s
ORDER BY occurred_at DESC, id DESC
LIMIT %(limit)s
"""
# Publishers run side by side: each takes the oldest events no other one holds, and keeps them locked
# until its transaction marks them published (or rolls back and leaves them to the next publisher).
CLAIM_UNPUBLISHED = """
SELECT id, workspace_id, type, data, occurred_at FROM outbox_events
WHERE published_at IS NULL
ORDER BY occurred_at, id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
"""
# The first publication's instant is kept.
MARK_PUBLISHED = """
UPDATE outbox_events SET published_at = %(at)s WHERE id = ANY(%(ids)s) AND published_at IS NULL
"""


def event_from_row(row: tuple[Any, ...]) -> Event:
    id_, workspace_id, type_, data, occurred_at = row
    return Event(id=id_, workspace_id=workspace_id, type=EventType(type_), data=dict(data), occurred_at=occurred_at)


class PostgresEventOutbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, events: list[Event]) -> None:
        if not events:
            return
        async with self._conn.cursor() as cursor:
            await cursor.executemany(
                INSERT_EVENT,
                [
                    {
                        "id": e.id,
                        "ws": e.workspace_id,
                        "type": e.type.value,
                        "data": Jsonb(e.data),
                        "occurred_at": e.occurred_at,
                    }
                    for e in events
                ],
            )

    async def claim_unpublished(self, limit: int) -> list[Event]:
        rows = await (await self._conn.execute(CLAIM_UNPUBLISHED, {"limit": max(limit, 0)})).fetchall()
        return [event_from_row(r) for r in rows]

    async def mark_published(self, event_ids: list[UUID], at: datetime) -> None:
        if event_ids:
            await self._conn.execute(MARK_PUBLISHED, {"ids": list(event_ids), "at": at})


class PostgresEventReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def recent(self, workspace_id: UUID, limit: int) -> list[Event]:
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(SELECT_RECENT, {"ws": workspace_id, "limit": max(limit, 0)})).fetchall()
        return [event_from_row(r) for r in rows]


# This context's repositories in a unit of work (`EventRepositories` in ports/events.py).
REPOSITORIES: Repositories = {
    "events": PostgresEventOutbox,
}
